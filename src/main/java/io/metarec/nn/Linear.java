package io.metarec.nn;

import io.metarec.autograd.Linalg;
import io.metarec.autograd.Tensor;

/**
 * y = x·W + b with W [in, out] and b [out], parameters {@code name.weight} and {@code name.bias}.
 * x may be [rows, in] or batched [T, rows, in] (with weights shared, or per-task [T, in, out] /
 * [T, 1, out] when a meta-learner batches tasks).
 */
public record Linear(String name, int in, int out, boolean bias, Init weightInit) {

    public Linear {
        if (in <= 0 || out <= 0) throw new IllegalArgumentException("Linear " + name + ": sizes must be positive, got " + in + "→" + out);
    }

    public Linear(String name, int in, int out) {
        this(name, in, out, true, Init.HE_NORMAL);
    }

    public String weightName() { return name + ".weight"; }

    public String biasName() { return name + ".bias"; }

    /** Number of values in {@link #init}'s parameters. */
    public long parameterCount() {
        return (long) in * out + (bias ? out : 0);
    }

    public Params init(long seed) {
        Params p = Params.empty().with(weightName(), weightInit.draw(seed, weightName(), in, in, out));
        return bias ? p.with(biasName(), Init.ZEROS.draw(seed, biasName(), in, out)) : p;
    }

    /**
     * {@code activation}(x·W + b). Shared weights with ReLU or no activation go through
     * {@link Linalg#linear} (one kernel, one graph node), the same bits as
     * {@code activation.apply(forward(p, x))}.
     */
    public Tensor forward(Params p, Tensor x, Activation activation) {
        Tensor w = p.get(weightName());
        if (w.rank() == 2 && (activation == Activation.RELU || activation == Activation.IDENTITY))
            return Linalg.linear(x, w, bias ? p.get(biasName()) : null, activation == Activation.RELU);
        return activation.apply(forward(p, x));
    }

    public Tensor forward(Params p, Tensor x) {
        Tensor w = p.get(weightName());
        Tensor y = x.matmul(w);
        if (!bias) return y;
        Tensor b = p.get(biasName());
        // Per-task weights [T, in, out] come with per-task biases [T, out]: broadcast over rows.
        if (w.rank() == 3 && b.rank() == 2) b = b.reshape(b.dim(0), 1, b.dim(1));
        return y.add(b);
    }
}
