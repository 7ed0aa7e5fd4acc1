package io.metarec.backend;

import java.util.Arrays;

/**
 * How two operands map onto an output under NumPy broadcasting, collapsed to as few dimensions as
 * possible: adjacent output dimensions merge when each operand is either contiguous in both or
 * broadcast (stride 0) in both. A kernel then walks {@link #dims} with one stride per operand and
 * dimension; the innermost dimension is the long one it vectorizes.
 *
 * <pre>
 *   a [64, 32] + b [32]    → dims [64, 32], a strides [32, 1], b strides [0, 1]
 *   a [64, 32] − b [64, 1] → dims [64, 32], a strides [32, 1], b strides [1, 0]
 *   a [5, 7]   · b [5, 7]  → dims [35],     a strides [1],     b strides [1]
 * </pre>
 */
public final class Broadcast {
    /** The full output shape. */
    public final int[] outShape;
    /** Collapsed output dimensions (at least one). */
    public final int[] dims;
    public final int[] aStrides;
    public final int[] bStrides;
    /** Number of output elements. */
    public final int size;

    private Broadcast(int[] outShape, int[] dims, int[] aStrides, int[] bStrides) {
        this.outShape = outShape;
        this.dims = dims;
        this.aStrides = aStrides;
        this.bStrides = bStrides;
        this.size = Shapes.size(outShape);
    }

    /** The plan for {@code a op b}; throws when the shapes do not broadcast. */
    public static Broadcast of(String op, int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = dim(a, i, rank), db = dim(b, i, rank);
            if (da != db && da != 1 && db != 1)
                throw new ShapeException(op + ": shapes " + Shapes.str(a) + " and " + Shapes.str(b)
                        + " do not broadcast (dimension " + i + " of the result: " + da + " vs " + db + ")");
            out[i] = da == 1 ? db : da;
        }
        return plan(out, a, b);
    }

    /** The plan for copying {@code x} into the larger {@code target} shape (b is unused). */
    public static Broadcast expand(String op, int[] x, int[] target) {
        if (x.length > target.length) throw new ShapeException(op + ": cannot expand " + Shapes.str(x) + " to " + Shapes.str(target));
        for (int i = 0; i < target.length; i++) {
            int dx = dim(x, i, target.length);
            if (dx != target[i] && dx != 1)
                throw new ShapeException(op + ": cannot expand " + Shapes.str(x) + " to " + Shapes.str(target));
        }
        return plan(target.clone(), x, target);
    }

    private static int dim(int[] s, int i, int rank) {
        int j = i - (rank - s.length);
        return j < 0 ? 1 : s[j];
    }

    private static Broadcast plan(int[] out, int[] a, int[] b) {
        int rank = out.length;
        // Per output dim: is each operand broadcast along it? Size-1 output dims are dropped.
        int[] d = new int[rank];
        boolean[] ab = new boolean[rank], bb = new boolean[rank];
        int n = 0;
        for (int i = 0; i < rank; i++) {
            if (out[i] == 1) continue;
            boolean aB = dim(a, i, rank) == 1, bB = dim(b, i, rank) == 1;
            if (n > 0 && ab[n - 1] == aB && bb[n - 1] == bB) {
                d[n - 1] *= out[i];
            } else {
                d[n] = out[i];
                ab[n] = aB;
                bb[n] = bB;
                n++;
            }
        }
        if (n == 0) return new Broadcast(out, new int[] {1}, new int[] {0}, new int[] {0});
        int[] dims = Arrays.copyOf(d, n);
        return new Broadcast(out, dims, strides(dims, ab), strides(dims, bb));
    }

    private static int[] strides(int[] dims, boolean[] broadcast) {
        int[] s = new int[dims.length];
        int stride = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            if (broadcast[i]) {
                s[i] = 0;
            } else {
                s[i] = stride;
                stride *= dims[i];
            }
        }
        return s;
    }

    /** True when both operands are plain contiguous arrays of the output's size. */
    public boolean isElementwise() {
        return dims.length == 1 && aStrides[0] == 1 && bStrides[0] == 1;
    }

    @Override public String toString() {
        return "Broadcast" + Arrays.toString(dims) + " a" + Arrays.toString(aStrides) + " b" + Arrays.toString(bStrides);
    }
}
