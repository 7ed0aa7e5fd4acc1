package io.metarec.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.metarec.backend.Buffer;
import io.metarec.util.EnginePool;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinTask;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * VectorGemm against the scalar oracle: every transpose combination at awkward sizes (tile edges,
 * k and column blocks, more rows than a row block), the MeLU shapes, batches, and bitwise equality
 * across thread counts (also when called from inside a pool worker, as meta-batch tasks do).
 */
class GemmParityTest {
    private static final int[] SIZES = {1, 3, 7, 13, 17, 31, 64, 100, 127, 257};
    /**
     * (m, k, n): the MeLU products (DESIGN §7) and larger ones crossing the MC, KC and NC blocks;
     * few rows with whole vectors of columns (B read in place: at and around
     * {@link VectorGemm#IN_PLACE_MAX_ROWS}, across KC and NC).
     */
    private static final int[][] SHAPES = {
        {20, 256, 64}, {100, 256, 64}, {64, 100, 256}, {100, 64, 256}, {100, 64, 64}, {10, 40, 40},
        {3200, 256, 64}, {1023, 67, 129}, {31, 300, 1029}, {7, 1, 1100}, {100, 64, 1}, {1, 64, 100},
        {24, 257, 64}, {25, 64, 64}, {13, 300, 1040}, {2, 5, 16}};

    private final ScalarBackend scalar = new ScalarBackend();
    private final VectorBackend vector = new VectorBackend();
    private int threadsBefore;

    @BeforeEach void rememberThreads() { threadsBefore = EnginePool.threads(); }

    @AfterEach void restore() {
        VectorGemm.parallelMinFmas = VectorGemm.PARALLEL_MIN_FMAS;
        EnginePool.setThreads(threadsBefore);
    }

    @ParameterizedTest(name = "ta={0} tb={1}")
    @CsvSource({"false,false", "false,true", "true,false", "true,true"})
    void awkwardSizesMatchScalar(boolean ta, boolean tb) {
        EnginePool.setThreads(1);
        SplittableRandom rnd = new SplittableRandom(1234 + (ta ? 2 : 0) + (tb ? 1 : 0));
        int checked = 0;
        for (int m : SIZES) {
            for (int n : SIZES) {
                for (int k : SIZES) {
                    // Every (m, n) pair meets every k where the product is cheap; the big corner is sampled.
                    if ((long) m * n * k > 200_000 && rnd.nextInt(8) != 0) continue;
                    compare(ta, tb, 1, m, n, k, rnd);
                    checked++;
                }
            }
        }
        assertTrue(checked > 600, "too few shapes checked: " + checked);
    }

    @ParameterizedTest(name = "ta={0} tb={1}")
    @CsvSource({"false,false", "false,true", "true,false", "true,true"})
    void workloadAndBlockCrossingShapesMatchScalar(boolean ta, boolean tb) {
        EnginePool.setThreads(1);
        SplittableRandom rnd = new SplittableRandom(99);
        for (int[] s : SHAPES) compare(ta, tb, 1, s[0], s[2], s[1], rnd);
    }

