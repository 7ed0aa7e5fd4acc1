package io.metarec.nn;

import io.metarec.autograd.Linalg;
import io.metarec.autograd.ShapeOps;
import io.metarec.autograd.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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

    /**
     * {@code activation}(x·W + b) for rows x whose inputs {@code constantInputs} hold the same
     * values on every row ({@code constant} [1, c]) and the other inputs vary ({@code varying}
     * [rows, v], inputs {@code varyingInputs}, in that order): x·W splits by inputs into
     * varying·W[varying rows] + constant·W[constant rows], and the second term, one row, is
     * computed once and added as the bias. A catalogue paired with one user costs only the
     * items' share of the product. Shared weights only; equal to {@link #forward(Params, Tensor, Activation)}
     * over the full rows up to float rounding (the sum is associated differently), not bitwise.
     */
    public Tensor forwardWithConstantInputs(Params p, Tensor varying, int[] varyingInputs, Tensor constant, int[] constantInputs,
                                            Activation activation) {
        Tensor w = p.get(weightName());
        if (w.rank() != 2) throw new IllegalArgumentException("Linear " + name + ": constant inputs need shared weights [in, out], got " + Arrays.toString(w.shape()));
        if (varyingInputs.length + constantInputs.length != in)
            throw new IllegalArgumentException("Linear " + name + ": " + varyingInputs.length + " varying + " + constantInputs.length + " constant inputs, expected " + in);
        Tensor shift = constant.matmul(rows(w, constantInputs));
        if (bias) shift = shift.add(p.get(biasName()).reshape(1, out));
        shift = shift.reshape(out);
        if (activation == Activation.RELU || activation == Activation.IDENTITY)
            return Linalg.linear(varying, rows(w, varyingInputs), shift, activation == Activation.RELU);
        return activation.apply(varying.matmul(rows(w, varyingInputs)).add(shift));
    }

    /** The rows {@code inputs} of w, in that order (one slice per run of consecutive rows). */
    private static Tensor rows(Tensor w, int[] inputs) {
        List<Tensor> runs = new ArrayList<>();
        for (int i = 0; i < inputs.length; ) {
            int j = i + 1;
            while (j < inputs.length && inputs[j] == inputs[j - 1] + 1) j++;
            runs.add(w.slice(0, inputs[i], inputs[j - 1] + 1));
            i = j;
        }
        if (runs.isEmpty()) throw new IllegalArgumentException("Linear: no inputs selected");
        return runs.size() == 1 ? runs.get(0) : ShapeOps.concat(runs, 0);
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
