package io.metarec.rec.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The features of all users (or all items): a schema of {@link Field}s and, per field, the value
 * ids of every row stored CSR-style, so a batch of rows turns directly into an embedding-bag input:
 * <pre>
 *   row r of field f holds ids[f][ offsets[f][r] .. offsets[f][r+1] )
 *   categorical field: exactly one id per row (0 = missing)   → offsets[f][r] = r
 *   multi-valued field: zero or more ids per row              → e.g. genres
 * </pre>
 * Rows are the dataset's user (or item) indices. Immutable: accessors return copies.
 */
public final class FeatureTable {
    private final int rows;
    private final List<Field> fields;
    private final Map<String, Integer> byName = new LinkedHashMap<>();
    private final int[][] offsets;
    private final int[][] ids;

    private FeatureTable(int rows, List<Field> fields, int[][] offsets, int[][] ids) {
        this.rows = rows;
        this.fields = List.copyOf(fields);
        for (int f = 0; f < fields.size(); f++) byName.put(fields.get(f).name(), f);
        this.offsets = offsets;
        this.ids = ids;
    }

    /** A table with {@code rows} rows and no fields. */
    public static FeatureTable empty(int rows) {
        return new FeatureTable(rows, List.of(), new int[0][], new int[0][]);
    }

    public int rows() { return rows; }

    public List<Field> fields() { return fields; }

    public int fieldCount() { return fields.size(); }

    public Field field(int f) { return fields.get(f); }

    /** The index of the field called {@code name}, or −1. */
    public int fieldIndex(String name) {
        Integer f = byName.get(name);
        return f == null ? -1 : f;
    }

    /** Number of values of row {@code row} in field {@code f} (always 1 for a categorical field). */
    public int valueCount(int f, int row) {
        return offsets[f][row + 1] - offsets[f][row];
    }

    /** The value ids of one row (a copy). */
    public int[] values(int f, int row) {
        return Arrays.copyOfRange(ids[f], offsets[f][row], offsets[f][row + 1]);
    }

    /** The single id of a categorical field's row. */
    public int value(int f, int row) {
        if (fields.get(f).multiValued()) throw new IllegalArgumentException("field " + fields.get(f).name() + " is multi-valued; use values()");
        return ids[f][row];
    }

    /** The values of one row as strings (for display and for writing files). */
    public List<String> labels(int f, int row) {
        Vocabulary v = fields.get(f).vocabulary();
        List<String> out = new ArrayList<>();
        for (int k = offsets[f][row]; k < offsets[f][row + 1]; k++) out.add(v.valueOf(ids[f][k]));
        return out;
    }

    /** CSR offsets of field {@code f} (length rows + 1; a copy). */
    public int[] offsets(int f) { return offsets[f].clone(); }

    /** CSR ids of field {@code f} (a copy). */
    public int[] ids(int f) { return ids[f].clone(); }

    /** The ids of {@code rows} (in that order) for field {@code f}: an embedding-bag batch. */
    public Bag bag(int f, int[] rowList) {
        int total = 0;
        for (int r : rowList) total += valueCount(f, r);
        int[] off = new int[rowList.length + 1], out = new int[total];
        int at = 0;
        for (int k = 0; k < rowList.length; k++) {
            int r = rowList[k], n = valueCount(f, r);
            System.arraycopy(ids[f], offsets[f][r], out, at, n);
            at += n;
            off[k + 1] = at;
        }
        return new Bag(off, out);
    }

    /** A batch of rows of one field: row k holds {@code ids[offsets[k] .. offsets[k+1])}. */
    public record Bag(int[] offsets, int[] ids) {
        public int rows() { return offsets.length - 1; }

        @Override public boolean equals(Object o) {
            return o instanceof Bag b && Arrays.equals(offsets, b.offsets) && Arrays.equals(ids, b.ids);
        }

        @Override public int hashCode() { return 31 * Arrays.hashCode(offsets) + Arrays.hashCode(ids); }

        @Override public String toString() { return "Bag[offsets=" + Arrays.toString(offsets) + ", ids=" + Arrays.toString(ids) + "]"; }
    }

