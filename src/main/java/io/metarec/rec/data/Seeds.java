package io.metarec.rec.data;

/** Deterministic seed derivation: independent-looking streams from one user-given seed. */
public final class Seeds {
    private Seeds() {}

    /** SplitMix64's finalizer: a bijection that spreads nearby inputs far apart. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A seed for the sub-stream named by {@code keys} (e.g. a purpose tag, a user index). */
    public static long derive(long seed, long... keys) {
        long z = mix(seed);
        for (long k : keys) z = mix(z + 0x9E3779B97F4A7C15L + mix(k));
        return z;
    }
}
