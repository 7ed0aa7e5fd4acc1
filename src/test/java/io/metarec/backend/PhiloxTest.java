package io.metarec.backend;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Philox 4x32-10: known answers from Random123, statistics of the uniform and normal draws, and
 * the counter-based property (element i depends only on seed, stream and i).
 */
class PhiloxTest {

    /**
     * Random123's tests/kat_vectors, the three "philox4x32 10" lines (counter words, key words, output):
     * <pre>
     * 00000000 00000000 00000000 00000000  00000000 00000000  6627e8d5 e169c58d bc57ac4c 9b00dbd8
     * ffffffff ffffffff ffffffff ffffffff  ffffffff ffffffff  408f276d 41c83b0e a20bc7c6 6d5451fd
     * 243f6a88 85a308d3 13198a2e 03707344  a4093822 299f31d0  d16cfe09 94fdcceb 5001e420 24126ea1
     * </pre>
     * Our layout (see {@link Philox}): counter = (block low, block high, stream low, stream high),
     * key = (seed low, seed high), so every KAT is expressible through {@link Philox#block}.
     */
    @Test
    void knownAnswersFromRandom123() {
        assertBlock(0L, 0L, 0L, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8);
        assertBlock(-1L, -1L, -1L, 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd);
        assertBlock(0x299f31d0_a4093822L, 0x03707344_13198a2eL, 0x85a308d3_243f6a88L, 0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1);
    }

    static void assertBlock(long seed, long stream, long block, int... expected) {
        int[] out = new int[4];
        Philox.block(seed, stream, block, out);
        assertArrayEquals(expected, out, () -> String.format(Locale.ROOT, "seed %x stream %x block %x: got %08x %08x %08x %08x",
                seed, stream, block, out[0], out[1], out[2], out[3]));
    }

    @Test
    void elementDependsOnlyOnSeedStreamAndPosition() {
        for (Distribution d : Distribution.values()) {
            for (int n : new int[] {1, 2, 3, 4, 5, 7, 13, 1023}) {
                float[] a = new float[n], b = new float[n + 5];
                Philox.fill(d, 99, 3, 0f, 1f, a, n);
                Philox.fill(d, 99, 3, 0f, 1f, b, n + 5);
                assertArrayEquals(a, Arrays.copyOf(b, n), d + ": a fill of " + n + " must be the prefix of a fill of " + (n + 5));
            }
            float[] base = fill(d, 7, 1, 64), again = fill(d, 7, 1, 64), otherStream = fill(d, 7, 2, 64), otherSeed = fill(d, 8, 1, 64);
            assertArrayEquals(base, again, "same (seed, stream) must repeat");
            assertTrue(differing(base, otherStream) > 60, d + ": another stream must give other numbers");
            assertTrue(differing(base, otherSeed) > 60, d + ": another seed must give other numbers");
        }
    }

    /** Block b of the generator is what fill uses at positions 4b..4b+3 (the documented layout). */
    @Test
    void fillUsesTheDocumentedCounterLayout() {
        float[] u = fill(Distribution.UNIFORM, 0x1234_5678_9abcL, 0xfeedL, 40);
        int[] w = new int[4];
        for (int b = 0; b < 10; b++) {
            Philox.block(0x1234_5678_9abcL, 0xfeedL, b, w);
            for (int j = 0; j < 4; j++) assertEquals(Philox.unit(w[j]), u[4 * b + j], "position " + (4 * b + j));
        }
    }

    @Test
    void uniformStatistics() {
        int n = 1 << 20;
        float[] u = fill(Distribution.UNIFORM, 2024, 0, n);
        double sum = 0, sq = 0;
        int[] bins = new int[16];
        float min = 1, max = 0;
        for (float x : u) {
            assertTrue(x >= 0f && x < 1f, "uniform draw outside [0, 1): " + x);
            sum += x;
            sq += (double) x * x;
            bins[(int) (x * 16)]++;
            min = Math.min(min, x);
            max = Math.max(max, x);
        }
        double mean = sum / n, var = sq / n - mean * mean;
        assertEquals(0.5, mean, 5 * Math.sqrt(1.0 / 12 / n), "mean");
        assertEquals(1.0 / 12, var, 5 * Math.sqrt(1.0 / 180 / n), "variance"); // sd of the sample variance: sqrt((μ₄ − σ⁴)/n), μ₄ − σ⁴ = 1/180
        double chi2 = 0, e = n / 16.0;
        for (int c : bins) chi2 += (c - e) * (c - e) / e;
        assertTrue(chi2 < 45, "chi-square over 16 bins (15 dof; p < 1e-4 above 45): " + chi2); // NOTE: fixed seed, so deterministic
        assertTrue(min < 1e-4 && max > 1 - 1e-4, "range covered: " + min + " … " + max);

        float[] scaled = fill(Distribution.UNIFORM, 5, 5, 4096, -3f, 5f);
        for (float x : scaled) assertTrue(x >= -3f && x < 5f, "U[-3, 5) draw " + x);
    }

