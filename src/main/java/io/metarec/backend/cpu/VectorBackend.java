package io.metarec.backend.cpu;

import io.metarec.backend.Binary;
import io.metarec.backend.Broadcast;
import io.metarec.backend.Buffer;
import io.metarec.backend.Indices;
import io.metarec.backend.Reduce;
import io.metarec.backend.Unary;
import io.metarec.util.EnginePool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The CPU backend on the Vector API ({@code jdk.incubator.vector}): vector loops with scalar tails
 * for the elementwise, reduction and indexing kernels, and {@link VectorGemm} for matrix products.
 * Kernels it does not speed up are inherited from {@link ScalarBackend}, so results agree with the
 * oracle by construction there and within float rounding elsewhere (tested on awkward sizes).
 *
 * <p>Vector width: {@code -Dmetarec.vectorBits=256|512}; default is the CPU's preferred species
 * (512 on Zen 4, which runs a 512-bit FMA as two 256-bit halves, so both reach the same peak).
 */
public final class VectorBackend extends ScalarBackend {
    static final VectorSpecies<Float> SPECIES = chooseSpecies();
    private static final VectorSpecies<Float> S = SPECIES;
    private static final int L = S.length();

    private static VectorSpecies<Float> chooseSpecies() {
        String bits = System.getProperty("metarec.vectorBits", "");
        return switch (bits) {
            case "128" -> FloatVector.SPECIES_128;
            case "256" -> FloatVector.SPECIES_256;
            case "512" -> FloatVector.SPECIES_512;
            case "" -> FloatVector.SPECIES_PREFERRED;
            default -> throw new IllegalArgumentException("metarec.vectorBits must be 128, 256 or 512, got '" + bits + "'");
        };
    }

    @Override public String name() { return "cpu"; }

    @Override public String describe() {
        return "Vector API, " + S.vectorBitSize() + "-bit species (" + L + " floats), "
                + EnginePool.threads() + " thread(s) for large GEMMs";
    }

    /** Vector width in bits. */
    public static int vectorBits() { return S.vectorBitSize(); }

    // ---- in-place accumulation ----------------------------------------------------------------

    /** Parts of this many floats (64 KiB) for the big elementwise passes split over the engine pool. */
    static final int CHUNK = 1 << 14;

    /**
     * Vector adds, split into {@link #CHUNK}-sized parts over the engine pool when large (a meta-batch's
     * gradient sums are 458k floats): element i is the same single addition whichever thread does it.
     */
    @Override public void accumulate(Buffer acc, Buffer x) {
        float[] a = HeapBuffer.of(acc), xs = HeapBuffer.of(x);
        int n = a.length;
        if (xs.length != n) throw new IllegalArgumentException("accumulate: lengths " + n + " and " + xs.length);
        if (n < 4 * CHUNK) addRow(a, 0, xs, 0, n);
        else Parts.run((n + CHUNK - 1) / CHUNK, p -> addRow(a, p * CHUNK, xs, p * CHUNK, Math.min(CHUNK, n - p * CHUNK)));
    }

    // ---- elementwise --------------------------------------------------------------------------

    @Override public void unary(Unary op, Buffer x, Buffer out, float p1, float p2) {
        float[] a = HeapBuffer.of(x), o = HeapBuffer.of(out);
        int n = a.length, i = 0, bound = S.loopBound(n);
        switch (op) {
            case NEG -> { for (; i < bound; i += L) v(a, i).neg().intoArray(o, i); }
            case ABS -> { for (; i < bound; i += L) v(a, i).abs().intoArray(o, i); }
            case SQUARE -> { for (; i < bound; i += L) { FloatVector t = v(a, i); t.mul(t).intoArray(o, i); } }
            case SQRT -> { for (; i < bound; i += L) v(a, i).sqrt().intoArray(o, i); }
            case RECIPROCAL -> { for (; i < bound; i += L) FloatVector.broadcast(S, 1f).div(v(a, i)).intoArray(o, i); }
            case AFFINE -> { for (; i < bound; i += L) v(a, i).fma(p1, p2).intoArray(o, i); }
            case RELU -> { for (; i < bound; i += L) v(a, i).max(0f).intoArray(o, i); }
            case LEAKY_RELU -> {
                for (; i < bound; i += L) {
                    FloatVector t = v(a, i);
                    t.mul(p1).blend(t, t.compare(VectorOperators.GT, 0f)).intoArray(o, i);
                }
            }
            case STEP -> {
                FloatVector one = FloatVector.broadcast(S, 1f), below = FloatVector.broadcast(S, p1);
                for (; i < bound; i += L) below.blend(one, v(a, i).compare(VectorOperators.GT, 0f)).intoArray(o, i);
            }
            case CLAMP -> { for (; i < bound; i += L) v(a, i).max(p1).min(p2).intoArray(o, i); }
            // NOTE: exp, sigmoid and tanh come from VectorMath: fma polynomials of exactly specified
            // arithmetic, the same algorithm for the tail, one method per loop. The Vector API's
            // lanewise EXP/TANH give different bits before and after C2 compiles the loop (a Java
            // fallback, then SVML-style intrinsics), which broke bitwise repeatability (DeterminismTest).
            case EXP -> { VectorMath.exp(a, o); i = n; }
            case SIGMOID -> { VectorMath.sigmoid(a, o); i = n; }
            case TANH -> { VectorMath.tanh(a, o); i = n; }
            // log, softplus, pow, sin, cos: the scalar loop (double precision, as the reference)
            default -> { }
        }
        for (; i < n; i++) o[i] = op.apply(a[i], p1, p2);
    }

