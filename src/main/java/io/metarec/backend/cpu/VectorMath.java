package io.metarec.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * exp, sigmoid and tanh in float32 for the vector backend, built only from exactly specified IEEE
 * operations (add, mul, div, fma, min/max, compares, integer bit operations), once for a vector and
 * once, step for step the same, for a scalar. So a lane and the scalar tail give the same bits, and
 * the interpreter and C2 agree (the Vector API's lanewise EXP/TANH do not: a Java fallback first,
 * then SVML-style intrinsics). Within 2 ulps of the double-precision reference ({@code Unary.apply}).
 *
 * <p>exp(x) = 2^k · e^r with k = round(x / ln 2), r = x − k·ln 2 (two-part ln 2, fma), and e^r from
 * Cephes' expf minimax polynomial on [−ln2/2, ln2/2]. 2^k is applied as two exact power-of-two
 * factors so that results near overflow and in the subnormal range round once, where they belong.
 */
final class VectorMath {
    private VectorMath() {}

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /** 1.5 · 2^23: adding it rounds a float of magnitude below 2^22 to an integer (ties to even). */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    /** e^x overflows above 88.73 and is 0 below −103.98; clamping further out keeps k small. */
    private static final float EXP_HI = 90f, EXP_LO = -110f;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;
    /** Cephes tanhf: below this |x| an odd polynomial (no cancellation), above it 1 − 2/(e^{2|x|} + 1). */
    private static final float TANH_SMALL = 0.625f;
    private static final float T0 = -5.70498872745e-3f, T1 = 2.06390887954e-2f, T2 = -5.37397155531e-2f,
            T3 = 1.33314422036e-1f, T4 = -3.33332819422e-1f;

    private static final jdk.incubator.vector.VectorSpecies<Float> S = VectorBackend.SPECIES;

    // ---- whole arrays (the vector backend's kernels) -----------------------------------------------

    static void exp(float[] a, float[] o) {
        int n = a.length, i = 0, bound = S.loopBound(n);
        for (; i < bound; i += S.length()) exp(FloatVector.fromArray(S, a, i)).intoArray(o, i);
        for (; i < n; i++) o[i] = exp(a[i]);
    }

    static void sigmoid(float[] a, float[] o) {
        int n = a.length, i = 0, bound = S.loopBound(n);
        for (; i < bound; i += S.length()) sigmoid(FloatVector.fromArray(S, a, i)).intoArray(o, i);
        for (; i < n; i++) o[i] = sigmoid(a[i]);
    }

    static void tanh(float[] a, float[] o) {
        int n = a.length, i = 0, bound = S.loopBound(n);
        for (; i < bound; i += S.length()) tanh(FloatVector.fromArray(S, a, i)).intoArray(o, i);
        for (; i < n; i++) o[i] = tanh(a[i]);
    }

    // ---- scalar ---------------------------------------------------------------------------------

    static float exp(float x) {
        x = Math.max(Math.min(x, EXP_HI), EXP_LO);
        float t = Math.fma(x, LOG2E, ROUNDER);
        int k = Float.floatToRawIntBits(t) - ROUNDER_BITS;
        float kf = t - ROUNDER;
        float r = Math.fma(-kf, LN2_HI, x);
        r = Math.fma(-kf, LN2_LO, r);
        float p = Math.fma(P0, r, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        p = Math.fma(p, r * r, r) + 1f;
        int k1 = k >> 1, k2 = k - k1;
        return p * Float.intBitsToFloat((k1 + 127) << 23) * Float.intBitsToFloat((k2 + 127) << 23);
    }

    static float sigmoid(float x) {
        return 1f / (1f + exp(-x));
    }

    static float tanh(float x) {
        float a = Math.abs(x);
        float z = x * x;
        float s = Math.fma(T0, z, T1);
        s = Math.fma(s, z, T2);
        s = Math.fma(s, z, T3);
        s = Math.fma(s, z, T4);
        float small = x * Math.fma(s, z, 1f); // x·(1 + z·s), not x + x·z·s: keeps tanh(−0) = −0
        float large = 1f - 2f / (exp(a + a) + 1f);
        return a < TANH_SMALL ? small : Math.copySign(large, x);
    }

    // ---- vector (the same steps, lane by lane) --------------------------------------------------

    static FloatVector exp(FloatVector x) {
        x = x.min(EXP_HI).max(EXP_LO);
        FloatVector t = x.fma(LOG2E, ROUNDER);
        IntVector k = ((IntVector) t.reinterpretAsInts()).sub(ROUNDER_BITS);
        FloatVector kf = t.sub(ROUNDER).neg();
        FloatVector r = kf.fma(c(x, LN2_HI), x);
        r = kf.fma(c(x, LN2_LO), r);
        FloatVector p = c(x, P0).fma(r, c(x, P1));
        p = p.fma(r, c(x, P2));
        p = p.fma(r, c(x, P3));
        p = p.fma(r, c(x, P4));
        p = p.fma(r, c(x, P5));
        p = p.fma(r.mul(r), r).add(1f);
        IntVector k1 = k.lanewise(VectorOperators.ASHR, 1), k2 = k.sub(k1);
        return p.mul(powerOfTwo(k1)).mul(powerOfTwo(k2));
    }

    static FloatVector sigmoid(FloatVector x) {
        return c(x, 1f).div(exp(x.neg()).add(1f));
    }

    static FloatVector tanh(FloatVector x) {
        FloatVector a = x.abs();
        FloatVector z = x.mul(x);
        FloatVector s = c(x, T0).fma(z, c(x, T1));
        s = s.fma(z, c(x, T2));
        s = s.fma(z, c(x, T3));
        s = s.fma(z, c(x, T4));
        FloatVector small = x.mul(s.fma(z, c(x, 1f)));
        FloatVector large = c(x, 1f).sub(c(x, 2f).div(exp(a.add(a)).add(1f)));
        // copySign(large, x): large ≥ 0, so take its magnitude bits and x's sign bit
        IntVector sign = ((IntVector) x.reinterpretAsInts()).and(0x80000000);
        FloatVector signed = ((IntVector) large.reinterpretAsInts()).or(sign).reinterpretAsFloats();
        VectorMask<Float> isSmall = a.compare(VectorOperators.LT, TANH_SMALL);
        return signed.blend(small, isSmall);
    }

    /** A constant in x's species (the Vector API has no fma with a scalar operand in the middle). */
    private static FloatVector c(FloatVector x, float v) {
        return FloatVector.broadcast(x.species(), v);
    }

    /** 2^k for k in [−126, 127], built in the exponent field. */
    private static FloatVector powerOfTwo(IntVector k) {
        return k.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    }
}
