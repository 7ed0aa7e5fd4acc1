package io.metarec.rec.data;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The generic dataset directory (UTF-8, comma-separated, a header line first, blank lines ignored):
 * <pre>
 *   interactions.csv  required  user,item,rating[,timestamp]    (columns in any order; timestamp = Unix seconds)
 *   users.csv         optional  user,&lt;field&gt;,…                  one row per user
 *   items.csv         optional  item[,title][,release],&lt;field&gt;,…  one row per item
 *   split.csv         optional  user,item,scenario[,role]        (read by io.metarec.rec.split.SplitFile)
 * </pre>
 * A feature column named {@code name} is categorical (one value, empty = missing); {@code name[]} is
 * multi-valued, values separated by {@code |}. When users.csv (items.csv) exists it is the
 * catalogue: every user (item) it lists exists even without interactions, and an interaction with a
 * user (item) it does not list is an error. Without it, users (items) are those of the interactions.
 */
public final class GenericLayout {
    private GenericLayout() {}

    public static final String INTERACTIONS = "interactions.csv", USERS = "users.csv", ITEMS = "items.csv", SPLIT = "split.csv";

    /** Reads a generic dataset directory. */
    public static Dataset read(Path dir) throws IOException {
        Dataset.Builder b = new Dataset.Builder(dirName(dir), DatasetFormat.GENERIC);
        Path users = dir.resolve(USERS), items = dir.resolve(ITEMS);
        boolean userCatalogue = Files.exists(users), itemCatalogue = Files.exists(items);
        if (userCatalogue) FeatureFiles.read(users, FeatureFiles.Side.USER, FeatureFiles.Mode.CATALOGUE, b);
        if (itemCatalogue) FeatureFiles.read(items, FeatureFiles.Side.ITEM, FeatureFiles.Mode.CATALOGUE, b);
        readInteractions(dir.resolve(INTERACTIONS), b, userCatalogue, itemCatalogue);
        return b.build();
    }

    static String dirName(Path dir) {
        Path f = dir.toAbsolutePath().normalize().getFileName();
        return f == null ? dir.toString() : f.toString();
    }

    private static void readInteractions(Path file, Dataset.Builder b, boolean userCatalogue, boolean itemCatalogue) throws IOException {
        try (LineReader r = LineReader.open(file, StandardCharsets.UTF_8, "the interactions: user,item,rating[,timestamp]")) {
            String headerLine = r.next();
            if (headerLine == null) throw new DataFormatException(file, "empty file (expected the header user,item,rating[,timestamp])");
            List<String> header = Csv.parse(r, headerLine);
            int user = header.indexOf("user"), item = header.indexOf("item"), rating = header.indexOf("rating"), time = header.indexOf("timestamp");
            for (String h : header)
                if (!List.of("user", "item", "rating", "timestamp").contains(h) || header.indexOf(h) != header.lastIndexOf(h))
                    throw r.error("the header must name the columns user, item, rating and optionally timestamp, each once" + Csv.separatorHint(headerLine));
            if (user < 0 || item < 0 || rating < 0)
                throw r.error("the header must name the columns user, item, rating and optionally timestamp" + Csv.separatorHint(headerLine));
            int columns = header.size();
            String line;
            while ((line = r.next()) != null) {
                List<String> cells = Csv.parse(r, line);
                if (cells.size() != columns)
                    throw r.error("expected " + columns + " comma-separated fields (" + String.join(",", header) + "), got " + cells.size() + Csv.separatorHint(line));
                String uid = cells.get(user), iid = cells.get(item);
                if (uid.isEmpty()) throw r.error("empty user id");
                if (iid.isEmpty()) throw r.error("empty item id");
                int u = userCatalogue ? b.findUser(uid) : b.user(uid);
                if (u < 0) throw r.error("unknown user " + DataFormatException.quote(uid) + " (not in " + USERS + ")");
                int i = itemCatalogue ? b.findItem(iid) : b.item(iid);
                if (i < 0) throw r.error("unknown item " + DataFormatException.quote(iid) + " (not in " + ITEMS + ")");
                float value = parseRating(r, cells.get(rating));
                long ts = Interactions.NO_TIMESTAMP;
                if (time >= 0) {
                    try {
                        ts = Long.parseLong(cells.get(time));
                    } catch (NumberFormatException e) {
                        throw r.error("timestamp " + DataFormatException.quote(cells.get(time)) + " is not an integer (Unix seconds)");
                    }
                    if (ts == Interactions.NO_TIMESTAMP) throw r.error("timestamp out of range");
                }
                b.interaction(u, i, value, ts);
            }
            if (b.interactionCount() == 0) throw new DataFormatException(file, "has a header but no interactions");
        }
    }

