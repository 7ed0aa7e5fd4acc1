package io.metarec.meta;

import io.metarec.autograd.Functional;
import io.metarec.autograd.Tensor;

/**
 * Per-task training losses: the mean over a task's real examples, for one task or for each task of
 * a stack (padding excluded by the mask).
 */
public enum LossKind {
    /** Mean squared error (explicit ratings, regression). */
    MSE,
    /** Binary cross-entropy on logits (implicit feedback: targets 0/1). */
    BCE_WITH_LOGITS;

    /** Elementwise loss terms. */
    private Tensor terms(Tensor pred, Tensor target) {
        return switch (this) {
            case MSE -> pred.sub(target).square();
            // softplus(x) − x·t: see Functional.bceWithLogits for why this form
            case BCE_WITH_LOGITS -> pred.softplus().sub(pred.mul(target));
        };
    }

    /** The mean loss of one task (pred, target [N, o]). */
    public Tensor of(Tensor pred, Tensor target) {
        return switch (this) {
            case MSE -> Functional.mse(pred, target);
            case BCE_WITH_LOGITS -> Functional.bceWithLogits(pred, target);
        };
    }

    /**
     * {@link #perTask} weighted by n / (n + κ), n a task's number of examples: a support of n
     * ratings moves the inner loop as far as n ratings against κ pseudo-ratings at the initial
     * model would — the shrinkage of a Bayesian average, applied to adaptation. κ = 0 is the plain loss.
     */
    public Tensor perTaskShrunk(Tensor pred, Tensor target, Tensor mask, float kappa) {
        Tensor l = perTask(pred, target, mask);
        if (kappa == 0) return l;
        if (pred.rank() == 2) return l.mul(pred.dim(0) / (pred.dim(0) + kappa));
        int tasks = pred.dim(0);
        // Tensor ops on the mask (a constant): no host read in the inner loop on a device backend.
        Tensor n = mask == null ? Tensor.full(l.backend(), pred.dim(1), tasks) : mask.sum(1, false).reshape(tasks);
        return l.mul(n.div(n.add(kappa)));
    }

    /**
     * One loss per task: a rank-0 tensor for a single task, a [T] tensor for a stack
     * (pred, target [T, N, o], mask [T, N, 1] or null).
     */
    public Tensor perTask(Tensor pred, Tensor target, Tensor mask) {
        if (pred.rank() == 2) return of(pred, target);
        int tasks = pred.dim(0), rows = pred.dim(1), outs = pred.dim(2);
        Tensor e = terms(pred, target);
        if (mask == null) return e.sum(2, false).sum(1, false).mul(1f / (rows * outs));
        Tensor counts = mask.sum(1, false).reshape(tasks).mul(outs);
        return e.mul(mask).sum(2, false).sum(1, false).div(counts);
    }
}
