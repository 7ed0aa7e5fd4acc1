package io.metarec.autograd;

import io.metarec.backend.Backend;
import io.metarec.backend.Buffer;
import io.metarec.backend.ShapeException;

/**
 * Matrix products: C = op(A)·op(B) for rank-2 operands, and batched over a leading dimension
 * ([T, n, k] × [T, k, m], one product per task). Transposes are flags, never copies; the rule
 * writes each gradient as another flagged product.
 */
public final class Linalg {
    private Linalg() {}

    private record Flags(boolean ta, boolean tb) {}

    // C = op(A)·op(B).  dA: op(A)=A → G·op(B)ᵀ;  op(A)=Aᵀ → op(B)·Gᵀ.
    //                   dB: op(B)=B → op(A)ᵀ·G;  op(B)=Bᵀ → Gᵀ·op(A).
    static final Op MATMUL = Op.define("matmul", (g, n) -> {
        Flags f = n.attrs();
        Tensor a = n.input(0), b = n.input(1);
        Tensor da = !n.needs(0) ? null : f.ta ? matmul(b, g, f.tb, true) : matmul(g, b, false, !f.tb);
        Tensor db = !n.needs(1) ? null : f.tb ? matmul(g, a, true, f.ta) : matmul(a, g, !f.ta, false);
        return new Tensor[] {da, db};
    });

    /** a·b for [n,k]×[k,m], batched [T,n,k]×[T,k,m], or [T,n,k]×[k,m] (shared right operand). */
    public static Tensor matmul(Tensor a, Tensor b) {
        if (a.rank() == 3 && b.rank() == 2) { // shared weights: fold the batch into rows
            Tensor flat = ShapeOps.reshape(a, a.dim(0) * a.dim(1), a.dim(2));
            return ShapeOps.reshape(matmul(flat, b, false, false), a.dim(0), a.dim(1), b.dim(1));
        }
        return matmul(a, b, false, false);
    }

    /**
     * op(a)·op(b), where op transposes the last two dimensions when its flag is set. Both operands
     * have rank 2, or both rank 3 with the same batch size.
     */
    public static Tensor matmul(Tensor a, Tensor b, boolean transposeA, boolean transposeB) {
        int r = a.rank();
        if ((r != 2 && r != 3) || b.rank() != r || (r == 3 && a.dim(0) != b.dim(0)))
            throw new ShapeException("matmul: needs [n,k]×[k,m] or [T,n,k]×[T,k,m], got " + a.shapeString() + " × " + b.shapeString());
        int batch = r == 3 ? a.dim(0) : 1;
        int m = transposeA ? a.dim(-1) : a.dim(-2), ka = transposeA ? a.dim(-2) : a.dim(-1);
        int kb = transposeB ? b.dim(-1) : b.dim(-2), n = transposeB ? b.dim(-2) : b.dim(-1);
        if (ka != kb)
            throw new ShapeException("matmul: inner dimensions differ: " + a.shapeString() + (transposeA ? "ᵀ" : "") + " × "
                    + b.shapeString() + (transposeB ? "ᵀ" : "") + " (" + ka + " vs " + kb + ")");
        int[] shape = r == 3 ? new int[] {batch, m, n} : new int[] {m, n};
        Backend be = a.backend();
        Buffer out;
        if (ka == 0) out = be.zeros(batch * m * n);
        else {
            out = be.allocate(batch * m * n);
            if (m > 0 && n > 0) be.gemm(transposeA, transposeB, batch, m, n, ka, a.buffer(), b.buffer(), out);
        }
        return Tensor.result(be, shape, out, MATMUL, new Flags(transposeA, transposeB), a, b);
    }
}
