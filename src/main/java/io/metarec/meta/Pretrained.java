package io.metarec.meta;

import io.metarec.autograd.Gradient;
import io.metarec.autograd.Tensor;
import io.metarec.nn.Params;
import io.metarec.optim.Optimizer;

import java.util.List;

/**
 * The transfer-learning baseline: θ trained jointly on every task's examples (support and query
 * alike, no inner loop), then at evaluation fine-tuned on a new task's support set with the same
 * plain SGD steps MAML uses ({@code adaptTo(support, 0)} gives the model with no adaptation).
 */
public final class Pretrained<D> extends MetaLearner<D> {

    public Pretrained(MetaModel<D> model, LearnerConfig config) {
        this(model, config, null);
    }

    public Pretrained(MetaModel<D> model, LearnerConfig config, Optimizer outer) {
        super(model, config, outer);
    }

    @Override public String name() { return "pretrained"; }

    @Override protected boolean supportsBatched() { return false; }

    @Override protected Adaptation adapt(Params meta, SupportSet support, Params fast, int steps, boolean training, Guard guard) {
        float lr = config.innerLr();
        return new Adaptation(descend(support, fast, steps, false, guard, (name, k, g) -> g.mul(lr)));
    }

    /** The mean of the support and query losses at θ itself. */
    @Override protected Contribution contribution(Params leaves, TaskStack<D> tasks) {
        Guard guard = tasks.guard(name());
        Task<D> task = tasks.tasks().get(0); // never stacked (supportsBatched is false)
        Tensor ls = lossAt(leaves, task.support()), lq = lossAt(leaves, task.query());
        guard.checkLoss(ls, 0);
        guard.checkQuery(lq);
        Tensor total = ls.add(lq).mul(0.5f);
        List<Gradient> g = metaGradients(total, leaves);
        guard.checkMetaGradientsOf(g);
        return new Contribution(Contribution.of(leaves.names(), g), lq.item(), 1);
    }

    private Tensor lossAt(Params p, D data) {
        Batch b = model.embed(p, data);
        return model.loss().perTask(model.head(p, b.features()), b.targets(), b.mask());
    }
}
