package io.metarec.backend;

import java.util.Arrays;

/** Small helpers for int[] shapes (row-major, last dimension contiguous). */
public final class Shapes {
    private Shapes() {}

    public static int size(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new ShapeException("negative dimension in shape " + str(shape));
            n *= d;
        }
        if (n > Integer.MAX_VALUE) throw new ShapeException("shape " + str(shape) + " has more than 2^31-1 elements");
        return (int) n;
    }

    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }

    /** Product of dims [from, to). */
    public static int prod(int[] shape, int from, int to) {
        int n = 1;
        for (int i = from; i < to; i++) n *= shape[i];
        return n;
    }
}