    @Test
    void normalStatistics() {
        int n = 1 << 20;
        float[] z = fill(Distribution.NORMAL, 2024, 0, n);
        double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
        int beyond3 = 0, beyond4 = 0;
        for (float x : z) {
            assertTrue(Float.isFinite(x), "normal draw not finite: " + x);
            double v = x;
            s1 += v;
            s2 += v * v;
            s3 += v * v * v;
            s4 += v * v * v * v;
            if (Math.abs(v) > 3) beyond3++;
            if (Math.abs(v) > 4) beyond4++;
            // u1 ≥ 2⁻²⁴, so |z| ≤ sqrt(−2 ln 2⁻²⁴) ≈ 5.77
            assertTrue(Math.abs(v) < 5.8, "normal draw " + v + " beyond the Box–Muller bound");
        }
        double mean = s1 / n, var = s2 / n - mean * mean;
        assertEquals(0, mean, 5 / Math.sqrt(n), "mean");
        assertEquals(1, var, 5 * Math.sqrt(2.0 / n), "variance");
        assertEquals(0, s3 / n, 5 * Math.sqrt(15.0 / n), "skewness");
        assertEquals(3, s4 / n, 5 * Math.sqrt(96.0 / n), "kurtosis");
        double p3 = 0.0026997960632601866, p4 = 6.334248366623996e-5;
        assertEquals(p3 * n, beyond3, 5 * Math.sqrt(p3 * n), "draws beyond 3σ");
        assertEquals(p4 * n, beyond4, 5 * Math.sqrt(p4 * n), "draws beyond 4σ");

        float[] shifted = fill(Distribution.NORMAL, 2024, 0, 1000, 3f, 0.5f);
        for (int i = 0; i < 1000; i++) assertEquals(Math.fma(0.5f, z[i], 3f), shifted[i], "N(3, 0.5²) is 3 + 0.5·z");
    }

    /** The hand-written float log and sine/cosine polynomials stay within a few ulps of the exact Box–Muller. */
    @Test
    void boxMullerMatchesDoublePrecision() {
        int[] w = new int[4];
        float[] z = new float[2];
        double worst = 0;
        for (long b = 0; b < 50_000; b++) {
            Philox.block(11, 0, b, w);
            for (int j = 0; j < 4; j += 2) {
                Philox.normalPair(w[j], w[j + 1], z);
                double r = Math.sqrt(-2 * Math.log(Philox.unitOpen(w[j]))), t = 2 * Math.PI * Philox.unit(w[j + 1]);
                double z0 = r * Math.cos(t), z1 = r * Math.sin(t);
                worst = Math.max(worst, Math.max(Math.abs(z[0] - z0), Math.abs(z[1] - z1)));
            }
        }
        assertTrue(worst < 2e-6, "float Box–Muller vs double: worst absolute error " + worst);
        for (float x : new float[] {Float.MIN_NORMAL, 1e-30f, 0x1p-24f, 0.1f, 0.5f, 0.70710677f, 0.9999999f, 1f}) {
            double exact = Math.log(x), err = Math.abs(Philox.ln(x) - exact) / Math.ulp((float) exact == 0 ? 1e-7f : (float) exact);
            assertTrue(exact == 0 ? Philox.ln(x) == 0f : err <= 2, "ln(" + x + ") = " + Philox.ln(x) + ", exact " + exact + " (" + err + " ulps)");
        }
    }

    @Test
    void unitBounds() {
        assertEquals(0f, Philox.unit(0));
        assertTrue(Philox.unit(-1) < 1f);
        assertTrue(Philox.unitOpen(0) > 0f);
        assertEquals(1f, Philox.unitOpen(-1));
        assertFalse(Float.isInfinite(Philox.ln(Philox.unitOpen(0))));
    }

    static float[] fill(Distribution d, long seed, long stream, int n) {
        return fill(d, seed, stream, n, 0f, 1f); // U[0, 1) or N(0, 1)
    }

    static float[] fill(Distribution d, long seed, long stream, int n, float p1, float p2) {
        float[] out = new float[n];
        Philox.fill(d, seed, stream, p1, p2, out, n);
        return out;
    }

    static int differing(float[] a, float[] b) {
        int n = 0;
        for (int i = 0; i < a.length; i++) if (a[i] != b[i]) n++;
        return n;
    }
}
