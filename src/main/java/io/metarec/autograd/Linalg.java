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

    /** Whether {@link #linear} applies ReLU. */
    private record LinearFlags(boolean relu) {}

    // y = act(x·W + b), act ReLU or none. With gz = relu_grad(g, y) (y > 0 exactly where x·W + b > 0)
    // or g itself: dx = gz·Wᵀ, dW = xᵀ·gz, db = gz summed over rows — the rules of matmul, add and relu,
    // written in the same ops, so a second derivative goes through them as through the separate ops.
    static final Op LINEAR = Op.define("linear", (g, n) -> {
        LinearFlags f = n.attrs();
        Tensor x = n.input(0), w = n.input(1);
        Tensor gz = f.relu ? Elementwise.reluGrad(g, n.output()) : g;
        Tensor dx = !n.needs(0) ? null : matmul(gz, w, false, true);
        Tensor dw = !n.needs(1) ? null : matmul(x, gz, true, false);
        Tensor db = n.arity() < 3 || !n.needs(2) ? null : Reductions.sumTo(gz, n.input(2).shapeRef());
        return n.arity() < 3 ? new Tensor[] {dx, dw} : new Tensor[] {dx, dw, db};
    });

    /**
     * A dense layer, act(x·w + b), for x [rows, in] (or [T, rows, in], folded into rows), w [in, out],
     * b [out] or null, act ReLU when {@code relu}: one backend call ({@link Backend#linear}, the bias
     * and the ReLU fused into the product's store) and, while recording, one graph node instead of
     * three (matmul, add, relu) — the same values, bit for bit ({@code Backend#linear}'s contract),
     * fewer passes over the rows and fewer buffers kept for the backward pass.
     */
    public static Tensor linear(Tensor x, Tensor w, Tensor b, boolean relu) {
        if (x.rank() == 3) {
            Tensor flat = linear(ShapeOps.reshape(x, x.dim(0) * x.dim(1), x.dim(2)), w, b, relu);
            return ShapeOps.reshape(flat, x.dim(0), x.dim(1), flat.dim(1));
        }
        if (x.rank() != 2 || w.rank() != 2 || x.dim(1) != w.dim(0))
            throw new ShapeException("linear: needs [rows,in]×[in,out], got " + x.shapeString() + " × " + w.shapeString());
        if (b != null && (b.rank() != 1 || b.dim(0) != w.dim(1)))
            throw new ShapeException("linear: bias must be [" + w.dim(1) + "], got " + b.shapeString());
        int rows = x.dim(0), in = w.dim(0), out = w.dim(1);
        Backend be = x.backend();
        Buffer buffer = be.allocate(rows * out);
        be.linear(rows, out, in, x.buffer(), w.buffer(), b == null ? null : b.buffer(), relu ? io.metarec.backend.Unary.RELU : null, buffer);
        int[] shape = {rows, out};
        LinearFlags flags = new LinearFlags(relu);
        return b == null ? Tensor.result(be, shape, buffer, LINEAR, flags, x, w) : Tensor.result(be, shape, buffer, LINEAR, flags, x, w, b);
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
            Tensor shared = r == 3 && !transposeA ? ShapeOps.batchBroadcastSource(b) : null;
            if (m > 0 && n > 0) {
                // T products sharing one right operand (θ lifted to T copies for per-task fast
                // weights) run as one product of T·m rows: every element of C is the same multiply-add
                // chain over k, so the bits are the same, and a 20-row task's product stops paying
                // for packing (or transposing) B on its own (35–55 instead of 16–29 GFLOP/s at MeLU's shapes).
                if (shared != null) be.gemm(false, transposeB, 1, batch * m, n, ka, a.buffer(), shared.buffer(), out);
                else be.gemm(transposeA, transposeB, batch, m, n, ka, a.buffer(), b.buffer(), out);
            }
        }
        return Tensor.result(be, shape, out, MATMUL, new Flags(transposeA, transposeB), a, b);
    }
}