    /**
     * Collects raw string values per row and field, then builds vocabularies and CSR arrays. Fields
     * keep the order in which they were declared; rows never set are missing (id 0 / no values).
     */
    public static final class Builder {
        private final List<String> names = new ArrayList<>();
        private final java.util.Map<String, Integer> index = new java.util.HashMap<>(); // name → position: linear reading with many columns
        private final List<Field.Kind> kinds = new ArrayList<>();
        private final List<List<String>> declaredOrder = new ArrayList<>();
        private final List<List<List<String>>> cells = new ArrayList<>();

        public boolean hasField(String name) { return index.containsKey(name); }

        public List<String> fieldNames() { return List.copyOf(names); }

        /**
         * Declares a field. {@code order}, when not null, fixes the vocabulary order (values seen
         * but not listed are appended, sorted); otherwise values are sorted.
         */
        public Builder declare(String name, Field.Kind kind, List<String> order) {
            if (name == null || !Field.NAME.matcher(name).matches())
                throw new IllegalArgumentException("field name must be letters, digits, '_' or '-', got " + (name == null ? "null" : DataFormatException.quote(name)));
            if (index.containsKey(name)) throw new IllegalArgumentException("field " + name + " declared twice");
            index.put(name, names.size());
            names.add(name);
            kinds.add(kind);
            declaredOrder.add(order);
            cells.add(new ArrayList<>());
            return this;
        }

        /** Sets the values of one row; empty strings are dropped (missing). A categorical row takes at most one. */
        public Builder set(String name, int row, List<String> values) {
            Integer at = index.get(name);
            if (at == null) throw new IllegalArgumentException("undeclared field " + name);
            int f = at;
            List<String> clean = new ArrayList<>(values.size());
            for (String v : values) if (v != null && !v.isEmpty()) clean.add(v);
            if (kinds.get(f) == Field.Kind.CATEGORICAL && clean.size() > 1)
                throw new IllegalArgumentException("categorical field " + name + " takes one value per row, got " + clean);
            List<List<String>> column = cells.get(f);
            while (column.size() <= row) column.add(List.of());
            column.set(row, List.copyOf(clean));
            return this;
        }

        public Builder set(String name, int row, String value) {
            return set(name, row, value == null ? List.of() : List.of(value));
        }

        /** The table for rows 0 … rows − 1. */
        public FeatureTable build(int rows) {
            List<Field> fields = new ArrayList<>();
            int[][] off = new int[names.size()][], ids = new int[names.size()][];
            for (int f = 0; f < names.size(); f++) {
                List<List<String>> column = cells.get(f);
                if (column.size() > rows) throw new IllegalArgumentException("field " + names.get(f) + " has values for row " + (column.size() - 1) + " of " + rows);
                Set<String> seen = new HashSet<>();
                for (List<String> c : column) seen.addAll(c);
                Vocabulary vocab;
                List<String> order = declaredOrder.get(f);
                if (order == null) vocab = Vocabulary.sorted(seen);
                else {
                    List<String> all = new ArrayList<>(order);
                    List<String> extra = new ArrayList<>(new java.util.TreeSet<>(seen));
                    extra.removeAll(order);
                    all.addAll(extra);
                    vocab = Vocabulary.ordered(all);
                }
                Field field = new Field(names.get(f), kinds.get(f), vocab);
                fields.add(field);
                boolean single = field.kind() == Field.Kind.CATEGORICAL;
                int total = 0;
                for (List<String> c : column) total += c.size();
                if (single) total = rows;
                off[f] = new int[rows + 1];
                ids[f] = new int[total];
                int at = 0;
                for (int r = 0; r < rows; r++) {
                    List<String> c = r < column.size() ? column.get(r) : List.of();
                    if (single) ids[f][at++] = c.isEmpty() ? Vocabulary.UNKNOWN : vocab.idOf(c.get(0));
                    else for (String v : c) ids[f][at++] = vocab.idOf(v);
                    off[f][r + 1] = at;
                }
            }
            return new FeatureTable(rows, fields, off, ids);
        }
    }
}
