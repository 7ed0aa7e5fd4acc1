package io.metarec.backend.cpu;

import io.metarec.backend.Backend;
import io.metarec.backend.Binary;
import io.metarec.backend.Broadcast;
import io.metarec.backend.Buffer;
import io.metarec.backend.Distribution;
import io.metarec.backend.Indices;
import io.metarec.backend.Philox;
import io.metarec.backend.Reduce;
import io.metarec.backend.Unary;

import java.util.Arrays;

/**
 * Plain loops, written to be obviously correct: the oracle every other backend is tested against.
 * Also the fallback when the Vector API module is absent.
 */
public class ScalarBackend implements Backend {

    @Override public String name() { return "cpu-scalar"; }

    @Override public String describe() { return "plain Java loops (the reference implementation)"; }

    @Override public boolean hostResident() { return true; }

    /** Recycled through the thread's open memory scope, if any ({@link HostScopes}). */
    @Override public Buffer allocate(int length) { return HostScopes.allocate(length, false); }

    @Override public Buffer zeros(int length) { return HostScopes.allocate(length, true); }

    @Override public io.metarec.backend.MemoryScope openScope() { return HostScopes.open(); }

    @Override public io.metarec.backend.MemoryScope openRepeatingScope() { return HostScopes.openRepeating(); }

    /** Recycles a buffer an open scope of this thread owns; leaves any other to the collector. */
    @Override public void release(Buffer buffer) { HostScopes.release(buffer); }

    /** The new table outside every scope (a parameter or moment for the next step), as the contract asks. */
    @Override public Buffer withRows(Buffer base, int cols, Indices rows, Buffer block) {
        float[] out = HeapBuffer.of(base).clone(), b = HeapBuffer.of(block);
        for (int j = 0; j < rows.length(); j++) System.arraycopy(b, j * cols, out, rows.get(j) * cols, cols);
        return new HeapBuffer(out);
    }

    /** Never owned by a memory scope: how host data built to outlive a request (a cache) is made. */
    @Override public Buffer upload(float[] data) { return new HeapBuffer(data.clone()); }

    @Override public float[] download(Buffer buffer) { return HeapBuffer.of(buffer).clone(); }

    @Override public void fill(Buffer out, float value) { Arrays.fill(HeapBuffer.of(out), value); }

    @Override public void accumulate(Buffer acc, Buffer x) {
        float[] a = HeapBuffer.of(acc), xs = HeapBuffer.of(x);
        if (xs.length != a.length) throw new IllegalArgumentException("accumulate: lengths " + a.length + " and " + xs.length);
        for (int i = 0; i < a.length; i++) a[i] += xs[i];
    }

    @Override public void unary(Unary op, Buffer x, Buffer out, float p1, float p2) {
        float[] xs = HeapBuffer.of(x), o = HeapBuffer.of(out);
        for (int i = 0; i < xs.length; i++) o[i] = op.apply(xs[i], p1, p2);
    }

    @Override public void binary(Binary op, Buffer a, Buffer b, Buffer out, Broadcast plan) {
        float[] as = HeapBuffer.of(a), bs = HeapBuffer.of(b), o = HeapBuffer.of(out);
        int[] dims = plan.dims, sa = plan.aStrides, sb = plan.bStrides;
        int r = dims.length, inner = dims[r - 1], ia = sa[r - 1], ib = sb[r - 1];
        int[] idx = new int[r];
        int offA = 0, offB = 0;
        for (int o0 = 0; o0 < plan.size; o0 += inner) {
            for (int j = 0; j < inner; j++) o[o0 + j] = op.apply(as[offA + j * ia], bs[offB + j * ib]);
            for (int d = r - 2; d >= 0; d--) { // odometer over the outer dimensions
                offA += sa[d];
                offB += sb[d];
                if (++idx[d] < dims[d]) break;
                offA -= sa[d] * dims[d];
                offB -= sb[d] * dims[d];
                idx[d] = 0;
            }
        }
    }

    @Override public void expand(Buffer x, Buffer out, Broadcast plan) {
        float[] xs = HeapBuffer.of(x), o = HeapBuffer.of(out);
        int[] dims = plan.dims, sa = plan.aStrides;
        int r = dims.length, inner = dims[r - 1], ia = sa[r - 1];
        int[] idx = new int[r];
        int off = 0;
        for (int o0 = 0; o0 < plan.size; o0 += inner) {
            for (int j = 0; j < inner; j++) o[o0 + j] = xs[off + j * ia];
            for (int d = r - 2; d >= 0; d--) {
                off += sa[d];
                if (++idx[d] < dims[d]) break;
                off -= sa[d] * dims[d];
                idx[d] = 0;
            }
        }
    }

    @Override public void where(Buffer cond, Buffer a, Buffer b, Buffer out) {
        float[] c = HeapBuffer.of(cond), as = HeapBuffer.of(a), bs = HeapBuffer.of(b), o = HeapBuffer.of(out);
        for (int i = 0; i < c.length; i++) o[i] = c[i] != 0f ? as[i] : bs[i];
    }

