package io.metarec.autograd;

import io.metarec.backend.Indices;
import io.metarec.backend.ShapeException;

import java.util.Arrays;
import java.util.List;

/**
 * Composite functions: losses and softmax, built only from registered ops, so their first and
 * second derivatives come from those ops' rules (no extra code to get wrong).
 */
public final class Functional {
    private Functional() {}

    /** Names of the composites, listed next to the primitive ops by {@link OpRegistry}. */
    public static final List<String> COMPOSITES = List.of(
            "mse", "bce_with_logits", "log_sum_exp", "softmax", "log_softmax", "softmax_cross_entropy");

    /** Mean squared error over all elements: mean((pred − target)²). */
    public static Tensor mse(Tensor pred, Tensor target) {
        requireSameShape("mse", pred, target);
        return Reductions.mean(Elementwise.square(Elementwise.sub(pred, target)));
    }

    /**
     * Binary cross-entropy on logits, mean over elements: mean(softplus(x) − x·t).
     * NOTE: equal to −t·log σ(x) − (1 − t)·log(1 − σ(x)) but never takes the log of 0, and its
     * derivative σ(x) − t is exact everywhere (the max(x,0) − x·t + log(1 + e^−|x|) form has a
     * kink at 0 where autodiff of |x| would give the wrong gradient).
     */
    public static Tensor bceWithLogits(Tensor logits, Tensor targets) {
        requireSameShape("bce_with_logits", logits, targets);
        return Reductions.mean(Elementwise.sub(Elementwise.softplus(logits), Elementwise.mul(logits, targets)));
    }

    /**
     * log Σ exp(x) along {@code axis}, kept as a size-1 dimension.
     * NOTE: shifted by the detached maximum so exp never overflows; the value and every derivative
     * are independent of the shift, so detaching it loses nothing.
     */
    public static Tensor logSumExp(Tensor x, int axis) {
        Tensor m = Reductions.max(x, axis, true).detach();
        Tensor s = Reductions.sum(Elementwise.exp(Elementwise.sub(x, m)), axis, true);
        return Elementwise.add(Elementwise.log(s), m);
    }

    public static Tensor logSoftmax(Tensor x, int axis) {
        return Elementwise.sub(x, logSumExp(x, axis));
    }

    public static Tensor softmax(Tensor x, int axis) {
        return Elementwise.exp(logSoftmax(x, axis));
    }

    /** Mean over rows of −log softmax(logits)[row, target[row]] for logits [n, classes]. */
    public static Tensor softmaxCrossEntropy(Tensor logits, Indices targets) {
        if (logits.rank() != 2 || logits.dim(0) != targets.length())
            throw new ShapeException("softmax_cross_entropy: logits must be [" + targets.length() + ", classes] for "
                    + targets.length() + " targets, got " + logits.shapeString());
        int n = logits.dim(0), classes = logits.dim(1);
        int bad = targets.firstOutOfRange(classes);
        if (bad >= 0)
            throw new IndexOutOfBoundsException("softmax_cross_entropy: target " + targets.get(bad) + " of row " + bad
                    + " is not a class in [0, " + classes + ")");
        float[] hot = new float[n * classes];
        for (int i = 0; i < n; i++) hot[i * classes + targets.get(i)] = 1f;
        Tensor oneHot = Tensor.of(logits.backend(), hot, n, classes);
        Tensor picked = Reductions.sum(Elementwise.mul(logits, oneHot), 1, true);
        return Reductions.mean(Elementwise.sub(logSumExp(logits, 1), picked));
    }

    private static void requireSameShape(String op, Tensor a, Tensor b) {
        if (!Arrays.equals(a.shapeRef(), b.shapeRef()))
            throw new ShapeException(op + ": prediction " + a.shapeString() + " and target " + b.shapeString() + " differ in shape");
    }
}
