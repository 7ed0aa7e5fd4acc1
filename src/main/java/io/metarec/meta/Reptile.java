package io.metarec.meta;

import io.metarec.autograd.Autograd;
import io.metarec.autograd.GradMode;
import io.metarec.autograd.Tensor;
import io.metarec.nn.Params;
import io.metarec.optim.Optimizer;
import io.metarec.optim.Sgd;

import java.util.List;

/**
 * Reptile (Nichol et al. 2018): k plain SGD steps on each task's support set give φ_t; the
 * meta-update moves θ towards them, θ ← θ + ε·mean_t(φ_t − θ). That is an outer SGD step of size ε
 * on the pseudo-gradient θ − φ_t, which is how it is computed here; pass another outer optimizer
 * (e.g. Adam) to use it on the same pseudo-gradient instead. No second derivatives.
 * <p>Only the adapted parameters move in the inner loop, so only they have a pseudo-gradient. When
 * the adapted groups are a subset (MeLU adapts its MLP, not the embeddings), the others would never
 * learn; they get the first-order query gradient at the adapted point instead, ∇_shared L_q(θ, φ_t),
 * as first-order MAML gives them. With every parameter adapted this is plain Reptile.
 */
public final class Reptile<D> extends MetaLearner<D> {

    /** Reptile with interpolation step ε (the outer optimizer is SGD with learning rate ε). */
    public static <D> Reptile<D> withEpsilon(MetaModel<D> model, LearnerConfig config, float epsilon) {
        return new Reptile<>(model, config, new Sgd(epsilon));
    }

    /** @param outer the optimizer applied to the pseudo-gradient θ − φ (null: Adam with config.outerLr) */
    public Reptile(MetaModel<D> model, LearnerConfig config, Optimizer outer) {
        super(model, config, outer);
    }

    @Override public String name() { return "reptile"; }

    @Override protected Adaptation adapt(Params meta, SupportSet support, Params fast, int steps, boolean training, Guard guard) {
        float lr = config.innerLr();
        return new Adaptation(descend(support, fast, steps, false, guard, (name, k, g) -> g.mul(lr)));
    }

    @Override protected Contribution contribution(Params leaves, TaskStack<D> tasks) {
        Guard guard = tasks.guard(name());
        Params theta = leaves.detach();
        SupportSet s = supportSet(theta, tasks, true);
        Params fast = adapt(theta, s, tasks.lift(adaptedOf(theta)).requiringGrad(), config.innerSteps(), true, guard).fast().detach();
        Params shared = sharedOf(theta);
        Tensor per, total;
        try (var mode = shared.size() == 0 ? GradMode.disabled() : GradMode.enabled()) {
            Params at = theta.with(shared);
            // A task alone is embedded at its adapted point (its embeddings may adapt); a stack's cannot.
            Batch q = tasks.query(model(), tasks.stacked() ? at : at.with(fast));
            per = model().loss().perTask(model().head(at.with(fast), q.features()), q.targets(), q.mask());
            total = TaskStack.total(per);
        }
        guard.checkQuery(per);
        // Σ_t (θ − φ_t) = T·θ − Σ_t φ_t
        Params phiSum;
        try (var off = GradMode.disabled()) {
            phiSum = tasks.sumOverTasks(fast);
        }
        return new Contribution(metaGradient(theta, phiSum, tasks.size(), shared, total, guard), TaskStack.lossSum(per), tasks.size());
    }

    private Params adaptedOf(Params theta) {
        return theta.filter(adaptedNames()::contains);
    }

    /** The parameters that do not adapt, as leaves of the query pass (empty when all adapt). */
    private Params sharedOf(Params theta) {
        java.util.Set<String> adapted = adaptedNames();
        return theta.filter(n -> !adapted.contains(n)).requiringGrad();
    }

    /** count·θ − Σφ for the adapted parameters; the query gradient (summed over tasks) for the shared ones. */
    private static Params metaGradient(Params theta, Params phiSum, int count, Params shared, Tensor queryLoss, Guard guard) {
        List<Tensor> g = shared.size() == 0 ? List.of() : Autograd.grad(queryLoss, shared.tensors(), false);
        guard.checkMetaGradients(g);
        Params queryGrad = Params.of(shared.names(), g);
        try (var off = GradMode.disabled()) {
            return theta.map((n, p) -> phiSum.contains(n) ? p.mul(count).sub(phiSum.get(n)) : queryGrad.get(n));
        }
    }
}
