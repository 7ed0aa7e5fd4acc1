package io.metarec.backend.cuda;

import io.metarec.autograd.Autograd;
import io.metarec.autograd.Functional;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Backend;
import io.metarec.backend.Binary;
import io.metarec.backend.Broadcast;
import io.metarec.backend.Buffer;
import io.metarec.backend.Distribution;
import io.metarec.backend.Fused;
import io.metarec.backend.Indices;
import io.metarec.backend.MemoryScope;
import io.metarec.backend.Reduce;
import io.metarec.backend.Unary;
import io.metarec.backend.cpu.ScalarBackend;
import io.metarec.nn.Activation;
import io.metarec.nn.Linear;
import io.metarec.nn.Mlp;
import io.metarec.nn.Params;
import io.metarec.optim.Adam;
import io.metarec.optim.Sgd;
import io.metarec.verify.BundledReferences;
import io.metarec.verify.CaseResult;
import io.metarec.verify.ReferenceFile;
import io.metarec.verify.Verifier;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every CUDA kernel against the scalar oracle on random inputs at awkward sizes (with NaN, ±∞,
 * ±0 and subnormals mixed in), plus second-order MAML meta-gradients and the golden cases. Run by
 * {@link EmulatedCudaParityTest} (kernel bodies on the CPU, any machine with a C++ compiler) and
 * {@link GpuCudaParityTest} (a real GPU; skipped without one).
 *
 * <p>Exact ops must match bit for bit (NaNs match any NaN); transcendental unary ops, computed
 * in double as Java does, within 1 ulp; sums and products, whose order differs, within a bound
 * relative to the sum of magnitudes.
 */
