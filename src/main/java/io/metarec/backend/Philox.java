package io.metarec.backend;

/**
 * Philox 4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011): a
 * counter-based generator, so the value at position i is a pure function of (seed, stream, i).
 * Every backend produces the same bits; CUDA runs the same arithmetic per thread.
 *
 * <p>Layout: element i comes from word i % 4 of block i / 4, whose counter is
 * (block low, block high, stream low, stream high) under key (seed low, seed high).
 * Uniform floats take the top 24 bits: u = (w &gt;&gt;&gt; 8) · 2⁻²⁴ ∈ [0, 1). Normals use Box–Muller on
 * word pairs (0,1) and (2,3) of a block, with a log and sin/cos written as explicit fma polynomials
 * (see {@link #normalPair}) so the float result is identical on every IEEE-754 device.
 */
public final class Philox {
    private static final int M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    private Philox() {}

    /** The four 32-bit words of block {@code block} for (seed, stream), written to out[0..3]. */
    public static void block(long seed, long stream, long block, int[] out) {
        int c0 = (int) block, c1 = (int) (block >>> 32), c2 = (int) stream, c3 = (int) (stream >>> 32);
        int k0 = (int) seed, k1 = (int) (seed >>> 32);
        for (int r = 0; r < 10; r++) {
            if (r > 0) {
                k0 += W0;
                k1 += W1;
            }
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int hi0 = (int) (p0 >>> 32), lo0 = (int) p0, hi1 = (int) (p1 >>> 32), lo1 = (int) p1;
            c0 = hi1 ^ c1 ^ k0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ k1;
            c3 = lo0;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }

    /** Uniform in [0, 1) from the top 24 bits of a word. */
    public static float unit(int word) {
        return (word >>> 8) * 0x1p-24f;
    }

    /** Uniform in (0, 1]: never 0, so its log is finite. */
    public static float unitOpen(int word) {
        return ((word >>> 8) + 1) * 0x1p-24f;
    }

    /** Fills out[0..n) with draws from the distribution at positions [0, n) of (seed, stream). */
    public static void fill(Distribution d, long seed, long stream, float p1, float p2, float[] out, int n) {
        int[] w = new int[4];
        float[] z = new float[2];
        for (int i = 0; i < n; i += 4) {
            block(seed, stream, i >>> 2, w);
            int m = Math.min(4, n - i);
            if (d == Distribution.UNIFORM) {
                for (int j = 0; j < m; j++) out[i + j] = p1 + (p2 - p1) * unit(w[j]);
            } else {
                for (int j = 0; j < m; j += 2) {
                    normalPair(w[j], w[j + 1], z);
                    out[i + j] = Math.fma(p2, z[0], p1);
                    if (j + 1 < m) out[i + j + 1] = Math.fma(p2, z[1], p1);
                }
            }
        }
    }

    /**
     * Box–Muller: r = sqrt(−2 ln u1), (z0, z1) = (r cos 2πu2, r sin 2πu2), u1 ∈ (0, 1], u2 ∈ [0, 1).
     * Only +, ×, fma, sqrt and exact bit operations are used, all correctly rounded in IEEE-754, so
     * a CUDA kernel that spells out the same fma sequence produces identical bits.
     */
    public static void normalPair(int w1, int w2, float[] z) {
        float r = (float) Math.sqrt(-2f * ln(unitOpen(w1)));
        float u = unit(w2);
        // Range-reduce the angle in turns: u = q/4 + t with t in [-1/8, 1/8] (exact in float).
        float q = (float) Math.floor(u * 4f + 0.5f);
        float t = u - q * 0.25f;
        float x = t * 6.2831855f; // 2πt in [-π/4, π/4]
        float x2 = x * x;
        float s = Math.fma(Math.fma(Math.fma(Math.fma(2.7557319e-6f, x2, -1.9841270e-4f), x2, 8.3333333e-3f), x2, -1.6666667e-1f), x2 * x, x);
        float c = Math.fma(Math.fma(Math.fma(Math.fma(2.4801587e-5f, x2, -1.3888889e-3f), x2, 4.1666668e-2f), x2, -0.5f), x2, 1f);
        float cos, sin;
        switch (((int) q) & 3) {
            case 0 -> { cos = c; sin = s; }
            case 1 -> { cos = -s; sin = c; }
            case 2 -> { cos = -c; sin = -s; }
            default -> { cos = s; sin = -c; }
        }
        z[0] = r * cos;
        z[1] = r * sin;
    }

    /** Natural log for x in (0, 1], accurate to about 1 ulp, from exact exponent extraction and an fma series. */
    static float ln(float x) {
        int bits = Float.floatToRawIntBits(x);
        int e = ((bits >>> 23) & 0xFF) - 127;
        float m = Float.intBitsToFloat((bits & 0x007FFFFF) | 0x3F800000); // [1, 2)
        if (m > 1.4142135f) { // keep m in [√½, √2) so the series converges fast
            m *= 0.5f;
            e += 1;
        }
        float f = (m - 1f) / (m + 1f);
        float f2 = f * f;
        float p = Math.fma(Math.fma(Math.fma(Math.fma(0.11111111f, f2, 0.14285715f), f2, 0.2f), f2, 0.33333334f), f2, 1f);
        float lnm = 2f * f * p;
        return Math.fma(e, 0.6931472f, lnm);
    }
}
