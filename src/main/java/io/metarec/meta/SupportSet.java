package io.metarec.meta;

import io.metarec.autograd.Tensor;
import io.metarec.nn.Params;

import java.util.function.Function;

/**
 * A task's support set as an inner loop sees it (or a stack of them): the embedded examples and
 * the training loss of any candidate fast weights. When the inner loop adapts embedding parameters
 * too, the examples are re-embedded with the fast weights at every evaluation.
 */
public final class SupportSet {
    private final MetaModel<?> model;
    private final Params base;
    private final Batch batch;
    private final Function<Params, Batch> reembed;
    private final int[] taskIndices;
    private final long metaStep;

    /**
     * @param taskIndices the meta-batch index of each task (one, or T for a stack)
     * @param metaStep    the learner's meta-step count during meta-training, −1 when evaluating
     */
    SupportSet(MetaModel<?> model, Params base, Batch batch, Function<Params, Batch> reembed, int[] taskIndices, long metaStep) {
        if (taskIndices.length != batch.tasks())
            throw new IllegalArgumentException("support set: " + taskIndices.length + " task indices for " + batch.tasks() + " tasks");
        this.model = model;
        this.base = base;
        this.batch = batch;
        this.reembed = reembed;
        this.taskIndices = taskIndices.clone();
        this.metaStep = metaStep;
    }

    /** The examples embedded with the meta-parameters (what LEO's encoder reads). */
    public Batch batch() { return batch; }

    /** Number of tasks (T for a stack, else 1). */
    public int tasks() { return batch.tasks(); }

    /** The meta-batch index of task t of this set (0 for a single task at evaluation). */
    public int taskIndex(int t) { return taskIndices[t]; }

    /**
     * The meta-step this set is adapted in (with {@link #taskIndex} it keys a stochastic learner's
     * noise, so draws do not depend on threads or stacking), or −1 at evaluation, where a
     * stochastic learner uses its means.
     */
    public long metaStep() { return metaStep; }

    /** The meta-parameters the fast weights start from and complete. */
    public Params base() { return base; }

    /** Loss per task under fast weights: rank 0 for one task, [T] for a stack. */
    public Tensor perTaskLoss(Params fast) {
        Params p = base.with(fast);
        Batch b = reembed == null ? batch : reembed.apply(p);
        return model.supportLoss(model.head(p, b.features()), b.targets(), b.mask());
    }

    /** The sum of the per-task losses (each task's gradient is then its own loss's gradient). */
    public Tensor loss(Params fast) {
        Tensor l = perTaskLoss(fast);
        return l.rank() == 0 ? l : l.sum();
    }
}
