package io.metarec.rec.data;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Readers for the original MovieLens-100K and MovieLens-1M files (ISO-8859-1 text), as
 * distributed by GroupLens. Features produced:
 * <ul>
 *   <li>items: {@code genres} (multi-valued), {@code year} (5-year release bucket, "1995-1999");</li>
 *   <li>users: {@code gender}, {@code age} (ML-1M's buckets: "under 18", "18-24", "25-34", "35-44",
 *       "45-49", "50-55", "56+"; ML-100K's raw ages are mapped into them), {@code occupation}
 *       (ML-1M's codes mapped to their README names), {@code zip} (the first {@value #ZIP_PREFIX}
 *       characters, upper-cased: the US "sectional center", about 900 values; empty = missing).</li>
 * </ul>
 * Item release time: ML-100K's release date, else the "(YYYY)" of the title; ML-1M: the title year.
 * Extra fields (e.g. MeLU's rate, director, actor) are merged from {@code users.csv} / {@code items.csv}
 * in the same directory, in the generic feature-file format keyed by the MovieLens ids; an id that
 * MovieLens does not know is an error, ids they omit get missing values. A {@code release} column
 * there takes precedence over the MovieLens date.
 */
public final class MovieLens {
    private MovieLens() {}

    public static final Charset CHARSET = StandardCharsets.ISO_8859_1;
    /** Characters of the zip code kept as the {@code zip} feature. */
    public static final int ZIP_PREFIX = 3;
    /** ML-1M's age codes, in order, and their bucket names (ML-100K ages are mapped into them). */
    public static final List<String> AGE_BUCKETS = List.of("under 18", "18-24", "25-34", "35-44", "45-49", "50-55", "56+");
    private static final Map<String, String> ML1M_AGE_CODES = Map.of("1", "under 18", "18", "18-24", "25", "25-34", "35", "35-44",
            "45", "45-49", "50", "50-55", "56", "56+");
    /** ML-1M's occupation codes 0–20, by code (from its README). */
    public static final List<String> ML1M_OCCUPATIONS = List.of("other", "academic/educator", "artist", "clerical/admin",
            "college/grad student", "customer service", "doctor/health care", "executive/managerial", "farmer", "homemaker",
            "K-12 student", "lawyer", "programmer", "retired", "sales/marketing", "scientist", "self-employed",
            "technician/engineer", "tradesman/craftsman", "unemployed", "writer");
    /** ML-100K's genres (u.genre), used when u.genre is absent. */
    public static final List<String> ML100K_GENRES = List.of("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy",
            "Crime", "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi",
            "Thriller", "War", "Western");
    /** ML-1M's genres (README order). */
    public static final List<String> ML1M_GENRES = ML100K_GENRES.subList(1, ML100K_GENRES.size());

    public static final String GENDER = "gender", AGE = "age", OCCUPATION = "occupation", ZIP = "zip", GENRES = "genres", YEAR = "year";

    /** Maps a raw age in years to its ML-1M bucket name. */
    public static String ageBucket(int years) {
        if (years < 18) return AGE_BUCKETS.get(0);
        if (years <= 24) return AGE_BUCKETS.get(1);
        if (years <= 34) return AGE_BUCKETS.get(2);
        if (years <= 44) return AGE_BUCKETS.get(3);
        if (years <= 49) return AGE_BUCKETS.get(4);
        if (years <= 55) return AGE_BUCKETS.get(5);
        return AGE_BUCKETS.get(6);
    }

    /** The zip feature: the first {@value #ZIP_PREFIX} characters, upper-cased ("98107-2117" → "981"). */
    public static String zipPrefix(String zip) {
        String z = zip.trim().toUpperCase(Locale.ROOT);
        return z.length() <= ZIP_PREFIX ? z : z.substring(0, ZIP_PREFIX);
    }

    // ------------------------------------------------------------------ MovieLens-100K

    /** Reads u.data, u.user, u.item (and u.genre when present) from {@code dir}. */
    public static Dataset read100k(Path dir) throws IOException {
        Dataset.Builder b = new Dataset.Builder(GenericLayout.dirName(dir), DatasetFormat.MOVIELENS_100K);
        declareUserFields(b, null);
        java.util.Set<String> occupations = readOccupations(dir.resolve("u.occupation"));
        List<String> genres = readGenres(dir.resolve("u.genre"));
        b.itemFeatures().declare(GENRES, Field.Kind.MULTI, genres).declare(YEAR, Field.Kind.CATEGORICAL, null);

        try (LineReader r = LineReader.open(dir.resolve("u.user"), CHARSET, "MovieLens-100K users: user id|age|gender|occupation|zip code")) {
            Map<String, Long> seen = new HashMap<>();
            String line;
            while ((line = r.next()) != null) {
                String[] f = split(line, "|", 5, r, "user id|age|gender|occupation|zip code");
                String id = id(f[0], r, "user id");
                unique(seen, id, r, "user");
                int u = b.user(id);
                int age;
                try {
                    age = Integer.parseInt(f[1].trim());
                } catch (NumberFormatException e) {
                    throw r.error("age " + DataFormatException.quote(f[1]) + " is not an integer");
                }
                if (age < 0 || age > 150) throw r.error("age " + age + " is out of range");
                String occupation = f[3].trim();
                if (occupations != null && !occupations.contains(occupation))
                    throw r.error("occupation " + DataFormatException.quote(f[3]) + " is not listed in u.occupation");
                setUser(b, u, f[2], ageBucket(age), occupation, f[4], r);
            }
            if (b.userCount() == 0) throw new DataFormatException(r.file(), "empty file (no users)");
        }

        try (LineReader r = LineReader.open(dir.resolve("u.item"), CHARSET,
                "MovieLens-100K movies: movie id|title|release date|video release date|IMDb URL|" + genres.size() + " genre flags")) {
            Map<String, Long> seen = new HashMap<>();
            String line;
            int columns = 5 + genres.size();
            while ((line = r.next()) != null) {
                String[] f = split(line, "|", columns, r, "movie id|title|release date|video release date|IMDb URL|" + genres.size() + " genre flags (0/1)");
                String id = id(f[0], r, "movie id");
                unique(seen, id, r, "movie");
                int i = b.item(id);
                String title = f[1].trim();
                b.title(i, title);
                int year = -1;
                String date = f[2].trim();
                if (!date.isEmpty()) {
                    try {
                        long t = Releases.parseMl100kDate(date);
                        b.release(i, t, ReleaseSource.RELEASE_DATE);
                        year = Releases.yearOf(t);
                    } catch (DateTimeParseException e) {
                        throw r.error("release date " + DataFormatException.quote(date) + " is not d-MMM-yyyy (e.g. 01-Jan-1995 or 4-Feb-1971)");
                    }
                }
                int titleYear = Releases.titleYear(title);
                if (year < 0 && titleYear > 0) {
                    year = titleYear;
                    b.release(i, Releases.startOfYear(titleYear), ReleaseSource.TITLE_YEAR);
                }
                List<String> g = new ArrayList<>();
                for (int k = 0; k < genres.size(); k++) {
                    String flag = f[5 + k].trim();
                    if (flag.equals("1")) g.add(genres.get(k));
                    else if (!flag.equals("0")) throw r.error("genre flag " + (k + 1) + " (" + genres.get(k) + ") is " + DataFormatException.quote(flag) + ", not 0 or 1");
                }
                b.itemFeatures().set(GENRES, i, g);
                if (year > 0) b.itemFeatures().set(YEAR, i, Releases.yearBucket(year));
            }
            if (b.itemCount() == 0) throw new DataFormatException(r.file(), "empty file (no movies)");
        }

        readRatings(dir.resolve("u.data"), b, "\t", "tab", "user id<TAB>item id<TAB>rating<TAB>timestamp", "u.user", "u.item");
        mergeExtras(dir, b);
        return b.build();
    }

    /** u.occupation: one occupation a line (null when the file is absent: any occupation is accepted). */
    private static java.util.Set<String> readOccupations(Path file) throws IOException {
        if (!Files.exists(file)) return null;
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        try (LineReader r = LineReader.open(file, CHARSET, "MovieLens-100K occupations: one a line")) {
            String line;
            while ((line = r.next()) != null) {
                noNul(line, r);
                String o = line.trim();
                if (o.isEmpty() || o.contains("|")) throw r.error("expected one occupation name");
                if (!out.add(o)) throw r.error("occupation " + DataFormatException.quote(o) + " is listed twice");
            }
            if (out.isEmpty()) throw new DataFormatException(file, "empty file (no occupations)");
        }
        return out;
    }

    /** u.genre: "name|index" lines with indices 0, 1, 2, …; the built-in list when the file is absent. */
    private static List<String> readGenres(Path file) throws IOException {
        if (!Files.exists(file)) return ML100K_GENRES;
        List<String> out = new ArrayList<>();
        try (LineReader r = LineReader.open(file, CHARSET, "MovieLens-100K genres: name|index")) {
            String line;
            while ((line = r.next()) != null) {
                String[] f = split(line, "|", 2, r, "genre name|index");
                if (!f[1].trim().equals(Integer.toString(out.size())))
                    throw r.error("expected genre index " + out.size() + ", got " + DataFormatException.quote(f[1]));
                String name = f[0].trim();
                if (name.isEmpty() || out.contains(name)) throw r.error("empty or repeated genre name");
                out.add(name);
            }
            if (out.isEmpty()) throw new DataFormatException(file, "empty file (no genres)");
        }
        return out;
    }

    // ------------------------------------------------------------------ MovieLens-1M

    /** Reads ratings.dat, users.dat and movies.dat from {@code dir}. */
    public static Dataset read1m(Path dir) throws IOException {
        Dataset.Builder b = new Dataset.Builder(GenericLayout.dirName(dir), DatasetFormat.MOVIELENS_1M);
        declareUserFields(b, ML1M_OCCUPATIONS);
        b.itemFeatures().declare(GENRES, Field.Kind.MULTI, ML1M_GENRES).declare(YEAR, Field.Kind.CATEGORICAL, null);

        try (LineReader r = LineReader.open(dir.resolve("users.dat"), CHARSET, "MovieLens-1M users: UserID::Gender::Age::Occupation::Zip-code")) {
            Map<String, Long> seen = new HashMap<>();
            String line;
            while ((line = r.next()) != null) {
                String[] f = split(line, "::", 5, r, "UserID::Gender::Age::Occupation::Zip-code");
                String id = id(f[0], r, "UserID");
                unique(seen, id, r, "user");
                int u = b.user(id);
                String age = ML1M_AGE_CODES.get(f[2].trim());
                if (age == null) throw r.error("age code " + DataFormatException.quote(f[2]) + " is not one of 1, 18, 25, 35, 45, 50, 56");
                int occ;
                try {
                    occ = Integer.parseInt(f[3].trim());
                } catch (NumberFormatException e) {
                    occ = -1;
                }
                if (occ < 0 || occ >= ML1M_OCCUPATIONS.size()) throw r.error("occupation code " + DataFormatException.quote(f[3]) + " is not 0–20");
                setUser(b, u, f[1], age, ML1M_OCCUPATIONS.get(occ), f[4], r);
            }
            if (b.userCount() == 0) throw new DataFormatException(r.file(), "empty file (no users)");
        }

        try (LineReader r = LineReader.open(dir.resolve("movies.dat"), CHARSET, "MovieLens-1M movies: MovieID::Title::Genres")) {
            Map<String, Long> seen = new HashMap<>();
            String line;
            while ((line = r.next()) != null) {
                // The title sits between the first and the last "::", so a title is never cut.
                noNul(line, r);
                int a = line.indexOf("::"), z = line.lastIndexOf("::");
                if (a < 0 || a == z) throw r.error("expected 3 fields separated by '::' (MovieID::Title::Genres)" + separatorNote(line, "::"));
                if (line.indexOf("::", a + 2) != z) // the official titles never contain "::"
                    throw r.error("expected 3 fields separated by '::' (MovieID::Title::Genres), got " + (2 + countOf(line, "::", a + 2)));
                String id = id(line.substring(0, a), r, "MovieID");
                unique(seen, id, r, "movie");
                int i = b.item(id);
                String title = line.substring(a + 2, z).trim();
                if (title.isEmpty()) throw r.error("empty title");
                b.title(i, title);
                int year = Releases.titleYear(title);
                if (year > 0) {
                    b.release(i, Releases.startOfYear(year), ReleaseSource.TITLE_YEAR);
                    b.itemFeatures().set(YEAR, i, Releases.yearBucket(year));
                }
                List<String> g = Field.splitMulti(line.substring(z + 2));
                for (String genre : g)
                    if (!ML1M_GENRES.contains(genre)) throw r.error("genre " + DataFormatException.quote(genre) + " is not one of MovieLens-1M's 18 genres");
                b.itemFeatures().set(GENRES, i, g);
            }
            if (b.itemCount() == 0) throw new DataFormatException(r.file(), "empty file (no movies)");
        }

        readRatings(dir.resolve("ratings.dat"), b, "::", "'::'", "UserID::MovieID::Rating::Timestamp", "users.dat", "movies.dat");
        mergeExtras(dir, b);
        return b.build();
    }

    // ------------------------------------------------------------------ shared

    private static void declareUserFields(Dataset.Builder b, List<String> occupations) {
        b.userFeatures().declare(GENDER, Field.Kind.CATEGORICAL, null).declare(AGE, Field.Kind.CATEGORICAL, AGE_BUCKETS)
                .declare(OCCUPATION, Field.Kind.CATEGORICAL, occupations).declare(ZIP, Field.Kind.CATEGORICAL, null);
    }

    private static void setUser(Dataset.Builder b, int u, String gender, String age, String occupation, String zip, LineReader r) {
        String g = gender.trim();
        if (!g.equals("M") && !g.equals("F")) throw r.error("gender " + DataFormatException.quote(gender) + " is not M or F");
        FeatureTable.Builder t = b.userFeatures();
        t.set(GENDER, u, g).set(AGE, u, age).set(OCCUPATION, u, occupation).set(ZIP, u, zipPrefix(zip));
    }

    private static void readRatings(Path file, Dataset.Builder b, String sep, String sepName, String layout, String usersFile, String itemsFile)
            throws IOException {
        try (LineReader r = LineReader.open(file, CHARSET, "MovieLens ratings: " + layout)) {
            String line;
            while ((line = r.next()) != null) {
                String[] f = split(line, sep, 4, r, layout);
                String uid = f[0].trim(), iid = f[1].trim();
                int u = b.findUser(uid);
                if (u < 0) throw r.error("unknown user " + DataFormatException.quote(uid) + " (not in " + usersFile + ")");
                int i = b.findItem(iid);
                if (i < 0) throw r.error("unknown movie " + DataFormatException.quote(iid) + " (not in " + itemsFile + ")");
                float rating = GenericLayout.parseRating(r, f[2].trim());
                if (rating < 1 || rating > 5) throw r.error("rating " + DataFormatException.quote(f[2]) + " is outside MovieLens's 1–5 stars");
                if (!f[2].trim().matches("[1-5]")) throw r.error("rating " + DataFormatException.quote(f[2]) + " is not a whole number of stars (1–5)");
                long ts;
                try {
                    ts = Long.parseLong(f[3].trim());
                } catch (NumberFormatException e) {
                    throw r.error("timestamp " + DataFormatException.quote(f[3]) + " is not an integer (Unix seconds)");
                }
                if (ts == Interactions.NO_TIMESTAMP) throw r.error("timestamp out of range");
                b.interaction(u, i, rating, ts);
            }
            if (b.interactionCount() == 0) throw new DataFormatException(file, "empty file (no ratings)");
        }
    }

    private static void mergeExtras(Path dir, Dataset.Builder b) throws IOException {
        Path users = dir.resolve(GenericLayout.USERS), items = dir.resolve(GenericLayout.ITEMS);
        if (Files.exists(users)) FeatureFiles.read(users, FeatureFiles.Side.USER, FeatureFiles.Mode.EXTRA, b);
        if (Files.exists(items)) FeatureFiles.read(items, FeatureFiles.Side.ITEM, FeatureFiles.Mode.EXTRA, b);
    }

    /** Splits on a literal separator into exactly {@code n} fields, or fails naming the layout. */
    private static String[] split(String line, String sep, int n, LineReader r, String layout) {
        noNul(line, r);
        String[] out = new String[n];
        int start = 0, k = 0;
        while (true) {
            int at = line.indexOf(sep, start);
            if (at < 0) {
                if (k != n - 1) throw fieldCount(r, line, sep, n, k + 1, layout);
                out[k] = line.substring(start);
                return out;
            }
            if (k == n - 1) throw fieldCount(r, line, sep, n, k + 2 + countOf(line, sep, at + sep.length()), layout);
            out[k++] = line.substring(start, at);
            start = at + sep.length();
        }
    }

    /** The official files are plain text: a NUL byte is damage, not data. */
    private static void noNul(String line, LineReader r) {
        if (line.indexOf('\0') >= 0) throw r.error("contains a NUL byte");
    }

    private static int countOf(String line, String sep, int from) {
        int c = 0;
        for (int at = line.indexOf(sep, from); at >= 0; at = line.indexOf(sep, at + sep.length())) c++;
        return c;
    }

    private static DataFormatException fieldCount(LineReader r, String line, String sep, int n, int got, String layout) {
        String name = sep.equals("\t") ? "tab" : "'" + sep + "'";
        return r.error("expected " + n + " fields separated by " + name + " (" + layout + "), got " + got + separatorNote(line, sep));
    }

    /** Names the separator a line seems to use when it is not the expected one. */
    private static String separatorNote(String line, String expected) {
        if (line.contains(expected)) return "";
        if (!expected.equals("::") && line.contains("::")) return "; the line is '::'-separated (MovieLens-1M style)";
        if (!expected.equals("\t") && line.indexOf('\t') >= 0) return "; the line is tab-separated";
        if (!expected.equals("|") && line.indexOf('|') >= 0) return "; the line is '|'-separated";
        if (line.indexOf(',') >= 0) return "; the line is comma-separated";
        if (line.trim().indexOf(' ') >= 0) return "; the line is space-separated";
        return "";
    }

    private static String id(String raw, LineReader r, String what) {
        String id = raw.trim();
        if (id.isEmpty()) throw r.error("empty " + what);
        return id;
    }

    private static void unique(Map<String, Long> seen, String id, LineReader r, String what) {
        Long before = seen.putIfAbsent(id, r.lineNumber());
        if (before != null) throw r.error(what + " " + DataFormatException.quote(id) + " is listed twice (first on line " + before + ")");
    }
}
