package io.metarec.util;

import java.util.SplittableRandom;

/** Seeded Fisher–Yates shuffles: one implementation for task order, splits and generated data. */
public final class Shuffle {
    private Shuffle() {}

    /** Shuffles {@code a} in place. */
    public static void inPlace(int[] a, SplittableRandom r) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** A random permutation of 0 … n − 1. */
    public static int[] permutation(int n, SplittableRandom r) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        inPlace(a, r);
        return a;
    }
}