    @ParameterizedTest(name = "ta={0} tb={1}")
    @CsvSource({"false,false", "false,true", "true,false", "true,true"})
    void batchesMatchScalar(boolean ta, boolean tb) {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int threads : new int[] {1, 2}) {
            EnginePool.setThreads(threads);
            VectorGemm.parallelMinFmas = 1; // split even these small batches over the pool
            for (int[] s : new int[][] {{3, 7, 13}, {17, 31, 3}, {20, 256, 64}, {13, 100, 127}}) {
                compare(ta, tb, 3, s[0], s[2], s[1], rnd);
            }
        }
    }

    /**
     * Every element of C is one fused multiply-add chain over k from zero (per block of KC, the
     * blocks' chains then added in order), bitwise, whatever tile it falls in: so the tile shape
     * (the panel width {@link VectorGemm#NVP}, 2 or 4 vectors by CPU) cannot change a result. Edges
     * of rows (not a multiple of 6) and of columns (not of a vector or a panel) included.
     */
    @ParameterizedTest(name = "ta={0} tb={1}")
    @CsvSource({"false,false", "false,true", "true,false", "true,true"})
    void everyElementIsOneMultiplyAddChainOverK(boolean ta, boolean tb) {
        SplittableRandom rnd = new SplittableRandom(7);
        int[][] shapes = {{3706, 256, 64}, {97, 256, 64}, {13, 64, 64}, {7, 33, 70}, {1, 128, 33}, {25, 300, 17}, {6, 513, 9},
            {37, 64, 1}, {23, 600, 1}, {29, 70, 1}, {19, 300, 1}, {1682, 64, 1}, {9, 1, 70}, {1, 1, 1}}; // n = 1 and k = 1 take their own paths (k's tails: 70, 300)
        for (int[] s : shapes) {
            int m = s[0], k = s[1], n = s[2];
            float[] a = random(m * k, rnd), b = random(k * n, rnd);
            a[0] = 0f; // zero products of either sign: a chain starts from +0, so its first one is +0
            if (a.length > 1) a[1] = -0f;
            float[] got = vectorGemm(ta, tb, 1, m, n, k, a, b), want = new float[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    float c = 0f;
                    for (int p0 = 0; p0 < k; p0 += VectorGemm.KC) {
                        float block = 0f;
                        for (int p = p0; p < Math.min(k, p0 + VectorGemm.KC); p++)
                            block = Math.fma(ta ? a[p * m + i] : a[i * k + p], tb ? b[j * k + p] : b[p * n + j], block);
                        c = p0 == 0 ? block : c + block;
                    }
                    want[i * n + j] = c;
                }
            assertBitwise(want, got, "chain, panel of " + VectorGemm.NVP + " vectors, " + shape(ta, tb, 1, m, n, k));
        }
    }

    @ParameterizedTest(name = "ta={0} tb={1}")
    @CsvSource({"false,false", "false,true", "true,false", "true,true"})
    void resultsAreBitwiseIdenticalForOneAndTwoThreads(boolean ta, boolean tb) {
        SplittableRandom rnd = new SplittableRandom(42);
        List<int[]> shapes = new ArrayList<>(List.of(SHAPES));
        shapes.add(new int[] {257, 257, 257});
        shapes.add(new int[] {127, 13, 31});
        for (int[] s : shapes) {
            for (int batch : new int[] {1, 3}) {
                int m = s[0], k = s[1], n = s[2];
                if ((long) batch * m * n * k > 60_000_000L) continue;
                float[] a = random(batch * m * k, rnd), b = random(batch * k * n, rnd);
                EnginePool.setThreads(1);
                VectorGemm.parallelMinFmas = VectorGemm.PARALLEL_MIN_FMAS;
                float[] one = vectorGemm(ta, tb, batch, m, n, k, a, b);
                EnginePool.setThreads(2);
                VectorGemm.parallelMinFmas = 1; // force the tile split even below the production threshold
                float[] two = vectorGemm(ta, tb, batch, m, n, k, a, b);
                assertBitwise(one, two, "threads 1 vs 2, " + shape(ta, tb, batch, m, n, k));
                VectorGemm.parallelMinFmas = VectorGemm.PARALLEL_MIN_FMAS;
                float[] prod = vectorGemm(ta, tb, batch, m, n, k, a, b);
                assertBitwise(one, prod, "threads 1 vs 2 at the production threshold, " + shape(ta, tb, batch, m, n, k));
            }
        }
    }

    @Test
    void insidePoolWorkersTheSplitStaysDeterministic() {
        // Meta-batch tasks run on the same pool and call GEMM there: it must fork, not deadlock, and agree.
        EnginePool.setThreads(2);
        VectorGemm.parallelMinFmas = 1;
        SplittableRandom rnd = new SplittableRandom(5);
        int m = 100, k = 64, n = 257;
        float[] a = random(m * k, rnd), b = random(k * n, rnd);
        float[] expected = vectorGemm(false, false, 1, m, n, k, a, b);
        List<ForkJoinTask<float[]>> tasks = new ArrayList<>();
        for (int t = 0; t < 6; t++) tasks.add(EnginePool.pool().submit(() -> vectorGemm(false, false, 1, m, n, k, a, b)));
        for (ForkJoinTask<float[]> t : tasks) assertBitwise(expected, t.join(), "GEMM run inside a pool worker");
    }

    @Test
    void emptyInnerDimensionGivesZeros() {
        float[] c = new float[12];
        java.util.Arrays.fill(c, Float.NaN);
        VectorGemm.gemm(false, false, 3, 4, 0, new float[0], 0, new float[0], 0, c, 0);
        assertArrayEquals(new float[12], c);
    }

    @Test
    void toleranceCatchesAWrongElement() {
        // The bound below is tight enough that one misplaced product term fails it.
        SplittableRandom rnd = new SplittableRandom(3);
        int m = 13, n = 17, k = 100;
        float[] a = random(m * k, rnd), b = random(k * n, rnd);
        a[0] = 0.9f; // c[0, 5] gets the term a[0, 0]·b[0, 5]
        b[5] = -0.8f;
        float[] want = scalarGemm(false, false, 1, m, n, k, a, b), got = vectorGemm(false, false, 1, m, n, k, a, b);
        float[] bound = bound(false, false, 1, m, n, k, a, b);
        got[5] += a[0] * b[5]; // as if p = 0 had been counted twice
        assertTrue(firstViolation(want, got, bound) == 5, "a doubled term must exceed the tolerance");
    }

    // ---- helpers ------------------------------------------------------------------------------

    private void compare(boolean ta, boolean tb, int batch, int m, int n, int k, SplittableRandom rnd) {
        float[] a = random(batch * m * k, rnd), b = random(batch * k * n, rnd);
        float[] want = scalarGemm(ta, tb, batch, m, n, k, a, b), got = vectorGemm(ta, tb, batch, m, n, k, a, b);
        int bad = firstViolation(want, got, bound(ta, tb, batch, m, n, k, a, b));
        if (bad >= 0) {
            fail(shape(ta, tb, batch, m, n, k) + ": element " + bad + " (batch " + bad / (m * n) + ", row "
                    + bad % (m * n) / n + ", col " + bad % n + ") vector " + got[bad] + " vs scalar " + want[bad]);
        }
    }

    /**
     * Per-element tolerance 2·γ·Σ_p |a_ip|·|b_pj| with γ = (k+1)·u·1.01, u = 2⁻²⁴. Any order of
     * float32 accumulation of k products has |computed − exact| ≤ γ_k·Σ|a_ip·b_pj| (Higham, Accuracy
     * and Stability, §3.1; fused multiply-adds only tighten it); the vector kernel adds at most one
     * more rounding per k block of 256, covered by the +1 and the 1% slack for k < 2¹⁶. Two results
     * each within that of the exact sum differ by at most twice it. Σ|a||b| is itself computed by the
     * scalar oracle on |A|, |B|, whose relative error (≤ k·u) the slack absorbs.
     */
    private float[] bound(boolean ta, boolean tb, int batch, int m, int n, int k, float[] a, float[] b) {
        float[] s = scalarGemm(ta, tb, batch, m, n, k, abs(a), abs(b));
        double g = 2 * (k + 1) * Math.ulp(1.0f) / 2 * 1.01;
        for (int i = 0; i < s.length; i++) s[i] = (float) (s[i] * g) + Float.MIN_NORMAL;
        return s;
    }

    private static int firstViolation(float[] want, float[] got, float[] bound) {
        for (int i = 0; i < want.length; i++) {
            if (!(Math.abs(want[i] - got[i]) <= bound[i])) return i;
        }
        return -1;
    }

    private float[] scalarGemm(boolean ta, boolean tb, int batch, int m, int n, int k, float[] a, float[] b) {
        Buffer c = scalar.allocate(batch * m * n);
        scalar.gemm(ta, tb, batch, m, n, k, new HeapBuffer(a), new HeapBuffer(b), c);
        return HeapBuffer.of(c);
    }

    private float[] vectorGemm(boolean ta, boolean tb, int batch, int m, int n, int k, float[] a, float[] b) {
        float[] c = new float[batch * m * n];
        java.util.Arrays.fill(c, Float.NaN); // every element must be written
        vector.gemm(ta, tb, batch, m, n, k, new HeapBuffer(a), new HeapBuffer(b), new HeapBuffer(c));
        return c;
    }

    private static void assertBitwise(float[] want, float[] got, String what) {
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                fail(what + ": element " + i + " differs, " + want[i] + " vs " + got[i]);
            }
        }
    }

    private static float[] random(int size, SplittableRandom rnd) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return x;
    }

    private static float[] abs(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = Math.abs(x[i]);
        return y;
    }

    private static String shape(boolean ta, boolean tb, int batch, int m, int n, int k) {
        return "gemm ta=" + ta + " tb=" + tb + " batch=" + batch + " m=" + m + " n=" + n + " k=" + k
                + " (" + VectorBackend.vectorBits() + "-bit, " + EnginePool.threads() + " thread(s))";
    }
}
