package io.metarec.backend.cpu;

import static io.metarec.backend.cpu.GemmKernels.L;
import static io.metarec.backend.cpu.GemmKernels.MR;
import static io.metarec.backend.cpu.GemmKernels.S;
import static io.metarec.backend.cpu.GemmKernels.W4;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Single-precision GEMM on the Vector API: C[m,n] = op(A)·op(B), row-major, where op(A) is A[m,k]
 * or, when {@code ta}, the transpose of A stored [k,m]; likewise op(B) is B[k,n] or Bᵀ of B [n,k].
 *
 * <p>Blocking (Goto/BLIS order, tuned on Zen 4): for each block of NC columns and KC of k, B is
 * packed into panels of 4 vectors width ({@link GemmKernels}); A is read in place, by blocks of MC
 * rows, row-major or transposed; 6-row × 4-vector register tiles run over the panels, smaller
 * generated tiles on the edges.
 *
 * <p>Threads: products of at least {@link #PARALLEL_MIN_FMAS} multiply-adds are split into tiles
 * of rows or columns (never of k) run by fork/join on {@link CpuParallel#pool()}; a batch is split
 * over its entries first. Every element of C is the same fused multiply-add chain over k whatever
 * the tile it falls in, so results are bitwise identical for any thread count (and vector width).
 */
public final class VectorGemm {
    /** k per block: a 6 × KC strip of A stays in L1, a KC × 4-vector panel of B in L2. */
    static final int KC = 256;
    /** Rows per block of A (a multiple of MR) reused across all panels of a column block. */
    static final int MC = 96;
    /** Columns per packed block of B (KC × NC floats = 512 KiB, half the L2). */
    static final int NC = 512;
    /** Below this many multiply-adds (m·n·k) one thread is faster than handing work to the pool. */
    static final long PARALLEL_MIN_FMAS = 1L << 20;
    /** The threshold in force: {@link #PARALLEL_MIN_FMAS}, lowered only by tests to split small products. */
    static long parallelMinFmas = PARALLEL_MIN_FMAS;

    /** Whether {@link GemmKernels#transposeBlock} handles this species (8 or 16 lanes). */
    private static final boolean SIMD_TRANSPOSE = L == 8 || L == 16;

    /** Masks for a last vector holding r = 1 .. L-1 columns; index 0 = all lanes (null). */
    @SuppressWarnings("unchecked")
    private static final VectorMask<Float>[] TAIL = new VectorMask[L];

    static {
        for (int r = 1; r < L; r++) TAIL[r] = VectorMask.fromLong(S, (1L << r) - 1);
    }

    /** Per-thread packing buffers, grown on demand (allocating 0.5 MiB per call costs µs). */
    private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

    private VectorGemm() {}

    /** c[t] = op(a[t])·op(b[t]) for t < batch, with batch strides m·k, k·n and m·n from offset 0. */
    public static void gemmBatch(boolean ta, boolean tb, int batch, int m, int n, int k, float[] a, float[] b, float[] c) {
        if (batch == 1) {
            gemm(ta, tb, m, n, k, a, 0, b, 0, c, 0);
            return;
        }
        long work = (long) batch * m * n * k;
        if (work < parallelMinFmas || CpuParallel.threads() == 1) {
            for (int t = 0; t < batch; t++) serial(ta, tb, m, n, k, a, t * m * k, b, t * k * n, c, t * m * n);
            return;
        }
        run(new BatchTask(ta, tb, m, n, k, a, b, c, 0, batch));
    }

    /** C[m,n] at c[cOff] = op(A)·op(B) with A at a[aOff], B at b[bOff]; every element of C is written. */
    public static void gemm(boolean ta, boolean tb, int m, int n, int k,
                            float[] a, int aOff, float[] b, int bOff, float[] c, int cOff) {
        Product p = new Product(ta, tb, m, n, k, a, aOff, b, bOff, c, cOff);
        long work = (long) m * n * k;
        int threads = CpuParallel.threads();
        if (work < parallelMinFmas || threads == 1) p.block(0, m, 0, n);
        else run(new TileTask(p, 0, m, 0, n, Math.max(parallelMinFmas / 2, work / (2L * threads))));
    }

    private static void serial(boolean ta, boolean tb, int m, int n, int k,
                               float[] a, int aOff, float[] b, int bOff, float[] c, int cOff) {
        new Product(ta, tb, m, n, k, a, aOff, b, bOff, c, cOff).block(0, m, 0, n);
    }

    /** Runs a task on the engine's pool; inside a worker of that pool (a meta-batch task) it forks there. */
    private static void run(ForkJoinTask<?> task) {
        ForkJoinPool pool = CpuParallel.pool();
        if (ForkJoinTask.getPool() == pool) task.invoke();
        else pool.invoke(task);
    }

    /** One product's operands; {@link #block} computes a tile of C serially. */
    private record Product(boolean ta, boolean tb, int m, int n, int k,
                           float[] a, int aOff, float[] b, int bOff, float[] c, int cOff) {

        /** C[i0:i1, j0:j1]. */
        void block(int i0, int i1, int j0, int j1) {
            if (i0 >= i1 || j0 >= j1) return;
            if (k == 0) {
                for (int i = i0; i < i1; i++) java.util.Arrays.fill(c, cOff + i * n + j0, cOff + i * n + j1, 0f);
                return;
            }
            Workspace ws = WORKSPACE.get();
            for (int jc = j0; jc < j1; jc += NC) {
                int nc = Math.min(NC, j1 - jc);
                for (int pc = 0; pc < k; pc += KC) {
                    int kc = Math.min(KC, k - pc);
                    float[] bp;
                    int bo = 0;
                    if (!tb && n == W4) { // B is one full panel already (n = 64 at 512 bits): no packing
                        bp = b;
                        bo = bOff + pc * n;
                    } else {
                        bp = ws.packB(kc * roundUp(nc, L));
                        if (tb) packBt(bp, pc, kc, jc, nc);
                        else packB(bp, pc, kc, jc, nc);
                    }
                    for (int ic = i0; ic < i1; ic += MC) {
                        int mc = Math.min(MC, i1 - ic);
                        int ao = ta ? aOff + pc * m + ic : aOff + ic * k + pc; // A is read in place
                        panels(ao, bp, bo, kc, nc, cOff + ic * n + jc, mc, pc > 0, ws.tile);
                    }
                }
            }
        }

        /** All register tiles of an mc × nc block: panels outer, so one panel of B is reused by every strip of A. */
        private void panels(int ao, float[] bp, int bBase, int kc, int nc, int co, int mc, boolean add, float[] t) {
            int lda = ta ? m : k, rowStep = ta ? 1 : k;
            for (int jr = 0; jr < nc; jr += W4) {
                int w = Math.min(W4, nc - jr), nv = (w + L - 1) / L;
                VectorMask<Float> last = TAIL[w % L];
                int bo = bBase + (jr / W4) * kc * W4; // only the last panel may be narrower, so this holds for it too
                for (int ir = 0; ir < mc; ir += MR) {
                    GemmKernels.tile(ta, Math.min(MR, mc - ir), nv, a, ao + ir * rowStep, lda, bp, bo, kc, c, co + ir * n + jr, n, last, add, t);
                }
            }
        }

        /** Packs B[pc:pc+kc, jc:jc+nc] (B row-major [k,n]) into panels p-major; a narrow last panel is zero-padded. */
        private void packB(float[] bp, int pc, int kc, int jc, int nc) {
            for (int jr = 0; jr < nc; jr += W4) {
                int w = Math.min(W4, nc - jr), nv = (w + L - 1) / L, width = nv * L;
                int dst = (jr / W4) * kc * W4, src = bOff + pc * n + jc + jr;
                VectorMask<Float> last = TAIL[w % L];
                for (int p = 0; p < kc; p++, src += n, dst += width) {
                    for (int v = 0; v < nv - 1; v++) FloatVector.fromArray(S, b, src + v * L).intoArray(bp, dst + v * L);
                    int o = (nv - 1) * L;
                    (last == null ? FloatVector.fromArray(S, b, src + o) : FloatVector.fromArray(S, b, src + o, last)).intoArray(bp, dst + o);
                }
            }
        }

        /**
         * Packs op(B) = Bᵀ (B stored [n,k]) the same way, panel[p, j] = b[j·k + p]: L × L blocks
         * transposed in registers, scalar on the edges. (A scalar transpose cost as much as the
         * product itself with 20 rows of A.)
         */
        private void packBt(float[] bp, int pc, int kc, int jc, int nc) {
            for (int jr = 0; jr < nc; jr += W4) {
                int w = Math.min(W4, nc - jr), width = (w + L - 1) / L * L;
                int dst = (jr / W4) * kc * W4, src = bOff + (jc + jr) * k + pc;
                int jFull = SIMD_TRANSPOSE ? w / L * L : 0, pFull = kc / L * L;
                for (int j0 = 0; j0 < jFull; j0 += L) {
                    for (int p0 = 0; p0 < pFull; p0 += L) {
                        GemmKernels.transposeBlock(b, src + j0 * k + p0, k, bp, dst + p0 * width + j0, width);
                    }
                }
                for (int j = 0; j < w; j++) {
                    for (int p = j < jFull ? pFull : 0; p < kc; p++) bp[dst + p * width + j] = b[src + j * k + p];
                }
                if (w < width) for (int p = 0; p < kc; p++) java.util.Arrays.fill(bp, dst + p * width + w, dst + (p + 1) * width, 0f);
            }
        }
    }

    private static int roundUp(int x, int to) {
        return (x + to - 1) / to * to;
    }

    /** Splits a tile of C in halves (rows in multiples of MR, columns of whole panels) down to a grain of work. */
    private static final class TileTask extends RecursiveAction {
        private final Product p;
        private final int i0, i1, j0, j1;
        private final long grain;

        TileTask(Product p, int i0, int i1, int j0, int j1, long grain) {
            this.p = p;
            this.i0 = i0;
            this.i1 = i1;
            this.j0 = j0;
            this.j1 = j1;
            this.grain = grain;
        }

        @Override protected void compute() {
            int rows = i1 - i0, cols = j1 - j0;
            boolean canRows = rows >= 2 * MR, canCols = cols >= 2 * W4;
            if ((long) rows * cols * p.k() <= grain || !(canRows || canCols)) {
                p.block(i0, i1, j0, j1);
                return;
            }
            // Cut the dimension with more register tiles; splitting columns avoids packing B twice.
            if (canCols && (!canRows || cols / W4 >= rows / MR)) {
                int mid = j0 + cols / 2 / W4 * W4;
                invokeAll(new TileTask(p, i0, i1, j0, mid, grain), new TileTask(p, i0, i1, mid, j1, grain));
            } else {
                int mid = i0 + rows / 2 / MR * MR;
                invokeAll(new TileTask(p, i0, mid, j0, j1, grain), new TileTask(p, mid, i1, j0, j1, grain));
            }
        }
    }

    /** A batch split over its entries; a large entry splits further into tiles. */
    private static final class BatchTask extends RecursiveAction {
        private final boolean ta, tb;
        private final int m, n, k, t0, t1;
        private final float[] a, b, c;

        BatchTask(boolean ta, boolean tb, int m, int n, int k, float[] a, float[] b, float[] c, int t0, int t1) {
            this.ta = ta;
            this.tb = tb;
            this.m = m;
            this.n = n;
            this.k = k;
            this.a = a;
            this.b = b;
            this.c = c;
            this.t0 = t0;
            this.t1 = t1;
        }

        @Override protected void compute() {
            if (t1 - t0 > 1) {
                int mid = (t0 + t1) >>> 1;
                invokeAll(new BatchTask(ta, tb, m, n, k, a, b, c, t0, mid), new BatchTask(ta, tb, m, n, k, a, b, c, mid, t1));
            } else {
                gemm(ta, tb, m, n, k, a, t0 * m * k, b, t0 * k * n, c, t0 * m * n);
            }
        }
    }

    /** Packing buffers of one thread. */
    private static final class Workspace {
        private float[] b = new float[0];
        final float[] tile = new float[GemmKernels.TILE];

        float[] packB(int size) {
            if (b.length < size) b = new float[size];
            return b;
        }
    }
}
