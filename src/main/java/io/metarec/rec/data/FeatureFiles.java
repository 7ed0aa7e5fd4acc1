package io.metarec.rec.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a generic feature file ({@code users.csv} or {@code items.csv}, UTF-8, comma-separated,
 * header first). The first column is the key ({@code user} / {@code item}); every other column is a
 * field: {@code name} is categorical, {@code name[]} is multi-valued with values separated by
 * {@code |}. In items files {@code title} and {@code release} are not features but the item's title
 * and release time.
 */
final class FeatureFiles {
    private FeatureFiles() {}

    enum Side {
        USER("user"), ITEM("item");
        final String key;

        Side(String key) { this.key = key; }
    }

    /** How rows map to entities. */
    enum Mode {
        /** The file lists the catalogue: every row adds its user or item (generic layout). */
        CATALOGUE,
        /** Extra fields for entities that already exist (files beside MovieLens files); an unknown id is an error. */
        EXTRA
    }

    static final String TITLE = "title", RELEASE = "release", MULTI_SUFFIX = "[]";

    static void read(Path file, Side side, Mode mode, Dataset.Builder b) throws IOException {
        FeatureTable.Builder table = side == Side.USER ? b.userFeatures() : b.itemFeatures();
        try (LineReader r = LineReader.open(file, StandardCharsets.UTF_8, side.key + " features")) {
            String headerLine = r.next();
            if (headerLine == null) throw new DataFormatException(file, "empty file (expected a header starting with '" + side.key + "')");
            List<String> header = Csv.parse(r, headerLine);
            if (!header.get(0).equals(side.key))
                throw r.error("the header must start with the column '" + side.key + "'" + Csv.separatorHint(headerLine));
            int columns = header.size();
            String[] fieldOf = new String[columns];
            int titleCol = -1, releaseCol = -1;
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (int c = 1; c < columns; c++) {
                String h = header.get(c);
                if (!seen.add(h)) throw r.error("column '" + h + "' appears twice in the header");
                if (side == Side.ITEM && h.equals(TITLE)) { titleCol = c; continue; }
                if (side == Side.ITEM && h.equals(RELEASE)) { releaseCol = c; continue; }
                boolean multi = h.endsWith(MULTI_SUFFIX);
                String name = multi ? h.substring(0, h.length() - MULTI_SUFFIX.length()) : h;
                if (!Field.NAME.matcher(name).matches())
                    throw r.error("column '" + h + "': a field name must be letters, digits, '_' or '-' (with '[]' appended for a multi-valued field)");
                if (table.hasField(name)) throw r.error("column '" + h + "': the field '" + name + "' is already defined (by another column or by the dataset's own files)");
                table.declare(name, multi ? Field.Kind.MULTI : Field.Kind.CATEGORICAL, null);
                fieldOf[c] = name;
            }
            Map<String, Long> firstLine = new HashMap<>();
            int rows = 0;
            String line;
            while ((line = r.next()) != null) {
                List<String> cells = Csv.parse(r, line);
                if (cells.size() != columns)
                    throw r.error("expected " + columns + " comma-separated fields (as in the header), got " + cells.size());
                String id = cells.get(0);
                if (id.isEmpty()) throw r.error("empty " + side.key + " id");
                Long before = firstLine.putIfAbsent(id, r.lineNumber());
                if (before != null) throw r.error(side.key + " " + DataFormatException.quote(id) + " is listed twice (first on line " + before + ")");
                int index;
                if (mode == Mode.CATALOGUE) index = side == Side.USER ? b.user(id) : b.item(id);
                else {
                    index = side == Side.USER ? b.findUser(id) : b.findItem(id);
                    if (index < 0) throw r.error("unknown " + side.key + " " + DataFormatException.quote(id) + " (not in the dataset's " + (side == Side.USER ? "users" : "items") + ")");
                }
                for (int c = 1; c < columns; c++) {
                    String cell = cells.get(c);
                    if (c == titleCol) b.title(index, cell);
                    else if (c == releaseCol) {
                        try {
                            Long t = Releases.parseDeclared(cell);
                            if (t != null) b.release(index, t, ReleaseSource.DECLARED);
                        } catch (IllegalArgumentException e) {
                            throw r.error("column release: " + e.getMessage());
                        }
                    } else if (fieldOf[c] != null) {
                        String name = fieldOf[c];
                        boolean multi = header.get(c).endsWith(MULTI_SUFFIX);
                        table.set(name, index, multi ? Field.splitMulti(cell) : List.of(cell));
                    }
                }
                rows++;
            }
            if (rows == 0) throw new DataFormatException(file, "has a header but no rows");
        }
    }
}