abstract class CudaParityContract {
    static final int[] SIZES = {1, 3, 7, 13, 31, 127, 1023, 4099};
    static final Set<Unary> WITHIN_ONE_ULP = EnumSet.of(Unary.EXP, Unary.LOG, Unary.POW, Unary.SIGMOID, Unary.TANH,
            Unary.SOFTPLUS, Unary.SIN, Unary.COS);
    static final float[] SPECIALS = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, Float.MIN_VALUE,
            -1e-40f, Float.MAX_VALUE, -1e30f, 88.8f, -104f, 1f, -1f, 0.5f};

    final ScalarBackend cpu = new ScalarBackend();

    /** The backend under test. */
    abstract CudaBackend cuda();

    /** Largest GEMM side tested (the emulator is slow for big products). */
    int maxGemmSide() {
        return 1100;
    }

    // ---- data and comparisons ----------------------------------------------------------------

    static float[] data(int n, long seed, boolean specials) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextGaussian() * 2);
        if (specials) for (int i = 0; i < n; i += 5) x[i] = SPECIALS[r.nextInt(SPECIALS.length)];
        return x;
    }

    static void assertBitwise(String what, float[] want, float[] got) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            boolean same = Float.isNaN(want[i]) ? Float.isNaN(got[i]) : Float.floatToRawIntBits(want[i]) == Float.floatToRawIntBits(got[i]);
            if (!same) fail(what + ": element " + i + " is " + got[i] + ", the reference " + want[i]);
        }
    }

    static void assertWithinUlps(String what, float[] want, float[] got, int ulps) {
        for (int i = 0; i < want.length; i++) {
            if (Float.isNaN(want[i]) && Float.isNaN(got[i])) continue;
            if (Float.isInfinite(want[i]) || Float.isNaN(want[i]) || Float.isNaN(got[i])) {
                if (Float.compare(want[i], got[i]) != 0) fail(what + ": element " + i + " is " + got[i] + ", the reference " + want[i]);
                continue;
            }
            long d = Math.abs((long) ordered(want[i]) - ordered(got[i]));
            if (d > ulps) fail(what + ": element " + i + " is " + got[i] + ", the reference " + want[i] + " (" + d + " ulps apart)");
        }
    }

    private static int ordered(float x) {
        int b = Float.floatToRawIntBits(x);
        return b < 0 ? Integer.MIN_VALUE - b : b;
    }

    static void assertClose(String what, double[] want, float[] got, double[] tolerance) {
        for (int i = 0; i < want.length; i++) {
            if (!(Math.abs(want[i] - got[i]) <= tolerance[i]))
                fail(what + ": element " + i + " is " + got[i] + ", expected " + want[i] + " ± " + tolerance[i]);
        }
    }

    float[] run(Backend be, float[] in, java.util.function.BiConsumer<Buffer, Buffer> op, int outLength) {
        Buffer x = be.upload(in);
        Buffer out = be.allocate(outLength);
        op.accept(x, out);
        return be.download(out);
    }

    // ---- memory ------------------------------------------------------------------------------

    @Test void uploadDownloadFillAndZerosRoundTrip() {
        CudaBackend be = cuda();
        for (int n : SIZES) {
            float[] x = data(n, n, true);
            assertBitwise("upload/download " + n, x, be.download(be.upload(x)));
            Buffer b = be.allocate(n);
            be.fill(b, -0f);
            float[] z = be.download(b);
            for (float v : z) assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(v), "fill -0");
            assertArrayEquals(new float[n], be.download(be.zeros(n)));
        }
        assertEquals(0, be.download(be.upload(new float[0])).length);
    }

    @Test void scopesFreeWhatTheyOwnAndKeepWhatIsKept() {
        CudaBackend be = cuda();
        int before = be.heap().liveBlocks();
        Buffer kept, dropped;
        try (MemoryScope outer = be.openScope()) {
            try (MemoryScope inner = be.openScope()) {
                dropped = be.upload(new float[] {1, 2, 3});
                kept = be.allocate(3);
                be.unary(Unary.NEG, dropped, kept, 0, 0);
                inner.keep(kept);
                assertThrows(IllegalStateException.class, outer::close, "closing an outer scope before the inner one");
            }
            Buffer x = dropped;
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> be.download(x));
            assertTrue(e.getMessage().contains("freed"), e.getMessage());
            assertArrayEquals(new float[] {-1, -2, -3}, be.download(kept));
            outer.keep(kept); // outermost: now unscoped
        }
        assertArrayEquals(new float[] {-1, -2, -3}, be.download(kept));
        be.release(kept);
        assertThrows(IllegalStateException.class, () -> be.download(kept));
        assertEquals(before, be.heap().liveBlocks(), "every block allocated in the test is freed");
    }

    @Test void indicesAreUploadedOncePerScopeAndReuploadedAfterItCloses() {
        CudaBackend be = cuda();
        float[] table = data(10 * 4, 1, false);
        Indices ids = Indices.of(3, 1, 3, 9, 0);
        float[] want = run(cpu, table, (t, o) -> cpu.gatherRows(t, 4, ids, o), 20);
        Object firstCopy;
        try (MemoryScope s = be.openScope()) {
            assertBitwise("gather in a scope", want, run(be, table, (t, o) -> be.gatherRows(t, 4, ids, o), 20));
            firstCopy = ids.deviceCopy;
            assertBitwise("gather again", want, run(be, table, (t, o) -> be.gatherRows(t, 4, ids, o), 20));
            assertTrue(firstCopy == ids.deviceCopy, "the device copy is reused");
        }
        assertBitwise("gather after the scope closed", want, run(be, table, (t, o) -> be.gatherRows(t, 4, ids, o), 20));
        assertTrue(firstCopy != ids.deviceCopy, "a fresh device copy replaces the freed one");
    }

    // ---- elementwise -------------------------------------------------------------------------

    static float[][] unaryParams(Unary op) {
        return switch (op) {
            case POW -> new float[][] {{2, 0}, {0.5f, 0}, {3, 0}, {-1.5f, 0}};
            case AFFINE -> new float[][] {{1.7f, -0.3f}, {1, 0}, {-2, 0}};
            case LEAKY_RELU -> new float[][] {{0.1f, 0}};
            case STEP -> new float[][] {{0, 0}, {0.25f, 0}};
            case CLAMP, IN_RANGE -> new float[][] {{-0.5f, 0.7f}};
            default -> new float[][] {{0, 0}};
        };
    }

    @Test void everyUnaryOpMatchesTheReference() {
        CudaBackend be = cuda();
        for (Unary op : Unary.values()) {
            for (float[] p : unaryParams(op)) {
                for (int n : SIZES) {
                    float[] x = data(n, 31L * n + op.ordinal(), true);
                    float[] want = run(cpu, x, (a, o) -> cpu.unary(op, a, o, p[0], p[1]), n);
                    float[] got = run(be, x, (a, o) -> be.unary(op, a, o, p[0], p[1]), n);
                    String what = op + "(" + p[0] + ", " + p[1] + ") n=" + n;
                    if (WITHIN_ONE_ULP.contains(op)) assertWithinUlps(what, want, got, 1);
                    else assertBitwise(what, want, got);
                }
            }
        }
    }

    /** Operand shape pairs: elementwise, rows, columns, scalars, middle axes, rank 4. */
    static List<int[][]> broadcastShapes() {
        List<int[][]> s = new ArrayList<>();
        for (int n : SIZES) s.add(new int[][] {{n}, {n}});
        s.add(new int[][] {{13, 31}, {31}});
        s.add(new int[][] {{127, 33}, {33}});
        s.add(new int[][] {{13, 31}, {13, 1}});
        s.add(new int[][] {{1}, {1023}});
        s.add(new int[][] {{4099}, {1}});
        s.add(new int[][] {{2, 1, 7}, {2, 13, 7}});
        s.add(new int[][] {{2, 3, 4, 5}, {3, 1, 5}});
        s.add(new int[][] {{4, 1, 6}, {1, 5, 1}});
        s.add(new int[][] {{32, 20, 64}, {32, 1, 64}}); // per-task bias of a stacked meta-batch
        return s;
    }

    @Test void everyBinaryOpMatchesTheReferenceUnderBroadcasting() {
        CudaBackend be = cuda();
        for (Binary op : Binary.values()) {
            for (int[][] shapes : broadcastShapes()) {
                Broadcast plan = Broadcast.of(op.name(), shapes[0], shapes[1]);
                float[] a = data(io.metarec.backend.Shapes.size(shapes[0]), 7 + op.ordinal(), true);
                float[] b = data(io.metarec.backend.Shapes.size(shapes[1]), 11 + op.ordinal(), true);
                if (op == Binary.EQ) for (int i = 0; i < Math.min(a.length, b.length); i += 3) b[i] = a[i];
                float[] want = binary(cpu, op, a, b, plan), got = binary(be, op, a, b, plan);
                assertBitwise(op + " " + java.util.Arrays.deepToString(shapes), want, got);
            }
        }
    }

    static float[] binary(Backend be, Binary op, float[] a, float[] b, Broadcast plan) {
        Buffer out = be.allocate(plan.size);
        be.binary(op, be.upload(a), be.upload(b), out, plan);
        return be.download(out);
    }

    @Test void expandAndWhereMatchTheReference() {
        CudaBackend be = cuda();
        int[][][] cases = {{{31}, {13, 31}}, {{13, 1}, {13, 31}}, {{2, 1, 7}, {3, 2, 5, 7}}, {{1}, {4099}}, {{7}, {7}}};
        for (int[][] c : cases) {
            Broadcast plan = Broadcast.expand("expand", c[0], c[1]);
            float[] x = data(io.metarec.backend.Shapes.size(c[0]), 5, true);
            assertBitwise("expand " + java.util.Arrays.deepToString(c), run(cpu, x, (i, o) -> cpu.expand(i, o, plan), plan.size),
                    run(be, x, (i, o) -> be.expand(i, o, plan), plan.size));
        }
        for (int n : SIZES) {
            float[] cond = data(n, 1, true), a = data(n, 2, true), b = data(n, 3, true);
            for (int i = 0; i < n; i += 2) cond[i] = 0f;
            Buffer out = be.allocate(n);
            be.where(be.upload(cond), be.upload(a), be.upload(b), out);
            Buffer ref = cpu.allocate(n);
            cpu.where(cpu.upload(cond), cpu.upload(a), cpu.upload(b), ref);
            assertBitwise("where n=" + n, cpu.download(ref), be.download(out));
        }
    }

    @Test void transposeAndCopy2dMatchTheReference() {
        CudaBackend be = cuda();
        int[][] shapes = {{1, 1, 1}, {1, 7, 3}, {3, 31, 33}, {2, 127, 13}, {1, 1, 4099}, {1, 1023, 1}, {5, 32, 64}};
        for (int[] s : shapes) {
            int n = s[0] * s[1] * s[2];
            float[] x = data(n, n, true);
            assertBitwise("transpose " + java.util.Arrays.toString(s), run(cpu, x, (i, o) -> cpu.transpose(i, o, s[0], s[1], s[2]), n),
                    run(be, x, (i, o) -> be.transpose(i, o, s[0], s[1], s[2]), n));
        }
        // slice rows 2..7 of 13 columns out of [31, 13] into the middle of a [31, 20] buffer
        float[] src = data(31 * 13, 9, true);
        float[] want = run(cpu, src, (i, o) -> { cpu.fill(o, 0f); cpu.copy2d(i, 2, 13, o, 4, 20, 31, 6); }, 31 * 20);
        float[] got = run(be, src, (i, o) -> { be.fill(o, 0f); be.copy2d(i, 2, 13, o, 4, 20, 31, 6); }, 31 * 20);
        assertBitwise("copy2d", want, got);
    }

    @Test void accumulateAddsInPlaceAndFreesItsTemporary() {
        CudaBackend be = cuda();
        assertTrue(!be.hostResident(), "a device backend is not host-resident");
        for (int n : new int[] {1, 31, 4099}) {
            float[] a = data(n, n, true), x = data(n, n + 1, true), want = new float[n];
            for (int i = 0; i < n; i++) want[i] = a[i] + x[i];
            Buffer acc = be.upload(a), xb = be.upload(x);
            int live = be.heap().liveBlocks();
            be.accumulate(acc, xb);
            assertEquals(live, be.heap().liveBlocks(), "accumulate keeps no temporary");
            assertBitwise("accumulate " + n, want, be.download(acc));
            be.release(acc);
            be.release(xb);
        }
    }

    // ---- reductions --------------------------------------------------------------------------

    @Test void reductionsMatchTheReference() {
        CudaBackend be = cuda();
        int[][] outerInner = {{1, 1}, {3, 1}, {1, 7}, {13, 5}, {2, 33}};
        for (Reduce op : Reduce.values()) {
            for (int n : concat(SIZES, 0, 200)) {
                for (int[] oi : outerInner) {
                    int outer = oi[0], inner = oi[1], len = outer * n * inner;
                    float[] x = data(len, len + op.ordinal(), op != Reduce.SUM);
                    float[] want = run(cpu, x, (i, o) -> cpu.reduce(op, i, o, outer, n, inner), outer * inner);
                    float[] got = run(be, x, (i, o) -> be.reduce(op, i, o, outer, n, inner), outer * inner);
                    String what = op + " [" + outer + ", " + n + ", " + inner + "]";
                    if (op != Reduce.SUM) {
                        assertBitwise(what, want, got);
                        continue;
                    }
                    double[] exact = new double[outer * inner], tol = new double[outer * inner];
                    for (int p = 0; p < outer; p++)
                        for (int i = 0; i < inner; i++)
                            for (int j = 0; j < n; j++) {
                                double v = x[(p * n + j) * inner + i];
                                exact[p * inner + i] += v;
                                tol[p * inner + i] += 1e-5 * Math.abs(v);
                            }
                    assertClose(what, exact, got, tol);
                }
            }
        }
    }

    static int[] concat(int[] a, int... b) {
        int[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    // ---- GEMM --------------------------------------------------------------------------------

    List<int[]> gemmShapes() {
        List<int[]> s = new ArrayList<>(List.of(new int[] {1, 1, 1}, new int[] {3, 7, 13}, new int[] {13, 3, 7}, new int[] {31, 31, 31},
                new int[] {127, 33, 65}, new int[] {7, 5, 4099}, new int[] {20, 64, 256}, new int[] {64, 256, 20}, new int[] {5, 9, 0}));
        if (maxGemmSide() >= 1023) {
            s.add(new int[] {1023, 1023, 1023});
            s.add(new int[] {4099, 31, 127});
        }
        return s;
    }

    @Test void gemmMatchesTheReferenceForAllTransposes() {
        CudaBackend be = cuda();
        for (int[] s : gemmShapes())
            for (int batch : new int[] {1, 3})
                for (int f = 0; f < 4; f++) checkGemm(be, null, (f & 2) != 0, (f & 1) != 0, batch, s[0], s[1], s[2]);
    }

    /** C = op(A)·op(B) against a double-precision product, within 1e-5 of Σ|a||b| per element. */
    void checkGemm(CudaBackend be, GemmTile tile, boolean ta, boolean tb, int batch, int m, int n, int k) {
        float[] a = data(batch * m * k, 1 + m, false), b = data(batch * k * n, 2 + n, false);
        Buffer c = be.allocate(batch * m * n);
        be.gemm(tile, ta, tb, batch, m, n, k, be.upload(a), be.upload(b), c);
        float[] got = be.download(c);
        double[] exact = new double[batch * m * n], tol = new double[batch * m * n];
        // the reference reads rows of A ([m, k]) and of Bᵀ ([n, k]) contiguously: the strided loop
        // took two minutes for the 1023³ products a real GPU is checked on
        float[] rowA = new float[m * k], rowBt = new float[n * k];
        for (int t = 0; t < batch; t++) {
            for (int i = 0; i < m; i++)
                for (int p = 0; p < k; p++) rowA[i * k + p] = ta ? a[t * m * k + p * m + i] : a[t * m * k + i * k + p];
            for (int j = 0; j < n; j++)
                for (int p = 0; p < k; p++) rowBt[j * k + p] = tb ? b[t * k * n + j * k + p] : b[t * k * n + p * n + j];
            int task = t;
            java.util.stream.IntStream.range(0, m).parallel().forEach(i -> {
                for (int j = 0; j < n; j++) {
                    double acc = 0, mag = 0;
                    for (int p = 0; p < k; p++) {
                        double prod = (double) rowA[i * k + p] * rowBt[j * k + p];
                        acc += prod;
                        mag += Math.abs(prod);
                    }
                    exact[task * m * n + i * n + j] = acc;
                    tol[task * m * n + i * n + j] = 1e-5 * mag + 1e-30;
                }
            });
        }
        assertClose("gemm " + (tile == null ? "" : tile + " ") + (ta ? "t" : "n") + (tb ? "t" : "n") + " batch " + batch + " [" + m + ", "
                + n + ", " + k + "]", exact, got, tol);
    }

    // ---- indexing ----------------------------------------------------------------------------

    @Test void gatherAndScatterRowsMatchTheReference() {
        CudaBackend be = cuda();
        for (int n : SIZES) {
            // ~3 rows per destination, and a table of 2 rows (gender): thousands per destination,
            // past scatter_add_rows' blocks of rows loaded ahead
            for (int tableRows : new int[] {Math.max(3, n / 3), 2})
            for (int cols : new int[] {1, 7, 32, 33}) {
                Random r = new Random(n * 31L + cols + tableRows);
                int[] ids = new int[n];
                for (int i = 0; i < n; i++) ids[i] = r.nextInt(tableRows); // many duplicates
                Indices idx = Indices.of(ids);
                float[] table = data(tableRows * cols, n, true);
                String what = "n=" + n + " cols=" + cols + " table rows=" + tableRows;
                assertBitwise("gatherRows " + what, run(cpu, table, (t, o) -> cpu.gatherRows(t, cols, idx, o), n * cols),
                        run(be, table, (t, o) -> be.gatherRows(t, cols, idx, o), n * cols));
                float[] src = data(n * cols, n + 1, false), start = data(tableRows * cols, 3, false);
                assertBitwise("scatterAddRows " + what, scatter(cpu, src, cols, idx, start), scatter(be, src, cols, idx, start));
            }
        }
    }

    static float[] scatter(Backend be, float[] src, int cols, Indices ids, float[] start) {
        Buffer out = be.upload(start);
        be.scatterAddRows(be.upload(src), cols, ids, out);
        return be.download(out);
    }

    @Test void segmentMeansMatchTheReference() {
        CudaBackend be = cuda();
        for (int rows : SIZES) {
            for (int cols : new int[] {1, 7, 32}) {
                Random r = new Random(rows + cols);
                List<Integer> off = new ArrayList<>(List.of(0));
                while (off.get(off.size() - 1) < rows) off.add(Math.min(rows, off.get(off.size() - 1) + r.nextInt(5))); // empty segments too
                Indices offsets = Indices.of(off.stream().mapToInt(Integer::intValue).toArray());
                int segments = offsets.length() - 1;
                float[] x = data(rows * cols, rows, true);
                String what = rows + " rows, " + segments + " segments, " + cols + " cols";
                assertBitwise("segmentMean " + what, run(cpu, x, (i, o) -> cpu.segmentMean(i, cols, offsets, o), segments * cols),
                        run(be, x, (i, o) -> be.segmentMean(i, cols, offsets, o), segments * cols));
                float[] g = data(segments * cols, rows + 5, true);
                assertBitwise("segmentExpandMean " + what, run(cpu, g, (i, o) -> cpu.segmentExpandMean(i, cols, offsets, o), rows * cols),
                        run(be, g, (i, o) -> be.segmentExpandMean(i, cols, offsets, o), rows * cols));
            }
        }
    }

    // ---- random ------------------------------------------------------------------------------

    @Test void philoxDrawsAreBitIdenticalToTheCpu() {
        CudaBackend be = cuda();
        long[][] seedStreams = {{0, 0}, {42, 7}, {-1, Long.MIN_VALUE}, {0x9E3779B97F4A7C15L, 0xDEADBEEFCAFEBABEL}};
        float[][] params = {{0, 1}, {-3.5f, 2.25f}, {1e-3f, 1e3f}};
        for (Distribution d : Distribution.values())
            for (long[] ss : seedStreams)
                for (float[] p : params)
                    for (int n : concat(SIZES, 2, 4, 5, 8, 100_003)) {
                        Buffer c = cpu.allocate(n), g = be.allocate(n);
                        cpu.random(d, ss[0], ss[1], p[0], p[1], c);
                        be.random(d, ss[0], ss[1], p[0], p[1], g);
                        assertBitwise(d + " seed " + ss[0] + " stream " + ss[1] + " p " + p[0] + "," + p[1] + " n=" + n, cpu.download(c),
                                be.download(g));
                    }
    }

    // ---- fused optimizer kernels -------------------------------------------------------------

    /** The exact Adam step of a row-sparse gradient (Backend's default: densify, then the fused step) gives the CPU's bits. */
    @Test void rowSparseAdamStepMatchesTheCpu() {
        CudaBackend be = cuda();
        int rows = 37, cols = 5;
        io.metarec.backend.Indices ids = io.metarec.backend.Indices.wrap(new int[] {3, 0, 36, 17});
        AdamChain s = AdamChain.start(data(rows * cols, 3, false));
        for (int step = 1; step <= 3; step++) {
            float[] block = data(ids.length() * cols, 5L + step, false);
            Fused.AdamCoefficients c = Fused.AdamCoefficients.of(1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, step);
            Fused.AdamResult want = cpu.adamStepRows(cpu.upload(s.cp()), cols, ids, cpu.upload(block), s.cm() == null ? null : cpu.upload(s.cm()),
                    s.cv() == null ? null : cpu.upload(s.cv()), false, c);
            s = s.next("row-sparse adam step " + step, cpu, be, want, be.adamStepRows(be.upload(s.gp()), cols, ids, be.upload(block), s.gm(), s.gv(), true, c));
        }
    }

    /** An Adam step chain on both sides: the CPU's parameters and moments (host arrays), the device's (its parameters as host arrays, its moments in place). */
    record AdamChain(float[] cp, float[] cm, float[] cv, float[] gp, Buffer gm, Buffer gv) {
        static AdamChain start(float[] p) {
            return new AdamChain(p, null, null, p, null, null);
        }

        /** Asserts the device's step gave the CPU's bits, and carries both on. */
        AdamChain next(String what, ScalarBackend cpu, CudaBackend be, Fused.AdamResult want, Fused.AdamResult got) {
            assertBitwise(what + " param", cpu.download(want.param()), be.download(got.param()));
            assertBitwise(what + " m", cpu.download(want.m()), be.download(got.m()));
            assertBitwise(what + " v", cpu.download(want.v()), be.download(got.v()));
            return new AdamChain(cpu.download(want.param()), cpu.download(want.m()), cpu.download(want.v()), be.download(got.param()), got.m(), got.v());
        }
    }

    @Test void fusedAdamAndSgdStepsMatchTheirPrimitiveDefinition() {
        CudaBackend be = cuda();
        for (int n : SIZES) {
            float[] p = data(n, 1, false);
            for (float wd : new float[] {0f, 0.01f}) {
                for (float beta1 : new float[] {0.9f, 0f}) {
                    AdamChain s = AdamChain.start(p);
                    for (int step = 1; step <= 3; step++) {
                        float[] grad = data(n, step * 7L + n, false);
                        Fused.AdamCoefficients c = Fused.AdamCoefficients.of(1e-3f, beta1, 0.999f, 1e-8f, wd, step);
                        Fused.AdamResult want = Fused.adamByPrimitives(cpu, cpu.upload(s.cp()), cpu.upload(grad),
                                s.cm() == null ? null : cpu.upload(s.cm()), s.cv() == null ? null : cpu.upload(s.cv()), c);
                        s = s.next("adam n=" + n + " wd=" + wd + " beta1=" + beta1 + " step " + step, cpu, be, want,
                                be.adamStep(be.upload(s.gp()), be.upload(grad), s.gm(), s.gv(), c));
                    }
                }
            }
            for (float momentum : new float[] {0f, 0.9f}) {
                float[] cb = null, cp = p;
                Buffer gb = null, gpb = be.upload(p);
                for (int step = 1; step <= 3; step++) {
                    float[] grad = data(n, step * 13L + n, false);
                    Fused.SgdCoefficients c = new Fused.SgdCoefficients(0.05f, momentum, 0.001f);
                    Fused.SgdResult want = Fused.sgdByPrimitives(cpu, cpu.upload(cp), cpu.upload(grad), cb == null ? null : cpu.upload(cb), c);
                    Fused.SgdResult got = be.sgdStep(gpb, be.upload(grad), gb, c);
                    String what = "sgd n=" + n + " momentum=" + momentum + " step " + step;
                    assertBitwise(what + " param", cpu.download(want.param()), be.download(got.param()));
                    assertEquals(want.momentum() == null, got.momentum() == null, what + ": momentum buffer present");
                    if (want.momentum() != null) assertBitwise(what + " momentum", cpu.download(want.momentum()), be.download(got.momentum()));
                    cp = cpu.download(want.param());
                    cb = want.momentum() == null ? null : cpu.download(want.momentum());
                    gpb = got.param();
                    gb = got.momentum();
                }
            }
        }
    }

    @Test void optimizersGiveTheSameParametersAsOnTheCpu() {
        CudaBackend be = cuda();
        Params cpuParams = Params.empty().with("w", Tensor.of(cpu, data(37, 1, false), 37)).with("b", Tensor.of(cpu, data(5, 2, false), 5));
        Params gpuParams = Params.empty().with("w", cpuParams.get("w").to(be)).with("b", cpuParams.get("b").to(be));
        Adam cpuAdam = new Adam(1e-2f, 0.9f, 0.999f, 1e-8f, 1e-3f), gpuAdam = new Adam(1e-2f, 0.9f, 0.999f, 1e-8f, 1e-3f);
        Sgd cpuSgd = new Sgd(0.1f, 0.5f, 0f), gpuSgd = new Sgd(0.1f, 0.5f, 0f);
        for (int step = 0; step < 4; step++) {
            Params gc = Params.empty().with("w", Tensor.of(cpu, data(37, 10 + step, false), 37)).with("b", Tensor.of(cpu, data(5, 20 + step, false), 5));
            Params gg = Params.empty().with("w", gc.get("w").to(be)).with("b", gc.get("b").to(be));
            cpuParams = cpuSgd.step(cpuAdam.step(cpuParams, gc), gc);
            gpuParams = gpuSgd.step(gpuAdam.step(gpuParams, gg), gg);
            for (String name : cpuParams.names())
                assertBitwise("step " + step + " " + name, cpuParams.get(name).toArray(), gpuParams.get(name).toArray());
        }
    }

    // ---- through autograd --------------------------------------------------------------------

    /** Second-order MAML meta-gradients (K inner SGD steps with createGraph) agree with the CPU to 1e-4. */
    @Test void secondOrderMamlMetaGradientsMatchTheCpu() {
        Mlp net = new Mlp("net", new int[] {5, 16, 16, 1}, Activation.TANH);
        List<float[]> cpuGrads = mamlMetaGradient(cpu, net, 2, 0.05f);
        List<float[]> gpuGrads = mamlMetaGradient(cuda(), net, 2, 0.05f);
        assertRelativelyClose("MAML (one task)", cpuGrads, gpuGrads, 1e-4);
    }

    /** The stacked form: T tasks in one graph, per-task fast weights [T, in, out] via batched GEMM. */
    @Test void batchedSecondOrderMamlMetaGradientsMatchTheCpu() {
        List<float[]> cpuGrads = batchedMaml(cpu, 6, 9, 0.05f);
        List<float[]> gpuGrads = batchedMaml(cuda(), 6, 9, 0.05f);
        assertRelativelyClose("MAML (6 stacked tasks)", cpuGrads, gpuGrads, 1e-4);
    }

    static void assertRelativelyClose(String what, List<float[]> want, List<float[]> got, double tol) {
        for (int t = 0; t < want.size(); t++) {
            double diff = 0, norm = 0;
            for (int i = 0; i < want.get(t).length; i++) {
                diff += Math.pow(want.get(t)[i] - got.get(t)[i], 2);
                norm += Math.pow(want.get(t)[i], 2);
            }
            double rel = Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-12);
            assertTrue(rel <= tol, what + ": meta-gradient " + t + " differs by " + rel + " (relative)");
            assertTrue(norm > 0, what + ": meta-gradient " + t + " is zero");
        }
    }

    private static Params params(Backend be, Mlp net) {
        Params p = Params.empty();
        long seed = 3;
        for (Linear l : net.layers()) {
            p = p.with(l.weightName(), Tensor.of(be, scaled(data(l.in() * l.out(), seed++, false), 1.0 / Math.sqrt(l.in())), l.in(), l.out()));
            p = p.with(l.biasName(), Tensor.of(be, scaled(data(l.out(), seed++, false), 0.1), l.out()));
        }
        return p;
    }

    private static float[] scaled(float[] x, double s) {
        for (int i = 0; i < x.length; i++) x[i] *= (float) s;
        return x;
    }

    static List<float[]> mamlMetaGradient(Backend be, Mlp net, int innerSteps, float alpha) {
        Params theta = params(be, net).requiringGrad();
        Tensor xs = Tensor.of(be, data(20 * 5, 11, false), 20, 5), ys = Tensor.of(be, data(20, 12, false), 20, 1);
        Tensor xq = Tensor.of(be, data(10 * 5, 13, false), 10, 5), yq = Tensor.of(be, data(10, 14, false), 10, 1);
        Params fast = theta;
        for (int s = 0; s < innerSteps; s++) {
            Tensor loss = Functional.mse(net.forward(fast, xs), ys);
            List<Tensor> g = Autograd.grad(loss, fast.tensors(), true);
            List<Tensor> next = new ArrayList<>();
            for (int i = 0; i < g.size(); i++) next.add(fast.tensors().get(i).sub(g.get(i).mul(alpha)));
            fast = Params.of(fast.names(), next);
        }
        Tensor outer = Functional.mse(net.forward(fast, xq), yq);
        return Autograd.grad(outer, theta.tensors(), false).stream().map(Tensor::toArray).toList();
    }

    /** y = tanh(x·W1 + b1)·W2 + b2 per task, with W, b expanded to per-task copies that adapt. */
    static List<float[]> batchedMaml(Backend be, int tasks, int rows, float alpha) {
        int d = 8, h = 24;
        Tensor w1 = Tensor.of(be, scaled(data(d * h, 1, false), 0.35), d, h).requiringGrad();
        Tensor b1 = Tensor.of(be, scaled(data(h, 2, false), 0.1), h).requiringGrad();
        Tensor w2 = Tensor.of(be, scaled(data(h, 3, false), 0.2), h, 1).requiringGrad();
        Tensor b2 = Tensor.of(be, scaled(data(1, 4, false), 0.1), 1).requiringGrad();
        List<Tensor> theta = List.of(w1, b1, w2, b2);
        Tensor xs = Tensor.of(be, data(tasks * rows * d, 5, false), tasks, rows, d), ys = Tensor.of(be, data(tasks * rows, 6, false), tasks, rows, 1);
        Tensor xq = Tensor.of(be, data(tasks * 4 * d, 7, false), tasks, 4, d), yq = Tensor.of(be, data(tasks * 4, 8, false), tasks, 4, 1);
        List<Tensor> fast = List.of(w1.expand(tasks, d, h), b1.reshape(1, 1, h).expand(tasks, 1, h), w2.expand(tasks, h, 1),
                b2.reshape(1, 1, 1).expand(tasks, 1, 1));
        for (int s = 0; s < 2; s++) {
            Tensor loss = Functional.mse(batchedForward(fast, xs), ys).mul(tasks); // Σ of per-task means
            List<Tensor> g = Autograd.grad(loss, fast, true);
            List<Tensor> next = new ArrayList<>();
            for (int i = 0; i < g.size(); i++) next.add(fast.get(i).sub(g.get(i).mul(alpha)));
            fast = next;
        }
        Tensor outer = Functional.mse(batchedForward(fast, xq), yq);
        return Autograd.grad(outer, theta, false).stream().map(Tensor::toArray).toList();
    }

    private static Tensor batchedForward(List<Tensor> p, Tensor x) {
        return x.matmul(p.get(0)).add(p.get(1)).tanh().matmul(p.get(2)).add(p.get(3));
    }

    /** The bundled PyTorch golden cases (ops, gradients, HVPs, MAML, Meta-SGD, MeLU) on this backend. */
    @Test void goldenReferenceCasesPass() {
        Verifier v = new Verifier(cuda(), 1e-4);
        List<String> failed = new ArrayList<>();
        int passed = 0;
        for (ReferenceFile f : goldenFiles()) {
            for (CaseResult r : v.run(f)) {
                if (r.passed()) passed++;
                else failed.add(r.line());
            }
        }
        assertTrue(failed.isEmpty(), failed.size() + " golden cases failed:\n" + String.join("\n", failed));
        assertTrue(passed > 0, "no golden case ran");
    }

    List<ReferenceFile> goldenFiles() {
        return BundledReferences.all();
    }
}
