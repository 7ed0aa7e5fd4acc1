package io.metarec.backend.cpu;

import io.metarec.backend.Buffer;
import io.metarec.backend.Fused;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link CpuFused}'s optimizer steps on the Vector API, split over the engine pool for large
 * tensors ({@link VectorBackend#CHUNK}-sized parts). Every lane does the scalar formula's operations
 * in its order: fma where the scalar calls {@code Math.fma} (an affine), plain add, mul, div and sqrt
 * elsewhere (all correctly rounded, never contracted), the same identity shortcuts, and the scalar
 * loop for the tail. So the bits are CpuFused's (tested), whatever the width or the thread count.
 */
final class VectorFused {
    private static final VectorSpecies<Float> S = VectorBackend.SPECIES;
    private static final int L = S.length();

    private VectorFused() {}

    /** With {@code reuse}, the new moments overwrite {@code m} and {@code v} (each lane is read before it is written). */
    static Fused.AdamResult adam(Buffer param, Buffer grad, Buffer m, Buffer v, boolean reuse, Fused.AdamCoefficients c) {
        float[] p = HeapBuffer.of(param), g = HeapBuffer.of(grad);
        int n = p.length;
        return CpuFused.adamArrays(m, v, n, reuse, (ms, vs, po, mo, vo) -> split(n, (from, to) -> adam(p, g, ms, vs, po, mo, vo, from, to, c)));
    }

    static Fused.SgdResult sgd(Buffer param, Buffer grad, Buffer buffer, Fused.SgdCoefficients c) {
        float[] p = HeapBuffer.of(param), g = HeapBuffer.of(grad), b = buffer == null ? null : HeapBuffer.of(buffer);
        int n = p.length;
        float[] po = new float[n], bo = c.momentum() > 0 ? new float[n] : null;
        split(n, (from, to) -> sgd(p, g, b, po, bo, from, to, c));
        return new Fused.SgdResult(new HeapBuffer(po), bo == null ? null : new HeapBuffer(bo));
    }

    private interface Range {
        void run(int from, int to);
    }

    /** One pass for small tensors; CHUNK-sized parts over the pool for large ones (elements are independent). */
    private static void split(int n, Range body) {
        int chunk = VectorBackend.CHUNK;
        if (n < 4 * chunk) body.run(0, n);
        else Parts.run((n + chunk - 1) / chunk, k -> body.run(k * chunk, Math.min(n, (k + 1) * chunk)));
    }

    /** scale·x + 0 as one fma, or x itself when the scalar affine takes its identity shortcut. */
    private static FloatVector affine(FloatVector x, float scale, boolean identity) {
        return identity ? x : x.fma(scale, 0f);
    }

    private static boolean identity(float scale) {
        return scale == 1f;
    }

    /** {@link CpuFused#adamRows}'s step, split over the pool like {@link #adam}: each part walks its rows' segments. */
    static Fused.AdamResult adamRows(Buffer param, int cols, io.metarec.backend.Indices ids, Buffer block, Buffer m, Buffer v,
                                     boolean reuse, Fused.AdamCoefficients c) {
        float[] p = HeapBuffer.of(param), b = HeapBuffer.of(block);
        int n = p.length;
        int[] from = CpuFused.rowMap(n, cols, ids);
        return CpuFused.adamArrays(m, v, n, reuse, (ms, vs, po, mo, vo) ->
                split(n, (lo, hi) -> CpuFused.rowSegments(cols, from, b, lo, hi, (a, z, g, shift) -> adam(p, g, shift, ms, vs, po, mo, vo, a, z, c))));
    }

    private static void adam(float[] p, float[] g, float[] ms, float[] vs, float[] po, float[] mo, float[] vo, int from, int to, Fused.AdamCoefficients c) {
        adam(p, g, 0, ms, vs, po, mo, vo, from, to, c);
    }

    /** Element i's gradient is {@code g[i + gShift]}. */
    private static void adam(float[] p, float[] g, int gShift, float[] ms, float[] vs, float[] po, float[] mo, float[] vo, int from, int to,
                             Fused.AdamCoefficients c) {
        boolean decay = c.weightDecay() > 0, first = ms == null;
        float wd = c.weightDecay(), omb1 = c.oneMinusBeta1(), omb2 = c.oneMinusBeta2(), b1 = c.beta1(), b2 = c.beta2();
        float invBias2 = c.invBias2(), eps = c.eps(), stepSize = c.stepSize();
        boolean wdId = identity(wd), omb1Id = identity(omb1), omb2Id = identity(omb2), b1Id = identity(b1), b2Id = identity(b2);
        boolean biasId = identity(invBias2), epsId = eps == 0f, stepId = identity(stepSize);
        int i = from, bound = from + S.loopBound(to - from);
        for (; i < bound; i += L) {
            FloatVector gi = FloatVector.fromArray(S, g, i + gShift), pi = FloatVector.fromArray(S, p, i);
            if (decay) gi = gi.add(affine(pi, wd, wdId));
            FloatVector gm = affine(gi, omb1, omb1Id), gv = affine(gi.mul(gi), omb2, omb2Id);
            FloatVector mi = first ? gm : affine(FloatVector.fromArray(S, ms, i), b1, b1Id).add(gm);
            FloatVector vi = first ? gv : affine(FloatVector.fromArray(S, vs, i), b2, b2Id).add(gv);
            FloatVector root = affine(vi, invBias2, biasId).sqrt();
            FloatVector denom = epsId ? root : root.add(eps); // the scalar fma(1, x, eps): x + eps, exactly
            pi.sub(affine(mi.div(denom), stepSize, stepId)).intoArray(po, i);
            mi.intoArray(mo, i);
            vi.intoArray(vo, i);
        }
        CpuFused.adam(p, g, gShift, ms, vs, po, mo, vo, i, to, c);
    }

    private static void sgd(float[] p, float[] g, float[] b, float[] po, float[] bo, int from, int to, Fused.SgdCoefficients c) {
        boolean decay = c.weightDecay() > 0, momentum = c.momentum() > 0, first = b == null;
        float wd = c.weightDecay(), mu = c.momentum(), lr = c.lr();
        boolean wdId = identity(wd), muId = identity(mu), lrId = identity(lr);
        int i = from, bound = from + S.loopBound(to - from);
        for (; i < bound; i += L) {
            FloatVector gi = FloatVector.fromArray(S, g, i), pi = FloatVector.fromArray(S, p, i);
            if (decay) gi = gi.add(affine(pi, wd, wdId));
            if (momentum) {
                if (!first) gi = affine(FloatVector.fromArray(S, b, i), mu, muId).add(gi);
                gi.intoArray(bo, i);
            }
            pi.sub(affine(gi, lr, lrId)).intoArray(po, i);
        }
        CpuFused.sgd(p, g, b, po, bo, i, to, c);
    }
}
