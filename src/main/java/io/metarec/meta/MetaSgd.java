package io.metarec.meta;

import io.metarec.autograd.Tensor;
import io.metarec.nn.Params;
import io.metarec.optim.Optimizer;

/**
 * Meta-SGD (Li et al. 2017): a learned step size per element of every adapted parameter,
 * fast ← fast − α ⊙ ∇L_support(fast), with α meta-trained together with θ. The rates are
 * meta-parameters named {@code metasgd.lr.<parameter>}, initialised to the configured inner rate.
 */
public final class MetaSgd<D> extends MetaLearner<D> {
    static final String PREFIX = "metasgd.lr.";

    public MetaSgd(MetaModel<D> model, LearnerConfig config) {
        this(model, config, null);
    }

    public MetaSgd(MetaModel<D> model, LearnerConfig config, Optimizer outer) {
        super(model, config, outer);
    }

    @Override public String name() { return "metasgd"; }

    @Override protected Params initLearnerParams(Params adaptedTheta) {
        Params rates = Params.empty();
        for (String n : adaptedTheta.names()) {
            Tensor t = adaptedTheta.get(n);
            rates = rates.with(PREFIX + n, Tensor.full(t.backend(), config.innerLr(), t.shape()));
        }
        return rates;
    }

    @Override protected Adaptation adapt(Params meta, SupportSet support, Params fast, int steps, boolean training, Guard guard) {
        // The rates broadcast over a stack's task dimension; gradients w.r.t. them need the graph,
        // so Meta-SGD keeps the inner gradients differentiable unless FIRST_ORDER is asked.
        boolean createGraph = training && config.order() == Order.SECOND_ORDER;
        return new Adaptation(descend(support, fast, steps, createGraph, guard, (name, k, g) -> g.mul(meta.get(PREFIX + name))));
    }

    /** The learned step sizes (for inspection). */
    public Params stepSizes() {
        return metaParams().filter(n -> n.startsWith(PREFIX));
    }
}
