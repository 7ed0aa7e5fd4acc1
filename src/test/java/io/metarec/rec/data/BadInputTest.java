package io.metarec.rec.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Every kind of bad input gives a DataFormatException naming the file, the line and the offending text. */
class BadInputTest {
    @TempDir Path tmp;

    /** Loads {@code dir} and checks the error's file, line, text and that the message shows them and {@code reason}. */
    static DataFormatException expect(Path dir, String file, long line, String text, String reason) {
        DataFormatException e = assertThrows(DataFormatException.class, () -> Datasets.load(dir));
        String m = e.getMessage();
        assertEquals(file, e.file().getFileName().toString(), m);
        assertEquals(line, e.line(), m);
        assertTrue(m.contains(file), m);
        if (line > 0) {
            assertTrue(m.contains(" line " + line + ": "), m);
            if (text != null) {
                assertEquals(text, e.text(), m);
                assertTrue(m.contains(DataFormatException.quote(text)), m);
            }
        }
        assertTrue(m.contains(reason), "expected '" + reason + "' in: " + m);
        assertInstanceOf(IllegalArgumentException.class, e, "bad input maps to exit code 2");
        return e;
    }

    /** Replaces line {@code line} (1-based) of an ISO-8859-1 file. */
    static void replaceLine(Path file, int line, String text) throws IOException {
        var lines = new java.util.ArrayList<>(Files.readAllLines(file, StandardCharsets.ISO_8859_1));
        lines.set(line - 1, text);
        Fixtures.latin1(file, String.join("\n", lines) + "\n");
    }

    Path ml100k() throws IOException { return Fixtures.ml100k(tmp.resolve("ml-100k")); }

    Path ml1m() throws IOException { return Fixtures.ml1m(tmp.resolve("ml-1m")); }

    Path generic() throws IOException { return Fixtures.generic(tmp.resolve("gen")); }

    // ------------------------------------------------------------------ MovieLens-100K

    @Test void ml100kWrongSeparator() throws IOException {
        Path d = ml100k();
        replaceLine(d.resolve("u.data"), 2, "1 2 3 881250950");
        expect(d, "u.data", 2, "1 2 3 881250950", "expected 4 fields separated by tab");
        assertTrue(assertThrows(DataFormatException.class, () -> Datasets.load(d)).getMessage().contains("space-separated"));
    }

    @Test void ml100kNonNumericRating() throws IOException {
        Path d = ml100k();
        replaceLine(d.resolve("u.data"), 3, "2\t1\tfour\t875000000");
        expect(d, "u.data", 3, "2\t1\tfour\t875000000", "rating \"four\" is not a number");
    }

    @Test void ml100kUnknownUserInRatings() throws IOException {
        Path d = ml100k();
        replaceLine(d.resolve("u.data"), 1, "9\t1\t5\t881250949");
        expect(d, "u.data", 1, "9\t1\t5\t881250949", "unknown user \"9\" (not in u.user)");
    }

    @Test void ml100kBadAge() throws IOException {
        Path d = ml100k();
        replaceLine(d.resolve("u.user"), 2, "2|fifty|F|other|94043");
        expect(d, "u.user", 2, "2|fifty|F|other|94043", "age \"fifty\" is not an integer");
    }

    @Test void ml100kBadGenreFlagAndShortLineAndBadDate() throws IOException {
        Path d = ml100k();
        String bad = "1|Toy Story (1995)|01-Jan-1995||url" + Fixtures.flags(3).replaceFirst("0", "2");
        replaceLine(d.resolve("u.item"), 1, bad);
        expect(d, "u.item", 1, bad, "genre flag 1 (unknown) is \"2\", not 0 or 1");
        replaceLine(d.resolve("u.item"), 1, "1|Toy Story (1995)|01-Jan-1995");
        expect(d, "u.item", 1, "1|Toy Story (1995)|01-Jan-1995", "expected 24 fields separated by '|'");
        String date = "1|Toy Story (1995)|1995-01-01||url" + Fixtures.flags(3);
        replaceLine(d.resolve("u.item"), 1, date);
        expect(d, "u.item", 1, date, "release date \"1995-01-01\" is not d-MMM-yyyy");
    }

    @Test void ml100kMissingRequiredFile() throws IOException {
        Path d = ml100k();
        Files.delete(d.resolve("u.item"));
        expect(d, "u.item", 0, null, "missing (MovieLens-100K movies");
    }

    @Test void ml100kEmptyRatings() throws IOException {
        Path d = ml100k();
        Files.write(d.resolve("u.data"), new byte[0]);
        expect(d, "u.data", 0, null, "empty file (no ratings)");
    }

    // ------------------------------------------------------------------ MovieLens-1M

    @Test void ml1mMalformedLine() throws IOException {
        Path d = ml1m();
        replaceLine(d.resolve("ratings.dat"), 4, "2::3::2");
        expect(d, "ratings.dat", 4, "2::3::2", "expected 4 fields separated by '::' (UserID::MovieID::Rating::Timestamp), got 3");
    }

