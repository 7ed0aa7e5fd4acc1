package io.metarec.backend;

import java.util.Arrays;

/**
 * An immutable array of non-negative int indices (embedding ids, segment offsets, class targets).
 * The range is computed once so that every op can validate its indices in O(1); a backend that
 * keeps indices in device memory caches its copy in {@link #deviceCopy}.
 */
public final class Indices {
    private final int[] values;
    private final int min;
    private final int max;
    /** Backend-private cache (for example a device pointer); set at most once per backend. */
    public volatile Object deviceCopy;

    private Indices(int[] values) {
        this.values = values;
        int lo = Integer.MAX_VALUE, hi = Integer.MIN_VALUE;
        for (int v : values) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        this.min = values.length == 0 ? 0 : lo;
        this.max = values.length == 0 ? -1 : hi;
    }

    /** Copies {@code values}. */
    public static Indices of(int... values) {
        return new Indices(values.clone());
    }

    /** Takes ownership of {@code values}: the caller must not modify the array afterwards. */
    public static Indices wrap(int[] values) {
        return new Indices(values);
    }

    public int length() { return values.length; }
    public int get(int i) { return values[i]; }
    public int min() { return min; }
    /** Largest value, or -1 when empty. */
    public int max() { return max; }
    /** The backing array; read only. */
    public int[] array() { return values; }

    /** Position of the first value outside [0, bound), or -1 when all are inside. */
    public int firstOutOfRange(int bound) {
        if (min >= 0 && max < bound) return -1;
        for (int i = 0; i < values.length; i++) if (values[i] < 0 || values[i] >= bound) return i;
        return -1;
    }

    @Override public String toString() {
        return values.length <= 8 ? Arrays.toString(values)
                : Arrays.toString(Arrays.copyOf(values, 8)).replace("]", ", …] (" + values.length + ")");
    }
}
