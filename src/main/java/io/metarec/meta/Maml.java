package io.metarec.meta;

import io.metarec.autograd.Tensor;
import io.metarec.nn.Params;
import io.metarec.optim.Optimizer;

/**
 * MAML (Finn et al. 2017): fast ← fast − α·∇L_support(fast) for k steps, then the meta-gradient of
 * the query loss at the fast weights. SECOND_ORDER differentiates through the inner gradients
 * (Hessian-vector products included); FIRST_ORDER (FOMAML) treats them as constants, so each task
 * contributes the query gradient at its adapted point.
 *
 * <p>With LSLR (MAML++, Antoniou et al. 2019: learned per-layer, per-step learning rates) each
 * adapted tensor n has its own rate α[n, k] for each inner step k, a meta-parameter
 * {@code lslr.<k>.<n>} initialised to the configured rate and meta-trained with θ; steps beyond
 * the training count reuse the last step's rates. The rates are learned in first order too: the
 * update's dependence on α needs no second derivative.
 */
public final class Maml<D> extends MetaLearner<D> {
    static final String LSLR = "lslr.";
    private final boolean lslr;

    public Maml(MetaModel<D> model, LearnerConfig config) {
        this(model, config, null, false);
    }

    /** @param outer the outer optimizer (null: Adam with config.outerLr) */
    public Maml(MetaModel<D> model, LearnerConfig config, Optimizer outer) {
        this(model, config, outer, false);
    }

    /** @param lslr learned inner learning rates per adapted tensor and step */
    public Maml(MetaModel<D> model, LearnerConfig config, Optimizer outer, boolean lslr) {
        super(model, config, outer);
        this.lslr = lslr;
    }

    @Override protected Params initLearnerParams(Params adaptedTheta) {
        if (!lslr) return Params.empty();
        Params rates = Params.empty();
        for (int k = 0; k < config.innerSteps(); k++)
            for (String n : adaptedTheta.names()) rates = rates.with(rateName(n, k), Tensor.full(adaptedTheta.get(n).backend(), config.innerLr(), 1));
        return rates;
    }

    private String rateName(String param, int step) {
        return LSLR + Math.min(step, config.innerSteps() - 1) + "." + param;
    }

    /** The learned rates (empty without LSLR). */
    public Params stepSizes() {
        return metaParams().filter(n -> n.startsWith(LSLR));
    }

    @Override public String name() {
        return config.order() == Order.SECOND_ORDER ? "maml" : "fomaml";
    }

    @Override protected Adaptation adapt(Params meta, SupportSet support, Params fast, int steps, boolean training, Guard guard) {
        boolean createGraph = training && config.order() == Order.SECOND_ORDER;
        float lr = config.innerLr();
        if (lslr) return new Adaptation(descend(support, fast, steps, createGraph, guard, (name, k, g) -> g.mul(meta.get(rateName(name, k)))));
        return new Adaptation(descend(support, fast, steps, createGraph, guard, (name, k, g) -> g.mul(lr)));
    }
}