    @Test void ml1mTabSeparatedRatings() throws IOException {
        Path d = ml1m();
        replaceLine(d.resolve("ratings.dat"), 1, "1\t1\t5\t978300760");
        expect(d, "ratings.dat", 1, "1\t1\t5\t978300760", "the line is tab-separated");
    }

    @Test void ml1mBadAgeCodeAndOccupation() throws IOException {
        Path d = ml1m();
        replaceLine(d.resolve("users.dat"), 1, "1::F::2::10::48067");
        expect(d, "users.dat", 1, "1::F::2::10::48067", "age code \"2\" is not one of 1, 18, 25, 35, 45, 50, 56");
        replaceLine(d.resolve("users.dat"), 1, "1::F::1::21::48067");
        expect(d, "users.dat", 1, "1::F::1::21::48067", "occupation code \"21\" is not 0–20");
    }

    @Test void ml1mUnknownMovieDuplicateMovieAndRatingRange() throws IOException {
        Path d = ml1m();
        replaceLine(d.resolve("ratings.dat"), 5, "3::99::5::978301968");
        expect(d, "ratings.dat", 5, "3::99::5::978301968", "unknown movie \"99\" (not in movies.dat)");
        replaceLine(d.resolve("ratings.dat"), 5, "3::2::6::978301968");
        expect(d, "ratings.dat", 5, "3::2::6::978301968", "outside MovieLens's 1–5 stars");
        replaceLine(d.resolve("movies.dat"), 4, "1::Again (1995)::Drama");
        expect(d, "movies.dat", 4, "1::Again (1995)::Drama", "movie \"1\" is listed twice (first on line 1)");
    }

    /** What the official formats do not allow is rejected, not folded into a value (issue 11, item 6). */
    @Test void ml1mStrictFields() throws IOException {
        Path d = ml1m();
        replaceLine(d.resolve("users.dat"), 2, "2::1e30::56::16::70072");
        expect(d, "users.dat", 2, "2::1e30::56::16::70072", "gender \"1e30\" is not M or F");
        replaceLine(d.resolve("users.dat"), 2, "2::M::56::16::70072");
        replaceLine(d.resolve("movies.dat"), 4, "4::Unrated Movie (2000)::War::Drama");
        expect(d, "movies.dat", 4, "4::Unrated Movie (2000)::War::Drama", "expected 3 fields separated by '::' (MovieID::Title::Genres), got 4");
        replaceLine(d.resolve("movies.dat"), 4, "4::Unrated Movie (2000)::Drama|Cyberpunk");
        expect(d, "movies.dat", 4, "4::Unrated Movie (2000)::Drama|Cyberpunk", "genre \"Cyberpunk\" is not one of MovieLens-1M's 18 genres");
        replaceLine(d.resolve("movies.dat"), 4, "4::Unrated Movie (2000)::Drama");
        replaceLine(d.resolve("ratings.dat"), 5, "3::2::3.5::978301968");
        expect(d, "ratings.dat", 5, "3::2::3.5::978301968", "is not a whole number of stars (1–5)");
        replaceLine(d.resolve("ratings.dat"), 5, "3::2::4\u0000::978301968");
        expect(d, "ratings.dat", 5, "3::2::4\u0000::978301968", "contains a NUL byte");
    }

    @Test void ml100kStrictFields() throws IOException {
        Path d = ml100k();
        replaceLine(d.resolve("u.user"), 2, "2|53|X|other|94043");
        expect(d, "u.user", 2, "2|53|X|other|94043", "gender \"X\" is not M or F");
        replaceLine(d.resolve("u.user"), 2, "2|53|F|other|94043");
        Fixtures.latin1(d.resolve("u.occupation"), "other\nstudent\ntechnician\nwriter\n");
        Datasets.load(d); // every fixture occupation is listed
        replaceLine(d.resolve("u.user"), 2, "2|53|F|astronaut|94043");
        expect(d, "u.user", 2, "2|53|F|astronaut|94043", "occupation \"astronaut\" is not listed in u.occupation");
    }

    @Test void ml1mMissingUsers() throws IOException {
        Path d = ml1m();
        Files.delete(d.resolve("users.dat"));
        expect(d, "users.dat", 0, null, "missing (MovieLens-1M users: UserID::Gender::Age::Occupation::Zip-code)");
    }

    @Test void extraFeatureFileWithUnknownMovieOrCollidingField() throws IOException {
        Path d = ml1m();
        Fixtures.utf8(d.resolve("items.csv"), "item,director\n1,Lasseter\n77,Nobody\n");
        expect(d, "items.csv", 3, "77,Nobody", "unknown item \"77\" (not in the dataset's items)");
        Fixtures.utf8(d.resolve("items.csv"), "item,genres[]\n1,Comedy\n");
        expect(d, "items.csv", 1, "item,genres[]", "the field 'genres' is already defined");
    }