    @Override public void reduce(Reduce op, Buffer x, Buffer out, int outer, int n, int inner) {
        float[] xs = HeapBuffer.of(x), o = HeapBuffer.of(out);
        for (int p = 0; p < outer; p++) {
            for (int i = 0; i < inner; i++) {
                float acc = op.identity();
                for (int j = 0; j < n; j++) acc = op.combine(acc, xs[(p * n + j) * inner + i]);
                o[p * inner + i] = acc;
            }
        }
    }

    @Override public void gemm(boolean ta, boolean tb, int batch, int m, int n, int k, Buffer a, Buffer b, Buffer c) {
        float[] as = HeapBuffer.of(a), bs = HeapBuffer.of(b), cs = HeapBuffer.of(c);
        for (int t = 0; t < batch; t++) {
            int oa = t * m * k, ob = t * k * n, oc = t * m * n;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    float acc = 0f;
                    for (int p = 0; p < k; p++) {
                        float av = ta ? as[oa + p * m + i] : as[oa + i * k + p];
                        float bv = tb ? bs[ob + j * k + p] : bs[ob + p * n + j];
                        acc += av * bv;
                    }
                    cs[oc + i * n + j] = acc;
                }
            }
        }
    }

    @Override public void transpose(Buffer x, Buffer out, int batch, int rows, int cols) {
        float[] xs = HeapBuffer.of(x), o = HeapBuffer.of(out);
        for (int t = 0; t < batch; t++) {
            int off = t * rows * cols;
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++) o[off + j * rows + i] = xs[off + i * cols + j];
        }
    }

    @Override public void copy2d(Buffer src, int srcOffset, int srcStride, Buffer dst, int dstOffset, int dstStride, int rows, int cols) {
        float[] s = HeapBuffer.of(src), d = HeapBuffer.of(dst);
        for (int r = 0; r < rows; r++) System.arraycopy(s, srcOffset + r * srcStride, d, dstOffset + r * dstStride, cols);
    }

    @Override public void gatherRows(Buffer table, int cols, Indices rows, Buffer out) {
        float[] t = HeapBuffer.of(table), o = HeapBuffer.of(out);
        for (int r = 0; r < rows.length(); r++) System.arraycopy(t, rows.get(r) * cols, o, r * cols, cols);
    }

    @Override public void scatterAddRows(Buffer src, int cols, Indices rows, Buffer out) {
        float[] s = HeapBuffer.of(src), o = HeapBuffer.of(out);
        for (int r = 0; r < rows.length(); r++) {
            int dst = rows.get(r) * cols;
            for (int c = 0; c < cols; c++) o[dst + c] += s[r * cols + c];
        }
    }

    @Override public void segmentMean(Buffer x, int cols, Indices offsets, Buffer out) {
        float[] xs = HeapBuffer.of(x), o = HeapBuffer.of(out);
        for (int s = 0; s + 1 < offsets.length(); s++) {
            int from = offsets.get(s), to = offsets.get(s + 1);
            for (int c = 0; c < cols; c++) {
                float acc = 0f;
                for (int j = from; j < to; j++) acc += xs[j * cols + c];
                o[s * cols + c] = to > from ? acc / (to - from) : 0f;
            }
        }
    }

    @Override public void segmentExpandMean(Buffer g, int cols, Indices offsets, Buffer out) {
        float[] gs = HeapBuffer.of(g), o = HeapBuffer.of(out);
        for (int s = 0; s + 1 < offsets.length(); s++) {
            int from = offsets.get(s), to = offsets.get(s + 1);
            for (int j = from; j < to; j++)
                for (int c = 0; c < cols; c++) o[j * cols + c] = gs[s * cols + c] / (to - from);
        }
    }

    @Override public io.metarec.backend.Fused.AdamResult adamStep(Buffer param, Buffer grad, Buffer m, Buffer v,
                                                               io.metarec.backend.Fused.AdamCoefficients c) {
        return adamStep(param, grad, m, v, false, c); // fresh moments (VectorBackend's override too)
    }

    @Override public io.metarec.backend.Fused.AdamResult adamStep(Buffer param, Buffer grad, Buffer m, Buffer v, boolean reuseMoments,
                                                               io.metarec.backend.Fused.AdamCoefficients c) {
        return CpuFused.adam(param, grad, m, v, reuseMoments, c);
    }

    @Override public io.metarec.backend.Fused.AdamResult adamStepRows(Buffer param, int cols, Indices rows, Buffer block, Buffer m, Buffer v,
                                                                   boolean reuseMoments, io.metarec.backend.Fused.AdamCoefficients c) {
        return CpuFused.adamRows(param, cols, rows, block, m, v, reuseMoments, c);
    }

    @Override public io.metarec.backend.Fused.SgdResult sgdStep(Buffer param, Buffer grad, Buffer momentum,
                                                             io.metarec.backend.Fused.SgdCoefficients c) {
        return CpuFused.sgd(param, grad, momentum, c);
    }

    @Override public void random(Distribution distribution, long seed, long stream, float p1, float p2, Buffer out) {
        float[] o = HeapBuffer.of(out);
        Philox.fill(distribution, seed, stream, p1, p2, o, o.length);
    }
}
