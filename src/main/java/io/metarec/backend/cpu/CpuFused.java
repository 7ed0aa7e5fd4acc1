package io.metarec.backend.cpu;

import io.metarec.backend.Buffer;
import io.metarec.backend.Fused;

/**
 * The fused optimizer steps for heap buffers: one pass instead of a dozen kernels and temporaries.
 * Each element goes through exactly the float operations of {@link Fused#adamByPrimitives} /
 * {@link Fused#sgdByPrimitives} (affine as one fma, skipped when it is the identity), so the bits
 * are those of the reference, on both CPU backends. These scalar loops are the cpu-scalar
 * backend's kernels and the tails of {@link VectorFused}'s vector loops.
 */
final class CpuFused {
    private CpuFused() {}

    /** scale·x + shift as the AFFINE kernel computes it, with Elementwise.affine's identity shortcut. */
    static float affine(float x, float scale, float shift) {
        return scale == 1f && shift == 0f ? x : Math.fma(scale, x, shift);
    }

    /** With {@code reuse}, the new moments overwrite {@code m} and {@code v} (each element is read before it is written). */
    static Fused.AdamResult adam(Buffer param, Buffer grad, Buffer m, Buffer v, boolean reuse, Fused.AdamCoefficients c) {
        float[] p = HeapBuffer.of(param), g = HeapBuffer.of(grad);
        return adamArrays(m, v, p.length, reuse, (ms, vs, po, mo, vo) -> adam(p, g, ms, vs, po, mo, vo, 0, p.length, c));
    }

    /** One Adam step's arrays: the old moments (null on the first step) and where the new parameters and moments go. */
    interface AdamKernel {
        void run(float[] ms, float[] vs, float[] po, float[] mo, float[] vo);
    }

    /**
     * Runs {@code kernel} into fresh parameters and, with {@code reuse} (and moments to reuse), over
     * {@code m} and {@code v} themselves, else into fresh moments: the one place both CPU backends'
     * Adam steps allocate their results.
     */
    static Fused.AdamResult adamArrays(Buffer m, Buffer v, int n, boolean reuse, AdamKernel kernel) {
        float[] ms = m == null ? null : HeapBuffer.of(m), vs = v == null ? null : HeapBuffer.of(v);
        boolean into = reuse && ms != null;
        float[] po = new float[n], mo = into ? ms : new float[n], vo = into ? vs : new float[n];
        kernel.run(ms, vs, po, mo, vo);
        return new Fused.AdamResult(new HeapBuffer(po), into ? m : new HeapBuffer(mo), into ? v : new HeapBuffer(vo));
    }

    /**
     * The same step for a [rows, cols] parameter whose gradient is row-sparse: row ids[j] has row j
     * of {@code block}, every other row a zero gradient (it still steps). Bitwise the step on the
     * densified gradient, without building it.
     */
    static Fused.AdamResult adamRows(Buffer param, int cols, io.metarec.backend.Indices ids, Buffer block, Buffer m, Buffer v,
                                     boolean reuse, Fused.AdamCoefficients c) {
        float[] p = HeapBuffer.of(param), b = HeapBuffer.of(block);
        int n = p.length;
        int[] from = rowMap(n, cols, ids);
        return adamArrays(m, v, n, reuse, (ms, vs, po, mo, vo) ->
                rowSegments(cols, from, b, 0, n, (lo, hi, g, shift) -> adam(p, g, shift, ms, vs, po, mo, vo, lo, hi, c)));
    }

    /** Elements [lo, hi) whose gradient is {@code g[i + shift]}. */
    interface Segment {
        void run(int lo, int hi, float[] g, int shift);
    }

    /** Zeros: the gradient of untouched rows, read in runs of at most this length. */
    private static final float[] ZERO = new float[1 << 12];

