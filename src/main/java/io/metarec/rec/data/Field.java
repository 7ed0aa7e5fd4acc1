package io.metarec.rec.data;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One user or item feature: its name, whether a row holds exactly one value ({@link Kind#CATEGORICAL},
 * e.g. gender) or any number ({@link Kind#MULTI}, e.g. genres), and its vocabulary.
 */
public record Field(String name, Kind kind, Vocabulary vocabulary) {
    public enum Kind {
        /** Exactly one value per row; a missing value is {@link Vocabulary#UNKNOWN}. */
        CATEGORICAL,
        /** Zero or more values per row, written in files separated by {@link #MULTI_SEPARATOR}. */
        MULTI
    }

    /** Separator of the values of a multi-valued field in a file cell, e.g. {@code Comedy|Drama}. */
    public static final char MULTI_SEPARATOR = '|';
    /** Field names: letters, digits, '_' and '-', so they can name embedding tables. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9_\\-]+");

    public Field {
        if (name == null || !NAME.matcher(name).matches())
            throw new IllegalArgumentException("field name must be letters, digits, '_' or '-', got " + (name == null ? "null" : DataFormatException.quote(name)));
        if (kind == null || vocabulary == null) throw new IllegalArgumentException("field " + name + ": kind and vocabulary are required");
    }

    public boolean multiValued() { return kind == Kind.MULTI; }

    /**
     * The ids of a raw cell as it would appear in a feature file: a categorical cell gives one id
     * (0 when empty or unseen); a multi-valued cell is split on {@code |}, empty parts dropped, each
     * part mapped (unseen → 0). Used to encode a new user's or item's features at recommendation time.
     */
    public int[] encode(String cell) {
        if (kind == Kind.CATEGORICAL) return new int[] {vocabulary.idOf(cell == null ? null : cell.trim())};
        List<String> parts = splitMulti(cell);
        int[] ids = new int[parts.size()];
        for (int k = 0; k < ids.length; k++) ids[k] = vocabulary.idOf(parts.get(k));
        return ids;
    }

    /** A multi-valued cell split on {@code |}, parts trimmed, empty parts dropped, duplicates kept once. */
    static List<String> splitMulti(String cell) {
        if (cell == null) return new ArrayList<>();
        java.util.Set<String> out = new java.util.LinkedHashSet<>(); // first occurrence kept, in linear time
        int start = 0;
        for (int i = 0; i <= cell.length(); i++) {
            if (i == cell.length() || cell.charAt(i) == MULTI_SEPARATOR) {
                String p = cell.substring(start, i).trim();
                if (!p.isEmpty()) out.add(p);
                start = i + 1;
            }
        }
        return new ArrayList<>(out);
    }
}