    // Possessive and unambiguous: \d+\.?\d* backtracked quadratically on a long run of digits
    // that ends in something else (a million digits took minutes; found by ReadersFuzzTest).
    private static final java.util.regex.Pattern DECIMAL = java.util.regex.Pattern.compile("[+-]?+(\\d++(\\.\\d*+)?+|\\.\\d++)([eE][+-]?+\\d++)?+");

    /**
     * A decimal rating ("4", "3.5", "1e0") within ±{@link Dataset#MAX_RATING} (the generic layout
     * declares no scale; see there); anything else is an error on the line.
     */
    static float parseRating(LineReader r, String s) {
        if (!DECIMAL.matcher(s).matches()) throw r.error("rating " + DataFormatException.quote(s) + " is not a number");
        float v = Float.parseFloat(s);
        if (!(Math.abs(v) <= Dataset.MAX_RATING))
            throw r.error("rating " + DataFormatException.quote(s) + " is out of range (ratings must be within ±" + (long) Dataset.MAX_RATING + ")");
        return v;
    }

    /**
     * Writes {@code d} in the generic layout into the existing directory {@code dir}: interactions.csv,
     * users.csv and items.csv (both always, so users and items without interactions are kept).
     * Release times are written only where they were given (not those derived from first interactions,
     * which reading derives again). Use {@link DatasetDirectory#write} for an atomic whole-directory write.
     */
    public static void write(Dataset d, Path dir) throws IOException {
        Interactions x = d.interactions();
        try (BufferedWriter w = Files.newBufferedWriter(dir.resolve(INTERACTIONS), StandardCharsets.UTF_8)) {
            w.write(x.hasTimestamps() ? "user,item,rating,timestamp\n" : "user,item,rating\n");
            StringBuilder line = new StringBuilder(64);
            for (int k = 0; k < x.size(); k++) {
                line.setLength(0);
                line.append(Csv.field(d.userId(x.user(k)))).append(',').append(Csv.field(d.itemId(x.item(k)))).append(',').append(formatRating(x.rating(k)));
                if (x.hasTimestamps()) line.append(',').append(x.timestamp(k));
                w.write(line.append('\n').toString());
            }
        }
        writeFeatures(d, dir.resolve(USERS), true);
        writeFeatures(d, dir.resolve(ITEMS), false);
    }

    private static void writeFeatures(Dataset d, Path file, boolean users) throws IOException {
        FeatureTable t = users ? d.userFeatures() : d.itemFeatures();
        int n = users ? d.numUsers() : d.numItems();
        boolean titles = false, releases = false;
        if (!users) {
            for (int i = 0; i < n; i++) {
                titles |= d.title(i).isPresent();
                releases |= isGiven(d.releaseSource(i));
            }
        }
        List<String> header = new ArrayList<>();
        header.add(users ? "user" : "item");
        if (titles) header.add(FeatureFiles.TITLE);
        if (releases) header.add(FeatureFiles.RELEASE);
        for (Field f : t.fields()) header.add(f.multiValued() ? f.name() + FeatureFiles.MULTI_SUFFIX : f.name());
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write(Csv.line(header) + "\n");
            List<String> row = new ArrayList<>();
            for (int e = 0; e < n; e++) {
                row.clear();
                row.add(users ? d.userId(e) : d.itemId(e));
                if (titles) row.add(d.title(e).orElse(""));
                if (releases) row.add(isGiven(d.releaseSource(e)) ? Releases.formatDeclared(d.releaseTime(e)) : "");
                for (int f = 0; f < t.fieldCount(); f++) row.add(cell(t, f, e));
                w.write(Csv.line(row) + "\n");
            }
        }
    }

    private static boolean isGiven(ReleaseSource s) {
        return s != ReleaseSource.NONE && s != ReleaseSource.FIRST_INTERACTION;
    }

    private static String cell(FeatureTable t, int f, int row) {
        Field field = t.field(f);
        StringBuilder b = new StringBuilder();
        int[] ids = t.values(f, row);
        for (int id : ids) {
            if (id == Vocabulary.UNKNOWN) continue; // missing
            String v = field.vocabulary().valueOf(id);
            if (field.multiValued() && v.indexOf(Field.MULTI_SEPARATOR) >= 0)
                throw new IllegalArgumentException("field " + field.name() + ": the value " + DataFormatException.quote(v) + " contains '|', the multi-value separator");
            if (!b.isEmpty()) b.append(Field.MULTI_SEPARATOR);
            b.append(v);
        }
        return b.toString();
    }

    /** A rating as written: integers without a decimal point ("4"), others in Java's shortest form. */
    static String formatRating(float v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e7f) return Long.toString((long) v);
        return Float.toString(v).toLowerCase(Locale.ROOT);
    }
}
