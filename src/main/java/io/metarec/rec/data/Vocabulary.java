package io.metarec.rec.data;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The values of one feature field and their ids. Id {@value #UNKNOWN} is reserved for "unknown or
 * missing", so a value never seen when the vocabulary was built (a cold item's new director) still
 * maps to a valid embedding row; known values have ids 1 … {@code size() − 1}. Immutable.
 */
public final class Vocabulary {
    /** The id of a missing value or of a value outside the vocabulary. */
    public static final int UNKNOWN = 0;
    /** How {@link #valueOf} shows id 0. */
    public static final String UNKNOWN_LABEL = "<unknown>";

    private final List<String> values; // values.get(id - 1)
    private final Map<String, Integer> ids;

    private Vocabulary(List<String> values) {
        this.values = List.copyOf(values);
        this.ids = new HashMap<>(values.size() * 2);
        for (int k = 0; k < values.size(); k++) {
            String v = values.get(k);
            if (v.isEmpty()) throw new IllegalArgumentException("a vocabulary value may not be empty (empty means missing)");
            if (ids.putIfAbsent(v, k + 1) != null) throw new IllegalArgumentException("duplicate vocabulary value " + DataFormatException.quote(v));
        }
    }

    /** Values in the given order get ids 1, 2, … (for fields with a natural order, such as age buckets). */
    public static Vocabulary ordered(Collection<String> values) {
        return new Vocabulary(new ArrayList<>(values));
    }

    /** Values sorted by {@link String#compareTo}, so ids do not depend on the order of the rows. */
    public static Vocabulary sorted(Collection<String> values) {
        return new Vocabulary(new ArrayList<>(new TreeSet<>(values)));
    }

    /** Number of ids, including the reserved id 0: the embedding table needs this many rows. */
    public int size() { return values.size() + 1; }

    /** The known values, in id order (id 1 first). */
    public List<String> values() { return values; }

    /** The id of {@code value}, or {@link #UNKNOWN} for a value not in the vocabulary (or empty / null). */
    public int idOf(String value) {
        if (value == null) return UNKNOWN;
        Integer id = ids.get(value);
        return id == null ? UNKNOWN : id;
    }

    public boolean contains(String value) { return ids.containsKey(value); }

    /** The value of {@code id}; {@link #UNKNOWN_LABEL} for id 0. */
    public String valueOf(int id) {
        if (id == UNKNOWN) return UNKNOWN_LABEL;
        if (id < 0 || id > values.size()) throw new IndexOutOfBoundsException("id " + id + " outside vocabulary of size " + size());
        return values.get(id - 1);
    }

    @Override public String toString() {
        return "Vocabulary" + values;
    }
}