    // ------------------------------------------------------------------ generic

    @Test void genericWrongSeparator() throws IOException {
        Path d = generic();
        Fixtures.utf8(d.resolve("interactions.csv"), "user\titem\trating\nalice\tm1\t5\n");
        expect(d, "interactions.csv", 1, "user\titem\trating", "the line is tab-separated; this file must be comma-separated");
    }

    @Test void genericNonNumericRatingAndTimestamp() throws IOException {
        Path d = generic();
        Fixtures.utf8(d.resolve("interactions.csv"), "user,item,rating\nalice,m1,5\nbob,m2,great\n");
        expect(d, "interactions.csv", 3, "bob,m2,great", "rating \"great\" is not a number");
        Fixtures.utf8(d.resolve("interactions.csv"), "user,item,rating,timestamp\nalice,m1,5,12\nbob,m2,4,yesterday\n");
        expect(d, "interactions.csv", 3, "bob,m2,4,yesterday", "timestamp \"yesterday\" is not an integer");
    }

    @Test void genericMalformedLine() throws IOException {
        Path d = generic();
        Fixtures.utf8(d.resolve("interactions.csv"), "user,item,rating\nalice,m1,5\n\nbob,m2\n");
        expect(d, "interactions.csv", 4, "bob,m2", "expected 3 comma-separated fields (user,item,rating), got 2");
        Fixtures.utf8(d.resolve("interactions.csv"), "user,item,score\nalice,m1,5\n");
        expect(d, "interactions.csv", 1, "user,item,score", "the header must name the columns user, item, rating");
    }

    @Test void genericUnknownUserOrItem() throws IOException {
        Path d = generic();
        Fixtures.utf8(d.resolve("interactions.csv"), "user,item,rating\nalice,m1,5\ndave,m1,3\n");
        expect(d, "interactions.csv", 3, "dave,m1,3", "unknown user \"dave\" (not in users.csv)");
        Fixtures.utf8(d.resolve("interactions.csv"), "user,item,rating\nalice,m9,5\n");
        expect(d, "interactions.csv", 2, "alice,m9,5", "unknown item \"m9\" (not in items.csv)");
    }

    @Test void genericFeatureFileProblems() throws IOException {
        Path d = generic();
        Fixtures.utf8(d.resolve("users.csv"), "user,gender\nalice,F\nbob,M\nalice,F\ncarol,F\n");
        expect(d, "users.csv", 4, "alice,F", "user \"alice\" is listed twice (first on line 2)");
        Fixtures.utf8(d.resolve("users.csv"), "user,gender\n");
        expect(d, "users.csv", 0, null, "has a header but no rows");
        Fixtures.utf8(d.resolve("users.csv"), "id,gender\nalice,F\n");
        expect(d, "users.csv", 1, "id,gender", "the header must start with the column 'user'");
        Fixtures.generic(d);
        Fixtures.utf8(d.resolve("items.csv"), "item,release\nm1,May 1979\n");
        expect(d, "items.csv", 2, "m1,May 1979", "release must be a year (1995), a date");
        Fixtures.utf8(d.resolve("items.csv"), "item,title\nm1,\"Unclosed, title\n");
        expect(d, "items.csv", 2, "m1,\"Unclosed, title", "unterminated quoted field");
        Fixtures.utf8(d.resolve("items.csv"), "item,genre list[]\nm1,x\n");
        expect(d, "items.csv", 1, "item,genre list[]", "a field name must be letters, digits");
    }

    @Test void genericEmptyAndMissingFiles() throws IOException {
        Path d = generic();
        Files.write(d.resolve("interactions.csv"), new byte[0]);
        expect(d, "interactions.csv", 0, null, "empty file (expected the header user,item,rating[,timestamp])");
        Fixtures.utf8(d.resolve("interactions.csv"), "user,item,rating\n\n");
        expect(d, "interactions.csv", 0, null, "has a header but no interactions");
        Files.write(d.resolve("items.csv"), new byte[0]);
        expect(d, "items.csv", 0, null, "empty file");
    }

    @Test void genericInvalidUtf8() throws IOException {
        Path d = generic();
        byte[] head = "user,item,rating\nalice,m1,5\nbob,m".getBytes(StandardCharsets.US_ASCII);
        byte[] file = java.util.Arrays.copyOf(head, head.length + 5);
        file[head.length] = (byte) 0xE9; // é in ISO-8859-1: not UTF-8
        System.arraycopy(",4\n\n".getBytes(StandardCharsets.US_ASCII), 0, file, head.length + 1, 4);
        Files.write(d.resolve("interactions.csv"), file);
        expect(d, "interactions.csv", 3, "bob,m\uFFFD,4", "bytes that are not valid UTF-8");
    }
}