    /** For each row of an n-element, {@code cols}-wide table: the index of its gradient row in the block, or −1 (later ids win, as a densify's writes). */
    static int[] rowMap(int n, int cols, io.metarec.backend.Indices ids) {
        int rows = cols == 0 ? 0 : n / cols;
        if (rows * cols != n) throw new IllegalArgumentException("adamStepRows: " + n + " elements are not rows of " + cols);
        int[] from = new int[rows];
        java.util.Arrays.fill(from, -1);
        for (int j = 0; j < ids.length(); j++) from[ids.get(j)] = j;
        return from;
    }

    /**
     * Cuts elements [lo, hi) into segments of one gradient source: a touched row's part (its block
     * row), or a run of untouched rows (zeros, at most {@link #ZERO}'s length).
     */
    static void rowSegments(int cols, int[] from, float[] block, int lo, int hi, Segment s) {
        int i = lo;
        while (i < hi) {
            int r = i / cols, end = Math.min(hi, (r + 1) * cols);
            if (from[r] >= 0) {
                s.run(i, end, block, from[r] * cols - r * cols);
            } else {
                while (end < hi && from[end / cols] < 0 && end + cols - i <= ZERO.length) end = Math.min(hi, end + cols);
                end = Math.min(end, i + ZERO.length);
                s.run(i, end, ZERO, -i);
            }
            i = end;
        }
    }

    /** Adam on elements [from, to); {@code ms} and {@code vs} null on the first step. */
    static void adam(float[] p, float[] g, float[] ms, float[] vs, float[] po, float[] mo, float[] vo, int from, int to, Fused.AdamCoefficients c) {
        adam(p, g, 0, ms, vs, po, mo, vo, from, to, c);
    }

    /** The same where element i's gradient is {@code g[i + gShift]}. */
    static void adam(float[] p, float[] g, int gShift, float[] ms, float[] vs, float[] po, float[] mo, float[] vo, int from, int to,
                     Fused.AdamCoefficients c) {
        for (int i = from; i < to; i++) {
            float gi = g[i + gShift];
            if (c.weightDecay() > 0) gi = gi + affine(p[i], c.weightDecay(), 0f);
            float gm = affine(gi, c.oneMinusBeta1(), 0f), gv = affine(gi * gi, c.oneMinusBeta2(), 0f);
            float mi = ms == null ? gm : affine(ms[i], c.beta1(), 0f) + gm;
            float vi = vs == null ? gv : affine(vs[i], c.beta2(), 0f) + gv;
            float denom = affine((float) Math.sqrt(affine(vi, c.invBias2(), 0f)), 1f, c.eps());
            po[i] = p[i] - affine(mi / denom, c.stepSize(), 0f);
            mo[i] = mi;
            vo[i] = vi;
        }
    }

    static Fused.SgdResult sgd(Buffer param, Buffer grad, Buffer buffer, Fused.SgdCoefficients c) {
        float[] p = HeapBuffer.of(param), g = HeapBuffer.of(grad), b = buffer == null ? null : HeapBuffer.of(buffer);
        int n = p.length;
        float[] po = new float[n], bo = c.momentum() > 0 ? new float[n] : null;
        sgd(p, g, b, po, bo, 0, n, c);
        return new Fused.SgdResult(new HeapBuffer(po), bo == null ? null : new HeapBuffer(bo));
    }

    /** SGD on elements [from, to); {@code b} null on the first step, {@code bo} null without momentum. */
    static void sgd(float[] p, float[] g, float[] b, float[] po, float[] bo, int from, int to, Fused.SgdCoefficients c) {
        for (int i = from; i < to; i++) {
            float gi = g[i];
            if (c.weightDecay() > 0) gi = gi + affine(p[i], c.weightDecay(), 0f);
            if (c.momentum() > 0) {
                if (b != null) gi = affine(b[i], c.momentum(), 0f) + gi;
                bo[i] = gi;
            }
            po[i] = p[i] - affine(gi, c.lr(), 0f);
        }
    }
}
