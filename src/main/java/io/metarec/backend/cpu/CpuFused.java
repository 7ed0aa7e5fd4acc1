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

    static Fused.AdamResult adam(Buffer param, Buffer grad, Buffer m, Buffer v, Fused.AdamCoefficients c) {
        float[] p = HeapBuffer.of(param), g = HeapBuffer.of(grad), ms = m == null ? null : HeapBuffer.of(m), vs = v == null ? null : HeapBuffer.of(v);
        int n = p.length;
        float[] po = new float[n], mo = new float[n], vo = new float[n];
        adam(p, g, ms, vs, po, mo, vo, 0, n, c);
        return new Fused.AdamResult(new HeapBuffer(po), new HeapBuffer(mo), new HeapBuffer(vo));
    }

    /** Adam on elements [from, to); {@code ms} and {@code vs} null on the first step. */
    static void adam(float[] p, float[] g, float[] ms, float[] vs, float[] po, float[] mo, float[] vo, int from, int to, Fused.AdamCoefficients c) {
        for (int i = from; i < to; i++) {
            float gi = g[i];
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
