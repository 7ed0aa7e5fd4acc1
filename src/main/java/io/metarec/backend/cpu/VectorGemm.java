package io.metarec.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-precision GEMM on the Vector API: C[m,n] = op(A)·op(B), row-major.
 * (Placeholder i-k-j kernel; replaced by the packed, register-blocked kernel.)
 */
public final class VectorGemm {
    static final VectorSpecies<Float> S = VectorBackend.SPECIES;

    private VectorGemm() {}

    public static void gemm(boolean ta, boolean tb, int m, int n, int k,
                            float[] a, int aOff, float[] b, int bOff, float[] c, int cOff) {
        float[] bb = b;
        int bo = bOff;
        if (tb) { // materialize op(B) as [k, n]
            bb = new float[k * n];
            for (int j = 0; j < n; j++) for (int p = 0; p < k; p++) bb[p * n + j] = b[bOff + j * k + p];
            bo = 0;
        }
        int L = S.length(), bound = S.loopBound(n);
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * n;
            java.util.Arrays.fill(c, ci, ci + n, 0f);
            for (int p = 0; p < k; p++) {
                float av = ta ? a[aOff + p * m + i] : a[aOff + i * k + p];
                FloatVector va = FloatVector.broadcast(S, av);
                int bp = bo + p * n, j = 0;
                for (; j < bound; j += L)
                    va.fma(FloatVector.fromArray(S, bb, bp + j), FloatVector.fromArray(S, c, ci + j)).intoArray(c, ci + j);
                for (; j < n; j++) c[ci + j] += av * bb[bp + j];
            }
        }
    }
}
