package io.metarec.optim;

import io.metarec.autograd.GradMode;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Backend;
import io.metarec.backend.Fused;
import io.metarec.nn.Params;

import java.util.HashMap;
import java.util.Map;

/**
 * Adam (Kingma &amp; Ba 2015), as PyTorch's: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
 * p ← p − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε); weight decay adds wd·p to g (L2).
 * Each tensor's update is one {@link Backend#adamStep} (a single kernel on CUDA).
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
        Fused.AdamCoefficients c = Fused.AdamCoefficients.of(lr, beta1, beta2, eps, weightDecay, t);
        try (var off = GradMode.disabled()) {
            return params.map((name, p) -> {
                if (!grads.contains(name)) return p;
                Tensor g = Gradients.forParam("Adam", name, p, grads.get(name));
                Backend be = p.backend();
                Tensor mi = m.get(name), vi = v.get(name);
                Fused.AdamResult r = be.adamStep(p.buffer(), g.buffer(), mi == null ? null : mi.buffer(),
                        vi == null ? null : vi.buffer(), c);
                if (mi != null) { // the moments are this optimizer's own: free the old ones now
                    be.release(mi.buffer());
                    be.release(vi.buffer());
                }
                m.put(name, Tensor.wrap(be, r.m(), p.shape()));
                v.put(name, Tensor.wrap(be, r.v(), p.shape()));
                return Tensor.wrap(be, r.param(), p.shape());
            });
        }
    }
}