    @Override public void binary(Binary op, Buffer a, Buffer b, Buffer out, Broadcast plan) {
        float[] as = HeapBuffer.of(a), bs = HeapBuffer.of(b), o = HeapBuffer.of(out);
        int[] dims = plan.dims, sa = plan.aStrides, sb = plan.bStrides;
        int r = dims.length, inner = dims[r - 1], ia = sa[r - 1], ib = sb[r - 1];
        int[] idx = new int[r];
        int offA = 0, offB = 0;
        for (int o0 = 0; o0 < plan.size; o0 += inner) {
            row(op, as, offA, ia, bs, offB, ib, o, o0, inner);
            for (int d = r - 2; d >= 0; d--) {
                offA += sa[d];
                offB += sb[d];
                if (++idx[d] < dims[d]) break;
                offA -= sa[d] * dims[d];
                offB -= sb[d] * dims[d];
                idx[d] = 0;
            }
        }
    }

    /**
     * One innermost run: each operand is contiguous (stride 1) or a repeated scalar (stride 0).
     * NOTE: one loop per op, with the operation inline: a switch on the op inside the loop keeps C2
     * from intrinsifying the vectors (they get boxed), which measured ~10x slower.
     */
    private static void row(Binary op, float[] a, int oa, int sa, float[] b, int ob, int sb, float[] o, int oo, int n) {
        int bound = S.loopBound(n), i = 0;
        FloatVector xs = FloatVector.broadcast(S, a[oa]), ys = FloatVector.broadcast(S, b[ob]);
        boolean va = sa == 1, vb = sb == 1;
        switch (op) {
            case ADD -> { for (; i < bound; i += L) (va ? v(a, oa + i) : xs).add(vb ? v(b, ob + i) : ys).intoArray(o, oo + i); }
            case SUB -> { for (; i < bound; i += L) (va ? v(a, oa + i) : xs).sub(vb ? v(b, ob + i) : ys).intoArray(o, oo + i); }
            case MUL -> { for (; i < bound; i += L) (va ? v(a, oa + i) : xs).mul(vb ? v(b, ob + i) : ys).intoArray(o, oo + i); }
            case DIV -> { for (; i < bound; i += L) (va ? v(a, oa + i) : xs).div(vb ? v(b, ob + i) : ys).intoArray(o, oo + i); }
            case MAX -> { for (; i < bound; i += L) (va ? v(a, oa + i) : xs).max(vb ? v(b, ob + i) : ys).intoArray(o, oo + i); }
            case MIN -> { for (; i < bound; i += L) (va ? v(a, oa + i) : xs).min(vb ? v(b, ob + i) : ys).intoArray(o, oo + i); }
            case RELU_GRAD -> {
                FloatVector zero = FloatVector.zero(S);
                for (; i < bound; i += L)
                    zero.blend(va ? v(a, oa + i) : xs, (vb ? v(b, ob + i) : ys).compare(VectorOperators.GT, 0f)).intoArray(o, oo + i);
            }
            case SIGMOID_GRAD -> {
                for (; i < bound; i += L) {
                    FloatVector y = vb ? v(b, ob + i) : ys;
                    (va ? v(a, oa + i) : xs).mul(y).mul(y.neg().add(1f)).intoArray(o, oo + i);
                }
            }
            case TANH_GRAD -> {
                for (; i < bound; i += L) {
                    FloatVector y = vb ? v(b, ob + i) : ys;
                    (va ? v(a, oa + i) : xs).mul(y.mul(y).neg().add(1f)).intoArray(o, oo + i);
                }
            }
            case GT -> { for (; i < bound; i += L) mask((va ? v(a, oa + i) : xs).compare(VectorOperators.GT, vb ? v(b, ob + i) : ys)).intoArray(o, oo + i); }
            case EQ -> { for (; i < bound; i += L) mask((va ? v(a, oa + i) : xs).compare(VectorOperators.EQ, vb ? v(b, ob + i) : ys)).intoArray(o, oo + i); }
        }
        for (; i < n; i++) o[oo + i] = op.apply(a[oa + i * sa], b[ob + i * sb]);
    }

