package io.metarec.meta;

import io.metarec.autograd.Tensor;
import io.metarec.nn.Params;

import java.util.List;

/**
 * A model as meta-learners see it: a function of explicit {@link Params}, in two stages.
 * <ol>
 *   <li>{@link #embed}: a task's raw data {@code D} → per-example features and targets, using the
 *       parameters of {@link #embeddingGroups()} (for MeLU: the field embeddings);</li>
 *   <li>{@link #head}: features → predictions, using the rest (for MeLU: the MLP).</li>
 * </ol>
 * When the inner loop adapts only head parameters (MeLU's local update), a learner embeds each task
 * once and runs every inner step on the head alone. {@code head} must accept both one task's
 * features [N, f] with plain parameters and a stack [T, N, f] whose adapted parameters carry a
 * leading task dimension (per-task fast weights), which is how learners batch a meta-batch into
 * the same kernels.
 *
 * @param <D> the raw data of a support or query set
 */
public interface MetaModel<D> {

    /** Freshly initialised parameters (deterministic for a seed). */
    Params init(long seed);

    /**
     * The number of values {@link #init} allocates, computed without allocating them, or −1 when
     * the model does not say. A loader compares it with what a file holds before building a model
     * whose sizes come from that file.
     */
    default long parameterCount() {
        return -1;
    }

    /** Groups (name prefixes) of the parameters {@link #embed} reads; empty when it reads none. */
    List<String> embeddingGroups();

    /**
     * The number of examples in a support or query set, or −1 when the model cannot tell without
     * embedding it. Learners use it to reject an empty set before any work.
     */
    default int examples(D data) {
        return -1;
    }

    /**
     * The width f of the features {@link #embed} produces, or −1 when the model does not say
     * (learners that read the features themselves, like LEO's encoder, need it).
     */
    default int featureWidth() {
        return -1;
    }

    /** The width o of the targets (1 for ratings, clicks and scalar regression). */
    default int targetWidth() {
        return 1;
    }

    /** Features [N, f] and targets [N, o] of a support or query set. */
    Batch embed(Params params, D data);

    /**
     * The embedded examples of several tasks stacked as [T, Nmax, …] (see {@link Batch#stack}).
     * A model whose embedding is a row lookup should override this to embed all tasks in one
     * lookup: the backward pass then scatters into each table once instead of once per task.
     */
    default Batch embedStack(Params params, List<D> data) {
        List<Batch> batches = new java.util.ArrayList<>(data.size());
        for (D d : data) batches.add(embed(params, d));
        return Batch.stack(batches);
    }

    /** Predictions [N, o] (or [T, N, o] for stacked features and per-task parameters). */
    Tensor head(Params params, Tensor features);

    /**
     * Adapted parameters this model fits to a support set in closed form, where the inner loop's
     * steps then start: by default none. Values are per task ([T, …] for a stack) and a
     * differentiable function of the support and θ (a ridge regression of the user's own factors,
     * say), so meta-training learns through them as through a gradient step.
     *
     * @param params  the meta-parameters the fast weights complete
     * @param support the embedded support set (features, targets, mask)
     * @param fast    the fast weights before adaptation (θ's adapted part, or per-task copies of it)
     * @return values for some of {@code fast}'s names
     */
    default Params fitInClosedForm(Params params, Batch support, Params fast) {
        return Params.empty();
    }

    /**
     * The names {@link #fitInClosedForm} sets whenever they are among the fast weights (by default
     * none): a learner that emits its fast weights from a fixed-size code (LEO) leaves them out of
     * what it emits.
     */
    default java.util.Set<String> fittedInClosedForm() {
        return java.util.Set.of();
    }

    /** The training loss of predictions against targets. */
    LossKind loss();

    /**
     * The loss the inner loop descends on a support set (rank 0 for one task, [T] for a stack with
     * its row mask); by default the training loss. A model may weigh a small support less.
     */
    default Tensor supportLoss(Tensor pred, Tensor target, Tensor mask) {
        return loss().perTask(pred, target, mask);
    }
}
