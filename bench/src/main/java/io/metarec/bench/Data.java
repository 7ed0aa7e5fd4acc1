package io.metarec.bench;

import java.util.SplittableRandom;

/** Seeded benchmark inputs. */
final class Data {
    private Data() {}

    /** size floats uniform in [-1, 1). */
    static float[] uniform(int size, SplittableRandom rnd) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return x;
    }

    /** Parses "RxC" into {rows, cols}. */
    static int[] dims(String what, String s) {
        String[] d = s.split("x");
        if (d.length != 2) throw new IllegalArgumentException(what + " must be ROWSxCOLS, got '" + s + "'");
        return new int[] {Integer.parseInt(d[0]), Integer.parseInt(d[1])};
    }
}
