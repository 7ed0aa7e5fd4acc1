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