    private static FloatVector mask(VectorMask<Float> m) {
        return FloatVector.zero(S).blend(1f, m);
    }

    @Override public void expand(Buffer x, Buffer out, Broadcast plan) {
        float[] xs = HeapBuffer.of(x), o = HeapBuffer.of(out);
        int[] dims = plan.dims, sa = plan.aStrides;
        int r = dims.length, inner = dims[r - 1], ia = sa[r - 1];
        int[] idx = new int[r];
        int off = 0;
        for (int o0 = 0; o0 < plan.size; o0 += inner) {
            if (ia == 1) System.arraycopy(xs, off, o, o0, inner);
            else java.util.Arrays.fill(o, o0, o0 + inner, xs[off]);
            for (int d = r - 2; d >= 0; d--) {
                off += sa[d];
                if (++idx[d] < dims[d]) break;
                off -= sa[d] * dims[d];
                idx[d] = 0;
            }
        }
    }

    // ---- reductions ---------------------------------------------------------------------------

    @Override public void reduce(Reduce op, Buffer x, Buffer out, int outer, int n, int inner) {
        float[] xs = HeapBuffer.of(x), o = HeapBuffer.of(out);
        if (inner == 1) { // contiguous rows: vector partial results, then across lanes
            VectorOperators.Associative lanes = op == Reduce.SUM ? VectorOperators.ADD : op == Reduce.MAX ? VectorOperators.MAX : VectorOperators.MIN;
            int bound = S.loopBound(n);
            for (int p = 0; p < outer; p++) {
                int base = p * n, j = 0;
                float acc = op.identity();
                if (bound > 0) {
                    FloatVector va = FloatVector.broadcast(S, op.identity());
                    for (; j < bound; j += L) va = combine(op, va, v(xs, base + j));
                    acc = op == Reduce.SUM ? sumLanes(va) : va.reduceLanes(lanes);
                }
                for (; j < n; j++) acc = op.combine(acc, xs[base + j]);
                o[p] = acc;
            }
            return;
        }
        int bound = S.loopBound(inner);
        for (int p = 0; p < outer; p++) { // accumulate whole rows of length inner
            int ob = p * inner;
            java.util.Arrays.fill(o, ob, ob + inner, op.identity());
            for (int j = 0; j < n; j++) {
                int xb = (p * n + j) * inner, i = 0;
                for (; i < bound; i += L) combine(op, v(o, ob + i), v(xs, xb + i)).intoArray(o, ob + i);
                for (; i < inner; i++) o[ob + i] = op.combine(o[ob + i], xs[xb + i]);
            }
        }
    }

    /**
     * Lane 0 + lane 1 + … in this fixed order. NOTE: reduceLanes(ADD) leaves the order unspecified
     * ("may vary for the same input values"), which would break bitwise repeatability; max and min
     * are exact in any order, so they keep reduceLanes.
     */
    private static float sumLanes(FloatVector v) {
        float[] lanes = v.toArray();
        float acc = 0f;
        for (float x : lanes) acc += x;
        return acc;
    }

    private static FloatVector combine(Reduce op, FloatVector acc, FloatVector x) {
        return switch (op) {
            case SUM -> acc.add(x);
            case MAX -> acc.max(x);
            case MIN -> acc.min(x);
        };
    }

    // ---- linear algebra -----------------------------------------------------------------------

    @Override public void gemm(boolean ta, boolean tb, int batch, int m, int n, int k, Buffer a, Buffer b, Buffer c) {
        VectorGemm.gemmBatch(ta, tb, batch, m, n, k, HeapBuffer.of(a), HeapBuffer.of(b), HeapBuffer.of(c));
    }

    /** The product with the bias add and ReLU fused into it ({@link VectorGemm#linear}). */
    @Override public void linear(int m, int n, int k, Buffer x, Buffer w, Buffer bias, Unary act, Buffer out) {
        if (act != null && act != Unary.RELU) throw new IllegalArgumentException("linear: activation must be none or RELU, got " + act);
        VectorGemm.linear(m, n, k, HeapBuffer.of(x), HeapBuffer.of(w), bias == null ? null : HeapBuffer.of(bias), act != null, HeapBuffer.of(out));
    }

    // ---- fused optimizer steps (vector lanes, bitwise the scalar formula; split over the pool) ---------

