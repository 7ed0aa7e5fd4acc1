package io.metarec.backend;

import io.metarec.backend.cpu.ScalarBackend;
import io.metarec.backend.cpu.VectorBackend;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * VectorBackend against the ScalarBackend oracle for every kernel except gemm (GemmParityTest),
 * on random inputs at awkward sizes (vector bodies, scalar tails, single elements) and with special
 * values mixed in.
 *
 * <p>Agreed semantics (the scalar reference in {@link Unary#apply} / {@link Binary#apply}; every
 * backend must match them):
 * <ul>
 *   <li>NaN propagates through arithmetic, relu, leaky_relu, clamp, max/min (binary and reduce):
 *       relu(NaN) = NaN, as PyTorch — a NaN must reach the loss to be detected, not be hidden as 0;</li>
 *   <li>comparisons with NaN are false: greater/equal give 0, step gives its "below" value,
 *       relu_grad passes 0, in_range gives 0;</li>
 *   <li>relu(−0) = +0; max/min order −0 below +0 (Math.max / Math.min);</li>
 *   <li>affine is one fused multiply-add, fma(p1, x, p2) (as a GPU computes p1·x + p2).</li>
 * </ul>
 * Tolerances: every kernel is bitwise equal to the oracle (NaN payloads aside), except
 * <ul>
 *   <li>exp, log, tanh, sigmoid, softplus: a backend may use its own float approximations (a GPU's
 *       expf, a vector polynomial) while the oracle rounds the double result, so they may differ by
 *       {@link #TRANSCENDENTAL_ULPS} ulps — or by less than {@code Float.MIN_NORMAL} in the
 *       subnormal range (a float exp that overflows gives sigmoid 0 where the oracle is subnormal);
 *       infinities, NaNs and exact zeros must match exactly. (Today the vector backend computes these
 *       with the scalar loop, so they are bitwise equal; DeterminismTest says why.)</li>
 *   <li>reduce SUM over contiguous rows (inner == 1), which the vector backend reassociates
 *       (lane-wise partial sums, then the lanes in a fixed order): bitwise on inputs whose sums are exact in any order, and within the
 *       rigorous reassociation bound n·2⁻²³·Σ|x| on random floats.</li>
 * </ul>
 */
class BackendParityTest {
    static final Backend S = new ScalarBackend();
    static final Backend V = new VectorBackend();
    static final int[] SIZES = {1, 3, 7, 13, 31, 127, 1023, 4099};
    static final float[] SPECIAL = {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 1f, -1f,
            Float.MIN_VALUE, -Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 88.8f, -88.8f, 1e-30f, -104f};
    static final Set<Unary> TRANSCENDENTAL = EnumSet.of(Unary.EXP, Unary.LOG, Unary.TANH, Unary.SIGMOID, Unary.SOFTPLUS);
    /** With the Vector API's lanewise EXP/LOG/TANH/LOG1P (JDK 25, Zen 4, 512-bit) the worst seen was 1 ulp (softplus), 2 (sigmoid). */
    static final int TRANSCENDENTAL_ULPS = 4;
    static final boolean REPORT = System.getenv("PARITY_REPORT") != null;

    // ---- inputs ---------------------------------------------------------------------------------

    /** Gaussian·scale values with ~1 in 12 replaced by a special value (at random positions, tails included). */
    static float[] values(SplittableRandom r, int n, double scale, boolean specials) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = specials && r.nextInt(12) == 0 ? SPECIAL[r.nextInt(SPECIAL.length)] : (float) (r.nextGaussian() * scale);
        }
        if (specials && n > 1) x[n - 1] = SPECIAL[r.nextInt(SPECIAL.length)]; // always one in the scalar tail
        return x;
    }

    static float[] run(Backend be, int outLength, java.util.function.Consumer<Buffer> kernel) {
        Buffer out = be.allocate(outLength);
        kernel.accept(out);
        return be.download(out);
    }

    // ---- comparisons ----------------------------------------------------------------------------

    static void assertBitwise(String what, float[] ref, float[] got) {
        assertEquals(ref.length, got.length, what + ": length");
        for (int i = 0; i < ref.length; i++) {
            if (Float.floatToIntBits(ref[i]) != Float.floatToIntBits(got[i]))
                fail(String.format(Locale.ROOT, "%s: element %d of %d differs: scalar %s (0x%08x), vector %s (0x%08x)", what, i, ref.length,
                        ref[i], Float.floatToRawIntBits(ref[i]), got[i], Float.floatToRawIntBits(got[i])));
        }
    }

    static void assertUlps(String what, float[] ref, float[] got, float[] input, int ulps) {
        assertEquals(ref.length, got.length, what + ": length");
        double worst = 0;
        for (int i = 0; i < ref.length; i++) {
            float a = ref[i], b = got[i];
            if (Float.floatToIntBits(a) == Float.floatToIntBits(b)) continue;
            boolean special = Float.isNaN(a) || Float.isNaN(b) || Float.isInfinite(a) || Float.isInfinite(b) || a == 0 && b == 0;
            double diff = Math.abs((double) a - b), inUlps = diff / Math.ulp(a);
            if (!special && diff < Float.MIN_NORMAL) continue; // subnormal band
            if (special || inUlps > ulps)
                fail(String.format(Locale.ROOT, "%s: element %d (input %s): scalar %s, vector %s (%.1f ulps; %d allowed)", what, i,
                        input == null ? "?" : input[i], a, b, inUlps, ulps));
            worst = Math.max(worst, inUlps);
        }
        if (REPORT) System.out.printf(Locale.ROOT, "parity %-40s worst %.1f ulps%n", what, worst);
    }

    // ---- unary ----------------------------------------------------------------------------------

    /** The scalar parameters each op is exercised with (ops that take none ignore them). */
    static float[] params(Unary op) {
        return switch (op) {
            case POW -> new float[] {2.5f, 0f};
            case AFFINE -> new float[] {1.7f, -0.3f};
            case LEAKY_RELU -> new float[] {0.1f, 0f};
            case STEP -> new float[] {0.25f, 0f};
            case CLAMP, IN_RANGE -> new float[] {-0.5f, 0.7f};
            default -> new float[] {0f, 0f};
        };
    }

    @TestFactory
    List<DynamicTest> unary() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Unary op : Unary.values()) {
            tests.add(DynamicTest.dynamicTest(op.name(), () -> {
                SplittableRandom r = new SplittableRandom(op.ordinal() + 100);
                for (int n : SIZES) {
                    for (double scale : new double[] {1, 30}) { // small values, and values that overflow exp
                        float[] x = values(r, n, scale, true);
                        float[] p = params(op);
                        float[] ref = run(S, n, out -> S.unary(op, S.upload(x), out, p[0], p[1]));
                        float[] got = run(V, n, out -> V.unary(op, V.upload(x), out, p[0], p[1]));
                        String what = op + " n=" + n + " scale " + scale;
                        if (TRANSCENDENTAL.contains(op)) assertUlps(what, ref, got, x, TRANSCENDENTAL_ULPS);
                        else assertBitwise(what, ref, got);
                    }
                }
            }));
        }
        return tests;
    }

    /** The special values themselves, through every unary op, spelled out: the documented semantics. */
    @Test
    void specialValueSemantics() {
        float nan = Float.NaN;
        for (Backend be : List.of(S, V)) {
            // 16 elements so the vector path (not only the scalar tail) sees them on 512-bit species
            float[] x = {nan, -0f, 0f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 2f, -2f, nan, nan, nan, nan, nan, nan, nan, nan, nan};
            float[] relu = run(be, x.length, out -> be.unary(Unary.RELU, be.upload(x), out, 0, 0));
            assertTrue(Float.isNaN(relu[0]), be.name() + ": relu(NaN) must be NaN");
            assertEquals(Float.floatToIntBits(0f), Float.floatToIntBits(relu[1]), be.name() + ": relu(-0) must be +0");
            assertEquals(Float.POSITIVE_INFINITY, relu[4]);
            assertEquals(0f, relu[3]);
            float[] clamp = run(be, x.length, out -> be.unary(Unary.CLAMP, be.upload(x), out, -1, 1));
            assertTrue(Float.isNaN(clamp[0]), be.name() + ": clamp(NaN) must be NaN");
            assertEquals(-1f, clamp[3]);
            assertEquals(1f, clamp[4]);
            float[] step = run(be, x.length, out -> be.unary(Unary.STEP, be.upload(x), out, 0.25f, 0));
            assertEquals(0.25f, step[0], be.name() + ": step(NaN) takes the below value");
            float[] gt = run(be, x.length, out -> be.binary(Binary.GT, be.upload(x), be.upload(x), out, Broadcast.of("gt", new int[] {16}, new int[] {16})));
            float[] eq = run(be, x.length, out -> be.binary(Binary.EQ, be.upload(x), be.upload(x), out, Broadcast.of("eq", new int[] {16}, new int[] {16})));
            assertEquals(0f, gt[0]);
            assertEquals(0f, eq[0], be.name() + ": NaN == NaN is false");
            assertEquals(1f, eq[1], be.name() + ": -0 == +0 is true");
            float[] mx = run(be, 1, out -> be.reduce(Reduce.MAX, be.upload(x), out, 1, 16, 1));
            assertTrue(Float.isNaN(mx[0]), be.name() + ": max over a row with NaN is NaN");
        }
    }

    // ---- binary with broadcast ------------------------------------------------------------------

    /** Shape pairs around size n: elementwise, scalars, bias row, column, outer product, 3-D middle axis. */
    static int[][][] shapePairs(int n) {
        return new int[][][] {
                {{n}, {n}}, {{n}, {}}, {{}, {n}}, {{3, n}, {n}}, {{3, n}, {3, 1}}, {{n, 1}, {1, 7}}, {{1, 5}, {n, 1}},
                {{2, n, 3}, {2, 1, 3}}, {{2, 1, 3}, {2, n, 3}}, {{n, 3, 1}, {1, 3, 5}}, {{2, 3, n}, {3, 1}}, {{1, 1}, {2, n}}};
    }

    @TestFactory
    List<DynamicTest> binary() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Binary op : Binary.values()) {
            tests.add(DynamicTest.dynamicTest(op.name(), () -> {
                SplittableRandom r = new SplittableRandom(op.ordinal() + 200);
                for (int n : SIZES) {
                    for (int[][] p : shapePairs(n)) {
                        Broadcast plan = Broadcast.of(op.name(), p[0], p[1]);
                        float[] a = values(r, Shapes.size(p[0]), 2, true), b = values(r, Shapes.size(p[1]), 2, true);
                        if (op == Binary.EQ) for (int i = 0; i < Math.min(a.length, b.length); i += 2) b[i] = a[i]; // some equal
                        float[] ref = run(S, plan.size, out -> S.binary(op, S.upload(a), S.upload(b), out, plan));
                        float[] got = run(V, plan.size, out -> V.binary(op, V.upload(a), V.upload(b), out, plan));
                        assertBitwise(op + " " + Arrays.toString(p[0]) + " with " + Arrays.toString(p[1]) + " " + plan, ref, got);
                    }
                }
            }));
        }
        return tests;
    }

    /** The oracle itself against a direct NumPy-style loop, so plan collapsing cannot hide a wrong stride. */
    @Test
    void broadcastPlansIndexLikeNumPy() {
        SplittableRandom r = new SplittableRandom(5);
        for (int[][] p : shapePairs(13)) {
            Broadcast plan = Broadcast.of("add", p[0], p[1]);
            float[] a = values(r, Shapes.size(p[0]), 1, false), b = values(r, Shapes.size(p[1]), 1, false);
            float[] got = run(S, plan.size, out -> S.binary(Binary.SUB, S.upload(a), S.upload(b), out, plan));
            int[] out = plan.outShape;
            int[] idx = new int[out.length];
            for (int flat = 0; flat < plan.size; flat++) {
                int rem = flat;
                for (int d = out.length - 1; d >= 0; d--) {
                    idx[d] = rem % out[d];
                    rem /= out[d];
                }
                float want = a[offset(p[0], idx)] - b[offset(p[1], idx)];
                assertEquals(want, got[flat], "plan " + plan + " at " + Arrays.toString(idx));
            }
        }
    }

    static int offset(int[] shape, int[] outIdx) {
        int off = 0, lead = outIdx.length - shape.length;
        for (int d = 0; d < shape.length; d++) off = off * shape[d] + (shape[d] == 1 ? 0 : outIdx[lead + d]);
        return off;
    }

    // ---- expand, where ----------------------------------------------------------------------------

    @Test
    void expand() {
        SplittableRandom r = new SplittableRandom(3);
        for (int n : SIZES) {
            int[][][] cases = {{{n}, {3, n}}, {{n, 1}, {n, 5}}, {{}, {n}}, {{2, 1, n}, {2, 3, n}}, {{1, n}, {4, n}}, {{n, 1, 1}, {n, 2, 3}}};
            for (int[][] c : cases) {
                Broadcast plan = Broadcast.expand("expand", c[0], c[1]);
                float[] x = values(r, Shapes.size(c[0]), 1, true);
                float[] ref = run(S, plan.size, out -> S.expand(S.upload(x), out, plan));
                float[] got = run(V, plan.size, out -> V.expand(V.upload(x), out, plan));
                assertBitwise("expand " + Arrays.toString(c[0]) + " to " + Arrays.toString(c[1]), ref, got);
            }
        }
    }

    @Test
    void where() {
        SplittableRandom r = new SplittableRandom(4);
        for (int n : SIZES) {
            float[] c = values(r, n, 1, true), a = values(r, n, 1, true), b = values(r, n, 1, true);
            for (int i = 0; i < n; i += 3) c[i] = 0f;
            float[] ref = run(S, n, out -> S.where(S.upload(c), S.upload(a), S.upload(b), out));
            float[] got = run(V, n, out -> V.where(V.upload(c), V.upload(a), V.upload(b), out));
            assertBitwise("where n=" + n, ref, got);
            for (int i = 0; i < n; i++) assertEquals(Float.floatToIntBits(c[i] != 0 ? a[i] : b[i]), Float.floatToIntBits(ref[i]));
        }
    }

    // ---- reduce -----------------------------------------------------------------------------------

    @TestFactory
    List<DynamicTest> reduce() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Reduce op : Reduce.values()) {
            tests.add(DynamicTest.dynamicTest(op.name(), () -> {
                SplittableRandom r = new SplittableRandom(op.ordinal() + 300);
                for (int n : SIZES) {
                    for (int[] oi : new int[][] {{1, 1}, {3, 1}, {1, 5}, {2, 7}, {5, 33}}) {
                        int outer = oi[0], inner = oi[1], len = outer * n * inner;
                        String what = op + " [" + outer + ", " + n + ", " + inner + "]";
                        // (1) multiples of 1/8 in [-1, 1]: every partial sum is exact, so any order agrees bitwise
                        float[] exact = new float[len];
                        for (int i = 0; i < len; i++) exact[i] = r.nextInt(-8, 9) / 8f;
                        assertBitwise(what + " exact sums", reduce(S, op, exact, outer, n, inner), reduce(V, op, exact, outer, n, inner));
                        // (2) random floats (with specials for max/min)
                        float[] x = values(r, len, 3, op != Reduce.SUM);
                        float[] ref = reduce(S, op, x, outer, n, inner), got = reduce(V, op, x, outer, n, inner);
                        if (op == Reduce.SUM && inner == 1) {
                            for (int o = 0; o < outer; o++) {
                                double abs = 0;
                                for (int j = 0; j < n; j++) abs += Math.abs(x[o * n + j]);
                                double bound = n * 0x1p-23 * abs;
                                assertTrue(Math.abs(ref[o] - got[o]) <= bound, what + " row " + o + ": scalar " + ref[o] + ", vector " + got[o]
                                        + " differ by more than the reassociation bound " + bound);
                            }
                        } else {
                            assertBitwise(what, ref, got); // same order (inner > 1), or order-free (max, min)
                        }
                    }
                }
                // n = 0 gives the identity
                assertBitwise(op + " empty", reduce(S, op, new float[0], 2, 0, 3), reduce(V, op, new float[0], 2, 0, 3));
                assertBitwise(op + " empty rows", reduce(S, op, new float[0], 2, 0, 1), reduce(V, op, new float[0], 2, 0, 1));
            }));
        }
        return tests;
    }

    static float[] reduce(Backend be, Reduce op, float[] x, int outer, int n, int inner) {
        return run(be, outer * inner, out -> be.reduce(op, be.upload(x), out, outer, n, inner));
    }

    // ---- transpose, copy2d ------------------------------------------------------------------------

    @Test
    void transpose() {
        SplittableRandom r = new SplittableRandom(6);
        int[][] shapes = {{1, 1, 4099}, {1, 4099, 1}, {3, 13, 31}, {2, 127, 7}, {1, 1023, 3}, {2, 31, 127}, {1, 33, 65}, {4, 7, 1}};
        for (int[] s : shapes) {
            float[] x = values(r, s[0] * s[1] * s[2], 1, true);
            float[] ref = run(S, x.length, out -> S.transpose(S.upload(x), out, s[0], s[1], s[2]));
            float[] got = run(V, x.length, out -> V.transpose(V.upload(x), out, s[0], s[1], s[2]));
            assertBitwise("transpose " + Arrays.toString(s), ref, got);
            assertEquals(Float.floatToIntBits(x[s[2] - 1]), Float.floatToIntBits(ref[(s[2] - 1) * s[1]]), "oracle: x[0, last] → out[last, 0]");
        }
    }

    @Test
    void copy2d() {
        SplittableRandom r = new SplittableRandom(7);
        for (int cols : SIZES) {
            int rows = 5, srcStride = cols + 3, dstStride = cols + 11, srcOff = 2, dstOff = 7;
            float[] src = values(r, srcOff + rows * srcStride, 1, true), dst = values(r, dstOff + rows * dstStride, 1, false);
            Buffer ds = S.upload(dst), dv = V.upload(dst);
            S.copy2d(S.upload(src), srcOff, srcStride, ds, dstOff, dstStride, rows, cols);
            V.copy2d(V.upload(src), srcOff, srcStride, dv, dstOff, dstStride, rows, cols);
            assertBitwise("copy2d cols=" + cols, S.download(ds), V.download(dv));
        }
    }

    // ---- indexing ---------------------------------------------------------------------------------

    @Test
    void gatherAndScatterRows() {
        SplittableRandom r = new SplittableRandom(8);
        for (int cols : SIZES) {
            int tableRows = 13;
            for (int count : new int[] {1, 7, 40}) {
                int[] ids = new int[count];
                for (int i = 0; i < count; i++) ids[i] = r.nextInt(tableRows);
                ids[count - 1] = ids[0]; // a duplicate
                Indices idx = Indices.of(ids);
                float[] table = values(r, tableRows * cols, 1, true);
                float[] ref = run(S, count * cols, out -> S.gatherRows(S.upload(table), cols, idx, out));
                float[] got = run(V, count * cols, out -> V.gatherRows(V.upload(table), cols, idx, out));
                assertBitwise("gatherRows cols=" + cols + " count=" + count, ref, got);

                float[] src = values(r, count * cols, 1, false);
                for (boolean inProgress : new boolean[] {false, true}) { // out holds zeros, or a sum in progress
                    float[] init = inProgress ? values(r, tableRows * cols, 1, false) : new float[tableRows * cols];
                    Buffer os = S.upload(init), ov = V.upload(init);
                    S.scatterAddRows(S.upload(src), cols, idx, os);
                    V.scatterAddRows(V.upload(src), cols, idx, ov);
                    assertBitwise("scatterAddRows cols=" + cols + " count=" + count + (inProgress ? " onto a partial sum" : ""), S.download(os), V.download(ov));
                }
            }
        }
    }

    @Test
    void segmentMeanAndExpand() {
        SplittableRandom r = new SplittableRandom(9);
        for (int cols : SIZES) {
            // empty first, middle and last segments; singletons; long ones
            int[][] offsetSets = {{0, 0, 2, 2, 3, 9, 9}, {0, 1}, {0, 0}, {0, 5, 6, 6, 40}, {0, 3, 3, 3, 4, 4}};
            for (int[] o : offsetSets) {
                Indices offsets = Indices.of(o);
                int rows = o[o.length - 1], segs = o.length - 1;
                float[] x = values(r, rows * cols, 1, true);
                float[] ref = run(S, segs * cols, out -> S.segmentMean(S.upload(x), cols, offsets, out));
                float[] got = run(V, segs * cols, out -> V.segmentMean(V.upload(x), cols, offsets, out));
                String what = "cols=" + cols + " offsets " + Arrays.toString(o);
                assertBitwise("segmentMean " + what, ref, got);
                for (int s = 0; s < segs; s++)
                    if (o[s] == o[s + 1]) for (int c = 0; c < cols; c++) assertEquals(0f, ref[s * cols + c], "empty segment gives zeros");

                float[] g = values(r, segs * cols, 1, true);
                float[] refE = run(S, rows * cols, out -> S.segmentExpandMean(S.upload(g), cols, offsets, out));
                float[] gotE = run(V, rows * cols, out -> V.segmentExpandMean(V.upload(g), cols, offsets, out));
                assertBitwise("segmentExpandMean " + what, refE, gotE);
            }
        }
    }

    // ---- random, fill -----------------------------------------------------------------------------

    @Test
    void randomIsBitwiseEqual() {
        for (Distribution d : Distribution.values()) {
            for (int n : SIZES) {
                for (long[] ss : new long[][] {{0, 0}, {42, 7}, {-1, -1}, {0x123456789abcdefL, Long.MIN_VALUE}}) {
                    float[] ref = run(S, n, out -> S.random(d, ss[0], ss[1], -0.5f, 2f, out));
                    float[] got = run(V, n, out -> V.random(d, ss[0], ss[1], -0.5f, 2f, out));
                    assertBitwise(d + " n=" + n + " seed " + ss[0] + " stream " + ss[1], ref, got);
                }
            }
        }
    }

    /**
     * acc += x in place: every backend gives a[i] + x[i] bit for bit, including the vector backend's
     * split over the engine pool for large buffers (1 and 2 threads) and the primitive default.
     */
    @Test
    void accumulateAddsInPlace() {
        // Backend's default accumulate (binary add, then copy back) over the scalar kernels
        Backend byPrimitives = (Backend) java.lang.reflect.Proxy.newProxyInstance(Backend.class.getClassLoader(),
                new Class<?>[] {Backend.class}, (proxy, m, args) -> m.getName().equals("accumulate")
                        ? java.lang.reflect.InvocationHandler.invokeDefault(proxy, m, args) : m.invoke(S, args));
        int threads = io.metarec.util.EnginePool.threads();
        try {
            for (int t : new int[] {1, 2}) {
                io.metarec.util.EnginePool.setThreads(t);
                for (int n : new int[] {0, 1, 17, 4099, 65536, 65537 + 31, 458401}) {
                    SplittableRandom r = new SplittableRandom(n);
                    float[] a = values(r, n, 1, true), x = values(r, n, 1e-3, true), want = new float[n];
                    for (int i = 0; i < n; i++) want[i] = a[i] + x[i];
                    for (Backend be : List.of(S, V, byPrimitives)) {
                        Buffer acc = be.upload(a);
                        be.accumulate(acc, be.upload(x));
                        assertBitwise("accumulate " + be.name() + " n=" + n + " threads=" + t, want, be.download(acc));
                    }
                }
            }
        } finally {
            io.metarec.util.EnginePool.setThreads(threads);
        }
        assertThrows(IllegalArgumentException.class, () -> V.accumulate(V.allocate(3), V.allocate(4)));
        assertTrue(S.hostResident() && V.hostResident(), "the CPU backends are host-resident");
    }

    @Test
    void fillAndMemory() {
        for (int n : SIZES) {
            assertBitwise("fill " + n, run(S, n, out -> S.fill(out, -3.25f)), run(V, n, out -> V.fill(out, -3.25f)));
            assertBitwise("zeros " + n, S.download(S.zeros(n)), V.download(V.zeros(n)));
            float[] data = values(new SplittableRandom(n), n, 1, true);
            Buffer b = V.upload(data);
            data[0] = 12345f; // upload copies
            float[] back = V.download(b);
            assertTrue(back[0] != 12345f || n == 0, "upload must copy its argument");
            back[0] = 54321f; // download copies
            assertTrue(V.download(b)[0] != 54321f, "download must return a copy");
        }
    }
}
