package io.metarec.backend.cpu;

import static io.metarec.backend.cpu.GemmKernels.L;
import static io.metarec.backend.cpu.GemmKernels.MR;
import static io.metarec.backend.cpu.GemmKernels.S;

import io.metarec.util.EnginePool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Single-precision GEMM on the Vector API: C[m,n] = op(A)·op(B), row-major, where op(A) is A[m,k]
 * or, when {@code ta}, the transpose of A stored [k,m]; likewise op(B) is B[k,n] or Bᵀ of B [n,k].
 *
 * <p>Blocking (Goto/BLIS order, tuned on Zen 4): for each block of NC columns and KC of k, B is
 * packed into panels of 4 vectors width ({@link GemmKernels}) or, for few rows, read in place; A
 * is read in place by blocks of MC rows when row-major, packed row-major block by block when stored
 * transposed; 6-row × 4-vector register tiles run over the panels, smaller generated tiles on the
 * edges. Products with k = 1 or n = 1 skip the tiles (an outer product, a matrix times a vector).
 *
 * <p>Threads: products of at least {@link #PARALLEL_MIN_FMAS} multiply-adds are cut into parts,
 * batch entries or tiles of rows or columns (never of k), shared by the caller and helpers on
 * {@link EnginePool#pool()} ({@link Parts}). Every element of C is the same fused multiply-add
 * chain over k whatever the tile it falls in, so results are bitwise identical for any thread
 * count (and vector width).
 */
public final class VectorGemm {
    /**
     * Vectors per packed panel of B, the width of the register tiles: 4 (6 × 4 tiles: 24
     * accumulators, 4 of B and a broadcast, 29 registers) where the CPU has 32 vector registers,
     * 2 (6 × 2: 15 registers) on x86 without AVX-512, which has 16: there the 6 × 4 tile spilled
     * and GEMM ran at about a fifth of its speed. The tile's shape does not change what is summed
     * in which order (every element of C is the same multiply-add chain over k), so results are
     * bitwise the same either way. {@code -Dmetarec.gemmPanelVectors=1..4} overrides.
     */
    static final int NVP = panelVectors();
    /** Panel width in floats. */
    static final int PW = NVP * L;

    static int panelVectors() {
        String forced = System.getProperty("metarec.gemmPanelVectors", "");
        if (!forced.isEmpty()) {
            int v = Integer.parseInt(forced);
            if (v < 1 || v > GemmKernels.NV) throw new IllegalArgumentException("metarec.gemmPanelVectors must be 1.." + GemmKernels.NV + ", got " + v);
            return v;
        }
        String arch = System.getProperty("os.arch", "");
        boolean x86 = arch.equals("amd64") || arch.equals("x86_64") || arch.equals("x86");
        return x86 && FloatVector.SPECIES_PREFERRED.vectorBitSize() < 512 ? 2 : GemmKernels.NV;
    }

    /** k per block: a 6 × KC strip of A stays in L1, a KC × 4-vector panel of B in L2. */
    static final int KC = 256;
    /** Rows per block of A (a multiple of MR) reused across all panels of a column block. */
    static final int MC = 96;
    /**
     * Rows of C up to which B is read in place rather than packed (not transposed, whole vectors):
     * packing B costs about as much as reading it once, and a block this short reads it at most
     * four times (strips of 6 rows). A MeLU task's 10–20 rows: 1.2–1.6× the packed product
     * (batches of 32 × 20×256·256×64 and 20×64·64×64, 2026-12-04, docs/benchmarks.md).
     * {@code -Dmetarec.gemmInPlaceRows=N} overrides it (0: always pack); the bits are the same either way.
     */
    static final int IN_PLACE_MAX_ROWS = inPlaceMaxRows();

    static int inPlaceMaxRows() {
        int rows = Integer.getInteger("metarec.gemmInPlaceRows", 4 * MR);
        if (rows < 0) throw new IllegalArgumentException("metarec.gemmInPlaceRows must be ≥ 0, got " + rows);
        return rows;
    }
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
        run(ta, tb, batch, m, n, k, a, 0, b, 0, c, 0);
    }

    /** C[m,n] at c[cOff] = op(A)·op(B) with A at a[aOff], B at b[bOff]; every element of C is written. */
    public static void gemm(boolean ta, boolean tb, int m, int n, int k,
                            float[] a, int aOff, float[] b, int bOff, float[] c, int cOff) {
        run(ta, tb, 1, m, n, k, a, aOff, b, bOff, c, cOff);
    }

    /**
     * C[m,n] = act(A·B + bias): A [m,k], B [k,n], {@code bias} [n] added to every row (null: none),
     * then max(·, 0) when {@code relu}. The epilogue runs on each block of C right after its last
     * block of k, while the block is in cache, with the operations of the separate kernels (IEEE
     * add, {@code Math.max}), so the bits equal gemm, then a bias add, then ReLU.
     */
    public static void linear(int m, int n, int k, float[] a, float[] b, float[] bias, boolean relu, float[] c) {
        run(false, false, 1, m, n, k, a, 0, b, 0, c, 0, new Epilogue(bias, relu));
    }

    private static void run(boolean ta, boolean tb, int batch, int m, int n, int k,
                            float[] a, int aOff, float[] b, int bOff, float[] c, int cOff) {
        run(ta, tb, batch, m, n, k, a, aOff, b, bOff, c, cOff, null);
    }

    private static void run(boolean ta, boolean tb, int batch, int m, int n, int k,
                            float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, Epilogue epilogue) {
        if (batch <= 0 || m <= 0 || n <= 0) return;
        int threads = EnginePool.threads();
        if (threads == 1 || (long) batch * m * n * k < parallelMinFmas) {
            for (int t = 0; t < batch; t++) {
                new Product(ta, tb, m, n, k, a, aOff + t * m * k, b, bOff + t * k * n, c, cOff + t * m * n, epilogue).block(0, m, 0, n);
            }
            return;
        }
        // Parts: whole batch entries when there are enough, else each entry cut into tiles. Twice as
        // many parts as threads, claimed dynamically, so a core busy elsewhere costs little.
        int target = 2 * threads, perEntry = batch >= target ? 1 : (target + batch - 1) / batch;
        Tiles tiles = Tiles.of(m, n, perEntry);
        Parts.run(batch * tiles.count(), part -> {
            int t = part / tiles.count(), tile = part % tiles.count();
            new Product(ta, tb, m, n, k, a, aOff + t * m * k, b, bOff + t * k * n, c, cOff + t * m * n, epilogue)
                    .block(tiles.i0(tile), tiles.i1(tile), tiles.j0(tile), tiles.j1(tile));
        });
    }

    /** A product's C cut into {@code count} tiles along rows (multiples of MR) or columns (whole panels). */
    private record Tiles(int m, int n, boolean byColumns, int count) {
        static Tiles of(int m, int n, int wanted) {
            int panels = (n + PW - 1) / PW, strips = (m + MR - 1) / MR;
            // Columns first: each tile then packs only its own part of B.
            if (panels >= wanted) return new Tiles(m, n, true, wanted);
            if (strips >= wanted) return new Tiles(m, n, false, wanted);
            return panels >= strips ? new Tiles(m, n, true, panels) : new Tiles(m, n, false, strips);
        }

        private int cut(int units, int unit, int limit, int tile) {
            return Math.min(limit, (int) ((long) units * tile / count) * unit);
        }

        int i0(int t) { return byColumns ? 0 : cut((m + MR - 1) / MR, MR, m, t); }
        int i1(int t) { return byColumns ? m : cut((m + MR - 1) / MR, MR, m, t + 1); }
        int j0(int t) { return byColumns ? cut((n + PW - 1) / PW, PW, n, t) : 0; }
        int j1(int t) { return byColumns ? cut((n + PW - 1) / PW, PW, n, t + 1) : n; }
    }

    /** What {@link #linear} applies to C after the product: a row vector added (null: none), then ReLU. */
    private record Epilogue(float[] bias, boolean relu) {
        /** C[r0:r1, j0:j1] (row stride n, from cOff) in place. */
        void apply(float[] c, int cOff, int n, int r0, int r1, int j0, int j1) {
            if (bias == null && !relu) return;
            int w = j1 - j0, bound = S.loopBound(w);
            for (int r = r0; r < r1; r++) {
                int row = cOff + r * n;
                int j = 0;
                for (; j < bound; j += L) {
                    FloatVector v = FloatVector.fromArray(S, c, row + j0 + j);
                    if (bias != null) v = v.add(FloatVector.fromArray(S, bias, j0 + j));
                    if (relu) v = v.max(0f);
                    v.intoArray(c, row + j0 + j);
                }
                for (; j < w; j++) {
                    float v = c[row + j0 + j];
                    if (bias != null) v = v + bias[j0 + j];
                    if (relu) v = Math.max(v, 0f);
                    c[row + j0 + j] = v;
                }
            }
        }
    }

    /** One product's operands; {@link #block} computes a tile of C serially (and its epilogue, when given). */
    private record Product(boolean ta, boolean tb, int m, int n, int k,
                           float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, Epilogue epilogue) {

        /** C[i0:i1, j0:j1]. */
        void block(int i0, int i1, int j0, int j1) {
            if (i0 >= i1 || j0 >= j1) return;
            if (k == 0) {
                for (int i = i0; i < i1; i++) java.util.Arrays.fill(c, cOff + i * n + j0, cOff + i * n + j1, 0f);
                if (epilogue != null) epilogue.apply(c, cOff, n, i0, i1, j0, j1);
                return;
            }
            if (k == 1 || n == 1) { // an outer product or a matrix-vector one: no tiles, no packing
                if (k == 1) outer(i0, i1, j0, j1);
                else column(i0, i1);
                if (epilogue != null) epilogue.apply(c, cOff, n, i0, i1, j0, j1);
                return;
            }
            Workspace ws = WORKSPACE.get();
            boolean inPlace = inPlace(i1 - i0);
            for (int jc = j0; jc < j1; jc += NC) {
                int nc = Math.min(NC, j1 - jc);
                for (int pc = 0; pc < k; pc += KC) {
                    int kc = Math.min(KC, k - pc);
                    float[] bp = null;
                    int bo = 0;
                    if (inPlace) { // few rows of A: B read where it is, not packed
                        bo = bOff + pc * n + jc;
                    } else if (!tb && n == PW) { // B is one full panel already (e.g. n = 64 at 512 bits): no packing
                        bp = b;
                        bo = bOff + pc * n;
                    } else {
                        bp = ws.packB(kc * roundUp(nc, L));
                        if (tb) packBt(bp, pc, kc, jc, nc);
                        else packB(bp, pc, kc, jc, nc);
                    }
                    for (int ic = i0; ic < i1; ic += MC) {
                        int mc = Math.min(MC, i1 - ic);
                        // A row-major is read in place; a transposed A is packed row-major first, so
                        // the kernels read it at a fixed stride (see packAt).
                        float[] ar = a;
                        int ao = aOff + ic * k + pc, lda = k;
                        if (ta) {
                            ar = ws.packA(mc * kc);
                            packAt(ar, pc, kc, ic, mc);
                            ao = 0;
                            lda = kc;
                        }
                        if (inPlace) panelsInPlace(ar, ao, lda, bo, kc, nc, cOff + ic * n + jc, mc, pc > 0, ws.tile);
                        else panels(ar, ao, lda, bp, bo, kc, nc, cOff + ic * n + jc, mc, pc > 0, ws.tile);
                        if (epilogue != null && pc + kc == k) epilogue.apply(c, cOff, n, ic, ic + mc, jc, jc + nc);
                    }
                }
            }
        }

        /**
         * C[i0:i1, j0:j1] for k = 1: C(i, j) = fma(A(i, 0), B(0, j), 0), the kernels' one-step chain
         * (so the same bits, signed zeros included). A's column and B's row are contiguous whether
         * or not they are stored transposed. (A tile of 6 × 2 vectors for one multiply-add per
         * element ran the output layer's gradients at 2–5 GFLOP/s.)
         */
        private void outer(int i0, int i1, int j0, int j1) {
            FloatVector zero = FloatVector.zero(S);
            int bound = j0 + S.loopBound(j1 - j0);
            for (int i = i0; i < i1; i++) {
                float ai = a[aOff + i];
                FloatVector x = FloatVector.broadcast(S, ai);
                int row = cOff + i * n, j = j0;
                for (; j < bound; j += L) x.fma(FloatVector.fromArray(S, b, bOff + j), zero).intoArray(c, row + j);
                for (; j < j1; j++) c[row + j] = Math.fma(ai, b[bOff + j], 0f);
            }
        }

        /**
         * C[i0:i1, 0] for n = 1 (a matrix times a vector: the output layer): each element the same
         * multiply-add chains over k as in a tile (one per block of KC, then summed), B's column
         * contiguous either way. A stored transposed runs L rows per vector; row-major A runs eight
         * rows' chains side by side ({@link #rowChains}). A 6 × 2-vector tile ran these at
         * 1–1.5 GFLOP/s, 15 of its 16 columns padding. (Transposing row-major A in L × L blocks to
         * run a row per lane, the same bits, was no faster: the shuffles cost what they saved.)
         */
        private void column(int i0, int i1) {
            for (int pc = 0; pc < k; pc += KC) {
                int p1 = Math.min(k, pc + KC);
                boolean add = pc > 0;
                int i = i0;
                if (ta) { // A(i, p) = a[aOff + p·m + i]: consecutive rows are consecutive floats
                    for (int bound = i0 + S.loopBound(i1 - i0); i < bound; i += L) {
                        FloatVector acc = FloatVector.zero(S);
                        for (int p = pc; p < p1; p++) acc = FloatVector.fromArray(S, a, aOff + p * m + i).fma(FloatVector.broadcast(S, b[bOff + p]), acc);
                        if (add) acc = acc.add(FloatVector.fromArray(S, c, cOff + i));
                        acc.intoArray(c, cOff + i);
                    }
                } else {
                    i = rowChains(a, aOff, k, b, bOff, pc, p1, c, cOff, i0, i1, add);
                }
                for (; i < i1; i++) {
                    float acc = 0f;
                    for (int p = pc; p < p1; p++) acc = Math.fma(ta ? a[aOff + p * m + i] : a[aOff + i * k + p], b[bOff + p], acc);
                    c[cOff + i] = add ? c[cOff + i] + acc : acc;
                }
            }
        }

        /**
         * Rows [i0, i1) of C(:, 0) += A(rows, pc:p1)·b for row-major A, eight rows' chains side by
         * side (independent multiply-adds fill both FMA pipes; four were latency-bound), each the
         * scalar chain over p in order; returns the first row not done (fewer than eight left).
         * A small static method of its own: inside {@link #column} C2 ran the same loop 1.6× slower.
         */
        private static int rowChains(float[] a, int aOff, int k, float[] b, int bOff, int pc, int p1, float[] c, int cOff, int i0, int i1, boolean add) {
            int i = i0;
            for (; i + 8 <= i1; i += 8) {
                int r = aOff + i * k;
                float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
                for (int p = pc; p < p1; p++) {
                    float bp = b[bOff + p];
                    int q = r + p;
                    s0 = Math.fma(a[q], bp, s0);
                    s1 = Math.fma(a[q + k], bp, s1);
                    s2 = Math.fma(a[q + 2 * k], bp, s2);
                    s3 = Math.fma(a[q + 3 * k], bp, s3);
                    s4 = Math.fma(a[q + 4 * k], bp, s4);
                    s5 = Math.fma(a[q + 5 * k], bp, s5);
                    s6 = Math.fma(a[q + 6 * k], bp, s6);
                    s7 = Math.fma(a[q + 7 * k], bp, s7);
                }
                int o = cOff + i;
                if (add) {
                    c[o] += s0; c[o + 1] += s1; c[o + 2] += s2; c[o + 3] += s3;
                    c[o + 4] += s4; c[o + 5] += s5; c[o + 6] += s6; c[o + 7] += s7;
                } else {
                    c[o] = s0; c[o + 1] = s1; c[o + 2] = s2; c[o + 3] = s3;
                    c[o + 4] = s4; c[o + 5] = s5; c[o + 6] = s6; c[o + 7] = s7;
                }
            }
            return i;
        }

        /** All register tiles of an mc × nc block: panels outer, so one panel of B is reused by every strip of A. */
        private void panels(float[] a, int ao, int lda, float[] bp, int bBase, int kc, int nc, int co, int mc, boolean add, float[] t) {
            for (int jr = 0; jr < nc; jr += PW) {
                int w = Math.min(PW, nc - jr), nv = (w + L - 1) / L;
                VectorMask<Float> last = TAIL[w % L];
                int bo = bBase + (jr / PW) * kc * PW; // only the last panel may be narrower, so this holds for it too
                for (int ir = 0; ir < mc; ir += MR) {
                    GemmKernels.tile(Math.min(MR, mc - ir), nv, a, ao + ir * lda, lda, bp, bo, kc, c, co + ir * n + jr, n, last, add, t);
                }
            }
        }

        /**
         * Whether B is read in place for a block of {@code rows} rows of C: B not transposed, A not
         * transposed (the in-place kernels read A row-major), C's columns whole vectors (a
         * kernel reads whole vectors of B's rows), and at most {@link #IN_PLACE_MAX_ROWS} rows.
         */
        private boolean inPlace(int rows) {
            return !tb && n % L == 0 && rows <= IN_PLACE_MAX_ROWS;
        }

        /** {@link #panels} with B read in place from {@code bBase} (row stride n) instead of packed panels. */
        private void panelsInPlace(float[] a, int ao, int lda, int bBase, int kc, int nc, int co, int mc, boolean add, float[] t) {
            for (int jr = 0; jr < nc; jr += PW) {
                int nv = Math.min(PW, nc - jr) / L;
                for (int ir = 0; ir < mc; ir += MR) {
                    GemmKernels.tileInPlace(Math.min(MR, mc - ir), nv, a, ao + ir * lda, lda, b, bBase + jr, n, kc, c, co + ir * n + jr, n, add, t);
                }
            }
        }

        /**
         * Packs op(A) = Aᵀ's block rows [ic, ic+mc), columns [pc, pc+kc) row-major: ap[i·kc + p] =
         * a[aOff + (pc+p)·m + ic + i].
         * Read in place, a transposed A's six rows of a tile sit m floats apart at every step of k:
         * a variable stride whose bounds checks C2 keeps in the loop (tn products, the per-task
         * weight gradients dW = Xᵀ·dY, ran at about two thirds the speed of nn ones of the same shape;
         * packed, 1.27× faster).
         */
        private void packAt(float[] ap, int pc, int kc, int ic, int mc) {
            transpose(a, aOff + pc * m + ic, m, kc, mc, ap, 0, kc);
        }

        /** Packs B[pc:pc+kc, jc:jc+nc] (B row-major [k,n]) into panels p-major; a narrow last panel is zero-padded. */
        private void packB(float[] bp, int pc, int kc, int jc, int nc) {
            for (int jr = 0; jr < nc; jr += PW) {
                int w = Math.min(PW, nc - jr), nv = (w + L - 1) / L, width = nv * L;
                int dst = (jr / PW) * kc * PW, src = bOff + pc * n + jc + jr;
                VectorMask<Float> last = TAIL[w % L];
                for (int p = 0; p < kc; p++, src += n, dst += width) {
                    for (int v = 0; v < nv - 1; v++) FloatVector.fromArray(S, b, src + v * L).intoArray(bp, dst + v * L);
                    int o = (nv - 1) * L;
                    (last == null ? FloatVector.fromArray(S, b, src + o) : FloatVector.fromArray(S, b, src + o, last)).intoArray(bp, dst + o);
                }
            }
        }

        /**
         * Packs op(B) = Bᵀ (B stored [n,k]) the same way, panel[p, j] = b[j·k + p]. (A scalar
         * transpose cost as much as the product itself with 20 rows of A.)
         */
        private void packBt(float[] bp, int pc, int kc, int jc, int nc) {
            for (int jr = 0; jr < nc; jr += PW) {
                int w = Math.min(PW, nc - jr), width = (w + L - 1) / L * L;
                int dst = (jr / PW) * kc * PW;
                transpose(b, bOff + (jc + jr) * k + pc, k, w, kc, bp, dst, width);
                if (w < width) for (int p = 0; p < kc; p++) java.util.Arrays.fill(bp, dst + p * width + w, dst + (p + 1) * width, 0f);
            }
        }
    }

    /**
     * dst[d + c·ldd + r] = src[s + r·lds + c] for r < rows, c < cols: L × L blocks transposed in
     * registers ({@link GemmKernels#transposeBlock}), scalar on the edges. Packs a transposed A or B.
     */
    private static void transpose(float[] src, int s, int lds, int rows, int cols, float[] dst, int d, int ldd) {
        int rFull = SIMD_TRANSPOSE ? rows / L * L : 0, cFull = SIMD_TRANSPOSE ? cols / L * L : 0;
        for (int r0 = 0; r0 < rFull; r0 += L) {
            for (int c0 = 0; c0 < cFull; c0 += L) GemmKernels.transposeBlock(src, s + r0 * lds + c0, lds, dst, d + c0 * ldd + r0, ldd);
        }
        for (int r = 0; r < rows; r++) {
            for (int c = r < rFull ? cFull : 0; c < cols; c++) dst[d + c * ldd + r] = src[s + r * lds + c];
        }
    }

    private static int roundUp(int x, int to) {
        return (x + to - 1) / to * to;
    }

    /** Packing buffers of one thread. */
    private static final class Workspace {
        private float[] b = new float[0];
        final float[] tile = new float[GemmKernels.TILE];

        private float[] a = new float[0];

        float[] packB(int size) {
            if (b.length < size) b = new float[size];
            return b;
        }

        float[] packA(int size) {
            if (a.length < size) a = new float[size];
            return a;
        }
    }
}
