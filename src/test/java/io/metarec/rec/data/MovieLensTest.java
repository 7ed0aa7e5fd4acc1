package io.metarec.rec.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class MovieLensTest {
    @TempDir Path tmp;

    static List<String> labels(FeatureTable t, String field, int row) {
        return t.labels(t.fieldIndex(field), row);
    }

    @Test
    void readsMovieLens100kWithLatin1TitlesGenresAndDemographics() throws IOException {
        Dataset d = Datasets.load(Fixtures.ml100k(tmp.resolve("ml-100k")));
        assertEquals(DatasetFormat.MOVIELENS_100K, d.format());
        assertEquals(4, d.numUsers());
        assertEquals(4, d.numItems());
        assertEquals(6, d.interactions().size());
        int les = d.itemIndex("2");
        assertEquals(Fixtures.MISERABLES, d.title(les).orElseThrow(), "ISO-8859-1 é decoded");
        assertEquals(List.of("Drama", "War"), labels(d.itemFeatures(), "genres", les));
        assertEquals(List.of("Animation", "Children's", "Comedy"), labels(d.itemFeatures(), "genres", d.itemIndex("1")));
        assertEquals(List.of("unknown"), labels(d.itemFeatures(), "genres", d.itemIndex("3")));
        assertEquals(List.of("1995-1999"), labels(d.itemFeatures(), "year", les));
        // Vocabulary follows u.genre's order, after the reserved id 0.
        Field genres = d.itemFeatures().field(d.itemFeatures().fieldIndex("genres"));
        assertEquals(Field.Kind.MULTI, genres.kind());
        assertEquals(20, genres.vocabulary().size());
        assertEquals(1, genres.vocabulary().idOf("unknown"));
        assertEquals(19, genres.vocabulary().idOf("Western"));

        // Release: date, title year, first interaction.
        assertEquals(ReleaseSource.RELEASE_DATE, d.releaseSource(les));
        assertEquals(Releases.startOfYear(1995), d.releaseTime(les));
        int butcher = d.itemIndex("4");
        assertEquals(ReleaseSource.TITLE_YEAR, d.releaseSource(butcher));
        assertEquals(Releases.startOfYear(1998), d.releaseTime(butcher));
        assertEquals(List.of("1995-1999"), labels(d.itemFeatures(), "year", butcher));
        int unknown = d.itemIndex("3");
        assertEquals(ReleaseSource.FIRST_INTERACTION, d.releaseSource(unknown));
        assertEquals(875000100L, d.releaseTime(unknown));
        assertEquals(List.of(Vocabulary.UNKNOWN_LABEL), labels(d.itemFeatures(), "year", unknown), "no year: missing (id 0)");

        FeatureTable u = d.userFeatures();
        assertEquals(List.of("gender", "age", "occupation", "zip"), u.fields().stream().map(Field::name).toList());
        assertEquals(List.of("18-24"), labels(u, "age", d.userIndex("1")));
        assertEquals(List.of("50-55"), labels(u, "age", d.userIndex("2")));
        assertEquals(List.of("under 18"), labels(u, "age", d.userIndex("3")));
        assertEquals(List.of("56+"), labels(u, "age", d.userIndex("4")));
        assertEquals(List.of("T8H"), labels(u, "zip", d.userIndex("3")));
        assertEquals(List.of("857"), labels(u, "zip", d.userIndex("1")));
        assertEquals(Vocabulary.UNKNOWN, u.value(u.fieldIndex("zip"), d.userIndex("4")), "empty zip is missing");
        assertEquals(List.of("technician"), labels(u, "occupation", d.userIndex("1")));

        Interactions x = d.interactions();
        assertEquals(d.userIndex("2"), x.user(3));
        assertEquals(d.itemIndex("3"), x.item(3));
        assertEquals(1f, x.rating(3));
        assertEquals(875000100L, x.timestamp(3));
        assertArrayEquals(new int[] {0, 1}, x.ofUser(d.userIndex("1")));
    }

    @Test
    void readsMovieLens1mWithTitlesContainingParenthesesAndCodes() throws IOException {
        Dataset d = Datasets.load(Fixtures.ml1m(tmp.resolve("ml-1m")));
        assertEquals(DatasetFormat.MOVIELENS_1M, d.format());
        assertEquals(3, d.numUsers());
        assertEquals(4, d.numItems(), "the unrated movie is part of the catalogue");
        assertEquals(0, d.interactions().countOfItem(d.itemIndex("4")));
        int city = d.itemIndex("3");
        assertEquals(Fixtures.CITY, d.title(city).orElseThrow());
        assertEquals(Releases.startOfYear(1995), d.releaseTime(city), "the last (YYYY) is the year");
        assertEquals(ReleaseSource.TITLE_YEAR, d.releaseSource(city));
        assertEquals(List.of("Adventure", "Sci-Fi"), labels(d.itemFeatures(), "genres", city));
        assertEquals(Fixtures.MISERABLES, d.title(d.itemIndex("2")).orElseThrow());
        assertEquals(List.of("2000-2004"), labels(d.itemFeatures(), "year", d.itemIndex("4")));

        FeatureTable u = d.userFeatures();
        assertEquals(List.of("under 18"), labels(u, "age", d.userIndex("1")));
        assertEquals(List.of("K-12 student"), labels(u, "occupation", d.userIndex("1")));
        assertEquals(List.of("writer"), labels(u, "occupation", d.userIndex("3")));
        assertEquals(List.of("self-employed"), labels(u, "occupation", d.userIndex("2")));
        assertEquals(List.of("981"), labels(u, "zip", d.userIndex("3")));
        // Occupation ids follow the README codes: code c has id c + 1.
        Field occ = u.field(u.fieldIndex("occupation"));
        assertEquals(11, occ.vocabulary().idOf("K-12 student"));
        assertEquals(List.of("F"), labels(u, "gender", d.userIndex("1")));
        assertEquals(978299000L, d.interactions().timestamp(3));
    }

    @Test
    void mergesExtraFeatureFilesKeyedByMovieLensIds() throws IOException {
        Path dir = Fixtures.ml1m(tmp.resolve("ml-1m"));
        Fixtures.utf8(dir.resolve("items.csv"), """
                item,director,actors[],release
                1,John Lasseter,Tom Hanks|Tim Allen,
                2,Bille August,Liam Neeson|Uma Thurman,1998-05-01
                """);
        Fixtures.utf8(dir.resolve("users.csv"), "user,income\n2,high\n");
        Dataset d = Datasets.load(dir);
        FeatureTable it = d.itemFeatures();
        assertEquals(List.of("genres", "year", "director", "actors"), it.fields().stream().map(Field::name).toList());
        assertEquals(List.of("Tom Hanks", "Tim Allen"), labels(it, "actors", d.itemIndex("1")));
        assertEquals(0, it.valueCount(it.fieldIndex("actors"), d.itemIndex("3")), "movies the extra file omits have no actors");
        assertEquals(Vocabulary.UNKNOWN, it.value(it.fieldIndex("director"), d.itemIndex("3")));
        // A declared release beats the title year.
        assertEquals(ReleaseSource.DECLARED, d.releaseSource(d.itemIndex("2")));
        assertEquals(Releases.parseDeclared("1998-05-01"), d.releaseTime(d.itemIndex("2")));
        assertEquals(ReleaseSource.TITLE_YEAR, d.releaseSource(d.itemIndex("1")));
        assertEquals(List.of("high"), labels(d.userFeatures(), "income", d.userIndex("2")));
    }

    @Test
    void detectsTheFormatOrListsWhatWasLookedFor() throws IOException {
        assertEquals(DatasetFormat.MOVIELENS_100K, Datasets.detect(Fixtures.ml100k(tmp.resolve("a"))));
        assertEquals(DatasetFormat.MOVIELENS_1M, Datasets.detect(Fixtures.ml1m(tmp.resolve("b"))));
        assertEquals(DatasetFormat.GENERIC, Datasets.detect(Fixtures.generic(tmp.resolve("c"))));
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        DataFormatException e = assertThrows(DataFormatException.class, () -> Datasets.detect(empty));
        for (String marker : List.of("u.data", "ratings.dat", "interactions.csv", "MovieLens-100K", "MovieLens-1M", "generic"))
            assertTrue(e.getMessage().contains(marker), e.getMessage());
        Path both = Fixtures.ml1m(tmp.resolve("both"));
        Fixtures.latin1(both.resolve("u.data"), "1\t1\t5\t1\n");
        assertTrue(assertThrows(DataFormatException.class, () -> Datasets.detect(both)).getMessage().contains("several"));
        assertTrue(assertThrows(DataFormatException.class, () -> Datasets.load(tmp.resolve("nope"))).getMessage().contains("no such directory"));
    }

    @Test
    void u_genreIsOptionalAndMl100kAgesMapToMl1mBuckets() throws IOException {
        Path dir = Fixtures.ml100k(tmp.resolve("x"));
        Files.delete(dir.resolve("u.genre"));
        Dataset d = Datasets.load(dir);
        assertEquals(List.of("Drama", "War"), labels(d.itemFeatures(), "genres", d.itemIndex("2")));
        assertEquals("under 18", MovieLens.ageBucket(17));
        assertEquals("18-24", MovieLens.ageBucket(18));
        assertEquals("25-34", MovieLens.ageBucket(34));
        assertEquals("35-44", MovieLens.ageBucket(35));
        assertEquals("45-49", MovieLens.ageBucket(49));
        assertEquals("50-55", MovieLens.ageBucket(55));
        assertEquals("56+", MovieLens.ageBucket(73));
    }

    /**
     * The date forms of the official u.item, written by hand (no MovieLens lines): a day without a
     * leading zero, a two-digit day, an empty date with an empty URL (the "unknown" movie), and a
     * Latin-1 title with a comma and nested parentheses.
     */
    @Test
    void readsEveryReleaseDateFormOfTheOfficialU_item() throws IOException {
        Path dir = Fixtures.ml100k(tmp.resolve("dates"));
        Fixtures.latin1(dir.resolve("u.item"),
                "1|Quiet Harbour (1971)|4-Feb-1971||http://example.org/q" + Fixtures.flags(8) + "\n"
                        + "2|Caf\u00e9 de la Gare, Le (Station Caf\u00e9) (1994)|14-Oct-1994||http://example.org/c" + Fixtures.flags(5, 14) + "\n"
                        + "3|unknown|||" + Fixtures.flags(0) + "\n"
                        + "4|Long Road (1998)|1-Jan-1998||" + Fixtures.flags(1) + "\n");
        Dataset d = Datasets.load(dir);
        int quiet = d.itemIndex("1"), cafe = d.itemIndex("2"), unknown = d.itemIndex("3"), road = d.itemIndex("4");
        assertEquals(ReleaseSource.RELEASE_DATE, d.releaseSource(quiet));
        assertEquals(java.time.LocalDate.of(1971, 2, 4).atStartOfDay(java.time.ZoneOffset.UTC).toEpochSecond(), d.releaseTime(quiet));
        assertEquals(List.of("1970-1974"), labels(d.itemFeatures(), "year", quiet));
        assertEquals(java.time.LocalDate.of(1994, 10, 14).atStartOfDay(java.time.ZoneOffset.UTC).toEpochSecond(), d.releaseTime(cafe));
        assertEquals("Caf\u00e9 de la Gare, Le (Station Caf\u00e9) (1994)", d.title(cafe).orElseThrow());
        assertEquals(List.of("Comedy", "Romance"), labels(d.itemFeatures(), "genres", cafe));
        assertEquals(Releases.startOfYear(1998), d.releaseTime(road));
        assertEquals(ReleaseSource.FIRST_INTERACTION, d.releaseSource(unknown), "no date, no title year: first rating");
        assertEquals(List.of(Vocabulary.UNKNOWN_LABEL), labels(d.itemFeatures(), "year", unknown));
    }

    @Test
    void rejectsDatesThatAreNotCalendarDates() throws IOException {
        Path dir = Fixtures.ml100k(tmp.resolve("bad"));
        Fixtures.latin1(dir.resolve("u.item"), "1|Odd (1995)|31-Feb-1995||" + Fixtures.flags(1) + "\n");
        DataFormatException e = assertThrows(DataFormatException.class, () -> Datasets.load(dir));
        assertTrue(e.getMessage().contains("u.item line 1: release date \"31-Feb-1995\""), e.getMessage());
    }
}