    @Override public io.metarec.backend.Fused.AdamResult adamStep(Buffer param, Buffer grad, Buffer m, Buffer v, boolean reuseMoments,
                                                               io.metarec.backend.Fused.AdamCoefficients c) {
        return VectorFused.adam(param, grad, m, v, reuseMoments, c);
    }

    @Override public io.metarec.backend.Fused.AdamResult adamStepRows(Buffer param, int cols, Indices rows, Buffer block, Buffer m, Buffer v,
                                                                   boolean reuseMoments, io.metarec.backend.Fused.AdamCoefficients c) {
        return VectorFused.adamRows(param, cols, rows, block, m, v, reuseMoments, c);
    }

    @Override public io.metarec.backend.Fused.SgdResult sgdStep(Buffer param, Buffer grad, Buffer momentum,
                                                             io.metarec.backend.Fused.SgdCoefficients c) {
        return VectorFused.sgd(param, grad, momentum, c);
    }

    @Override public void transpose(Buffer x, Buffer out, int batch, int rows, int cols) {
        float[] xs = HeapBuffer.of(x), o = HeapBuffer.of(out);
        final int B = 32; // cache blocks
        for (int t = 0; t < batch; t++) {
            int off = t * rows * cols;
            for (int i0 = 0; i0 < rows; i0 += B)
                for (int j0 = 0; j0 < cols; j0 += B)
                    for (int i = i0, ie = Math.min(rows, i0 + B); i < ie; i++)
                        for (int j = j0, je = Math.min(cols, j0 + B); j < je; j++) o[off + j * rows + i] = xs[off + i * cols + j];
        }
    }

    // ---- indexing -----------------------------------------------------------------------------

    @Override public void scatterAddRows(Buffer src, int cols, Indices rows, Buffer out) {
        float[] s = HeapBuffer.of(src), o = HeapBuffer.of(out);
        for (int r = 0; r < rows.length(); r++) addRow(o, rows.get(r) * cols, s, r * cols, cols);
    }

    @Override public void segmentMean(Buffer x, int cols, Indices offsets, Buffer out) {
        float[] xs = HeapBuffer.of(x), o = HeapBuffer.of(out);
        for (int s = 0; s + 1 < offsets.length(); s++) {
            int from = offsets.get(s), to = offsets.get(s + 1), ob = s * cols;
            java.util.Arrays.fill(o, ob, ob + cols, 0f);
            for (int j = from; j < to; j++) addRow(o, ob, xs, j * cols, cols);
            if (to - from > 1) scaleRow(o, ob, cols, to - from);
        }
    }

    /** {@link #segmentMean}'s loop reading the table's rows in place of gathered ones: the same additions. */
    @Override public void gatherSegmentMean(Buffer table, int cols, Indices rows, Indices offsets, Buffer out) {
        float[] t = HeapBuffer.of(table), o = HeapBuffer.of(out);
        for (int s = 0; s + 1 < offsets.length(); s++) {
            int from = offsets.get(s), to = offsets.get(s + 1), ob = s * cols;
            java.util.Arrays.fill(o, ob, ob + cols, 0f);
            for (int j = from; j < to; j++) addRow(o, ob, t, rows.get(j) * cols, cols);
            if (to - from > 1) scaleRow(o, ob, cols, to - from);
        }
    }

    @Override public void segmentExpandMean(Buffer g, int cols, Indices offsets, Buffer out) {
        float[] gs = HeapBuffer.of(g), o = HeapBuffer.of(out);
        for (int s = 0; s + 1 < offsets.length(); s++) {
            int from = offsets.get(s), to = offsets.get(s + 1);
            for (int j = from; j < to; j++) {
                System.arraycopy(gs, s * cols, o, j * cols, cols);
                if (to - from > 1) scaleRow(o, j * cols, cols, to - from);
            }
        }
    }

    /** o[ob..ob+n) += x[xb..xb+n). */
    private static void addRow(float[] o, int ob, float[] x, int xb, int n) {
        int i = 0, bound = S.loopBound(n);
        for (; i < bound; i += L) v(o, ob + i).add(v(x, xb + i)).intoArray(o, ob + i);
        for (; i < n; i++) o[ob + i] += x[xb + i];
    }

    /** o[ob..ob+n) /= count (a true division, as the scalar oracle). */
    private static void scaleRow(float[] o, int ob, int n, int count) {
        float c = count;
        int i = 0, bound = S.loopBound(n);
        for (; i < bound; i += L) v(o, ob + i).div(c).intoArray(o, ob + i);
        for (; i < n; i++) o[ob + i] /= c;
    }

    private static FloatVector v(float[] a, int i) {
        return FloatVector.fromArray(S, a, i);
    }
}
