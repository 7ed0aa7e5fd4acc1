package io.metarec.optim;

import io.metarec.autograd.GradMode;
import io.metarec.autograd.Tensor;
import io.metarec.nn.Params;

import java.util.HashMap;
import java.util.Map;

/**
 * Adam (Kingma &amp; Ba 2015), as PyTorch's: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
 * p ← p − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε); weight decay adds wd·p to g (L2).
 */
public final class Adam implements Optimizer {
    private final float lr, beta1, beta2, eps, weightDecay;
    private final Map<String, Tensor> m = new HashMap<>(), v = new HashMap<>();
    private int t;

    public Adam(float lr, float beta1, float beta2, float eps, float weightDecay) {
        if (!(lr > 0)) throw new IllegalArgumentException("Adam: learning rate must be positive, got " + lr);
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1))
            throw new IllegalArgumentException("Adam: betas must be in [0, 1), got " + beta1 + ", " + beta2);
        if (!(eps > 0)) throw new IllegalArgumentException("Adam: eps must be positive, got " + eps);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("Adam: weight decay must be non-negative, got " + weightDecay);
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    public Adam(float lr) {
        this(lr, 0.9f, 0.999f, 1e-8f, 0f);
    }

    /** Steps taken so far. */
    public int steps() { return t; }

    @Override public Params step(Params params, Params grads) {
        t++;
        float c1 = (float) (1 - Math.pow(beta1, t)), c2 = (float) (1 - Math.pow(beta2, t));
        try (var off = GradMode.disabled()) {
            return params.map((name, p) -> {
                if (!grads.contains(name)) return p;
                Tensor g = grads.get(name).detach();
                if (weightDecay > 0) g = g.add(p.mul(weightDecay));
                Tensor mi = m.get(name), vi = v.get(name);
                mi = mi == null ? g.mul(1 - beta1) : mi.mul(beta1).add(g.mul(1 - beta1));
                vi = vi == null ? g.square().mul(1 - beta2) : vi.mul(beta2).add(g.square().mul(1 - beta2));
                m.put(name, mi);
                v.put(name, vi);
                Tensor denom = vi.mul(1f / c2).sqrt().add(eps);
                return p.detach().sub(mi.div(denom).mul(lr / c1));
            });
        }
    }
}
