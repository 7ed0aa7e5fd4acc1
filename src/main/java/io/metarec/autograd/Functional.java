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
            "mse", "bce_with_logits", "log_sum_exp", "softmax", "log_softmax", "softmax_cross_entropy", "solve_spd");

    /**
     * Newton–Schulz iterations of {@link #solveSpd}. Each squares the error E = I − ÂX, which
     * starts below 1 − λmin(Â)/‖Â‖_F, so 24 iterations reach float precision for ‖Â‖_F/λmin up to
     * ~10⁵ (for a ridge system with k unknowns, Â's diagonal is 1, ‖Â‖_F ≤ k, and λmin is bounded
     * below by the ridge term).
     */
    static final int SOLVE_ITERATIONS = 24;

    /**
     * x = A⁻¹b for symmetric positive definite A: [k, k] and b [k, m], or batched [T, k, k] and
     * [T, k, m] (small systems such as a ridge regression's normal equations, one per task).
     * Jacobi-scaled (Â = SAS, S = diag(A)^−½), inverted by Newton–Schulz iterations X ← 2X − XÂX from
     * X₀ = I/‖Â‖_F, then one step of iterative refinement. Only matrix products and elementwise
     * ops: no pivoting, no division by a residual that may vanish, the same kernels on every backend,
     * and derivatives of every order from their rules (in the limit d(A⁻¹b) = −A⁻¹·dA·A⁻¹b).
     */
    public static Tensor solveSpd(Tensor a, Tensor b) {
        boolean single = a.rank() == 2;
        if (single && b.rank() == 2) return ShapeOps.reshape(solveSpd(ShapeOps.reshape(a, 1, a.dim(0), a.dim(1)),
                ShapeOps.reshape(b, 1, b.dim(0), b.dim(1))), b.dim(0), b.dim(1));
        if (a.rank() != 3 || b.rank() != 3 || a.dim(1) != a.dim(2) || b.dim(0) != a.dim(0) || b.dim(1) != a.dim(1))
            throw new ShapeException("solve_spd: needs A [k,k] with b [k,m] or A [T,k,k] with b [T,k,m], got "
                    + a.shapeString() + " and " + b.shapeString());
        int tasks = a.dim(0), k = a.dim(1);
        Tensor eye = Tensor.eye(a.backend(), k);
        Tensor s = Elementwise.pow(Reductions.sum(Elementwise.mul(a, eye), 2, true), -0.5f); // [T, k, 1]
        Tensor ah = Elementwise.mul(Elementwise.mul(a, s), ShapeOps.reshape(s, tasks, 1, k));
        Tensor bh = Elementwise.mul(b, s);
        Tensor fro = Elementwise.sqrt(Reductions.sum(Reductions.sum(Elementwise.square(ah), 2, true), 1, true));
        Tensor x = Elementwise.div(ShapeOps.expand(eye, tasks, k, k), fro);
        for (int i = 0; i < SOLVE_ITERATIONS; i++)
            x = Elementwise.sub(x.mul(2f), Linalg.matmul(x, Linalg.matmul(ah, x)));
        Tensor y = Linalg.matmul(x, bh);
        y = Elementwise.add(y, Linalg.matmul(x, Elementwise.sub(bh, Linalg.matmul(ah, y))));
        return Elementwise.mul(y, s);
    }

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
