package io.metarec.meta;

import io.metarec.autograd.GradMode;
import io.metarec.autograd.Tensor;
import io.metarec.nn.Params;
import io.metarec.optim.Optimizer;
import io.metarec.optim.Sgd;

import java.util.ArrayList;
import java.util.List;

/**
 * Reptile (Nichol et al. 2018): k plain SGD steps on each task's support set give φ_t; the
 * meta-update moves θ towards them, θ ← θ + ε·mean_t(φ_t − θ). That is an outer SGD step of size ε
 * on the pseudo-gradient θ − φ_t, which is how it is computed here; pass another outer optimizer
 * (e.g. Adam) to use it on the same pseudo-gradient instead. No second derivatives, no query
 * gradient: the query loss is reported for monitoring only.
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
        return new Adaptation(descend(support, fast, steps, false, guard, (name, g) -> g.mul(lr)));
    }

    @Override protected Contribution taskContribution(Params leaves, Task<D> task, int index) {
        Guard guard = new Guard(name(), new int[] {index});
        Params theta = leaves.detach();
        SupportSet s = supportSet(theta, task.support(), index, true);
        Params fast = adapt(theta, s, adaptedOf(theta).requiringGrad(), config.innerSteps(), true, guard).fast().detach();
        double queryLoss = loss(theta.with(fast), task.query());
        return new Contribution(pseudoGradient(theta, fast, 1), queryLoss, 1, 0);
    }

    @Override protected Contribution stackedContribution(Params leaves, List<Task<D>> tasks, int[] indices) {
        Guard guard = new Guard(name(), indices);
        Params theta = leaves.detach();
        List<D> sup = new ArrayList<>();
        for (Task<D> t : tasks) sup.add(t.support());
        SupportSet s = stackedSupportSet(theta, sup, indices, true);
        int T = tasks.size();
        Params fast0 = adaptedOf(theta).map((n, p) -> perTask(p, T).detach().requiringGrad());
        Params fast = adapt(theta, s, fast0, config.innerSteps(), true, guard).fast().detach();
        double loss = 0;
        for (int t = 0; t < T; t++) {
            final int task = t;
            Params ft = fast.map((n, p) -> p.slice(0, task, task + 1).reshape(theta.get(n).shape()));
            loss += loss(theta.with(ft), tasks.get(t).query());
        }
        // Σ_t (θ − φ_t) = T·θ − Σ_t φ_t
        Params summed;
        try (var off = GradMode.disabled()) {
            summed = fast.map((n, p) -> p.sum(0, false));
        }
        return new Contribution(pseudoGradient(theta, summed, T), loss, T, 0);
    }

    private Params adaptedOf(Params theta) {
        return theta.filter(adaptedNames()::contains);
    }

    /** count·θ − Σφ for the adapted parameters, zero for the rest. */
    private static Params pseudoGradient(Params theta, Params phiSum, int count) {
        try (var off = GradMode.disabled()) {
            return theta.map((n, p) -> phiSum.contains(n) ? p.mul(count).sub(phiSum.get(n)) : Tensor.zeros(p.backend(), p.shape()));
        }
    }
}
