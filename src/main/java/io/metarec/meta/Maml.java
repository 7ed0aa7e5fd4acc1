package io.metarec.meta;

import io.metarec.nn.Params;
import io.metarec.optim.Optimizer;

/**
 * MAML (Finn et al. 2017): fast ← fast − α·∇L_support(fast) for k steps, then the meta-gradient of
 * the query loss at the fast weights. SECOND_ORDER differentiates through the inner gradients
 * (Hessian-vector products included); FIRST_ORDER (FOMAML) treats them as constants, so each task
 * contributes the query gradient at its adapted point.
 */
public final class Maml<D> extends MetaLearner<D> {

    public Maml(MetaModel<D> model, LearnerConfig config) {
        this(model, config, null);
    }

    /** @param outer the outer optimizer (null: Adam with config.outerLr) */
    public Maml(MetaModel<D> model, LearnerConfig config, Optimizer outer) {
        super(model, config, outer);
    }

    @Override public String name() {
        return config.order() == Order.SECOND_ORDER ? "maml" : "fomaml";
    }

    @Override protected Adaptation adapt(Params meta, SupportSet support, Params fast, int steps, boolean training, Guard guard) {
        boolean createGraph = training && config.order() == Order.SECOND_ORDER;
        float lr = config.innerLr();
        return new Adaptation(descend(support, fast, steps, createGraph, guard, (name, g) -> g.mul(lr)));
    }
}
