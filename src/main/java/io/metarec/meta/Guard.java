package io.metarec.meta;

import io.metarec.autograd.GradMode;
import io.metarec.autograd.Gradient;
import io.metarec.autograd.Tensor;

import java.util.List;

/**
 * Stops a NaN or infinity where it appears, naming the learner, the task (its index in the
 * meta-batch) and the inner step, instead of letting it spread silently into θ.
 */
public final class Guard {
    private final String learner;
    private final int[] tasks;

    /** @param tasks the meta-batch index of each task this guard watches (one, or T for a stack) */
    public Guard(String learner, int[] tasks) {
        this.learner = learner;
        this.tasks = tasks.clone();
    }

    /** Support loss per task (rank 0 or [T]) at inner step {@code step}. */
    public void checkLoss(Tensor perTask, int step) {
        check(perTask, step, "the support loss");
    }

    /** The query loss per task after adaptation. */
    public void checkQuery(Tensor perTask) {
        check(perTask, -1, "the query loss");
    }

    /** Inner gradients at a step; for a stack, each task's share is checked separately. */
    public void checkGradients(List<Tensor> grads, int step, boolean stacked) {
        try (var off = GradMode.disabled()) {
            Tensor acc = null;
            for (Tensor g : grads) {
                Tensor s = stacked ? g.reshape(g.dim(0), -1).sum(1, false) : g.sum();
                acc = acc == null ? s : acc.add(s);
            }
            if (acc != null) check(acc, step, "the inner gradient");
        }
    }

    /** Meta-gradients of a task (or of a whole stack, which cannot be split by task). */
    public void checkMetaGradients(List<Tensor> grads) {
        checkMetaGradientsOf(grads.stream().<Gradient>map(Gradient.Dense::new).toList());
    }

    /** The same for gradients some of which are row-sparse (their touched rows are summed). */
    public void checkMetaGradientsOf(List<Gradient> grads) {
        try (var off = GradMode.disabled()) {
            Tensor acc = null;
            for (Gradient g : grads) acc = acc == null ? g.sum() : acc.add(g.sum());
            if (acc != null && !Float.isFinite(acc.item()))
                throw new NonFiniteException(learner, tasks.length == 1 ? tasks[0] : tasks[0], -1, "the meta-gradient");
        }
    }

    private void check(Tensor values, int step, String what) {
        float[] v = values.toArray();
        for (int i = 0; i < v.length; i++)
            if (!Float.isFinite(v[i])) throw new NonFiniteException(learner, tasks[Math.min(i, tasks.length - 1)], step, what + " (" + v[i] + ")");
    }
}
