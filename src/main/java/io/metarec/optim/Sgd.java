package io.metarec.optim;

import io.metarec.autograd.GradMode;
import io.metarec.autograd.Tensor;
import io.metarec.nn.Params;

import java.util.HashMap;
import java.util.Map;

/** p ← p − lr·(g + wd·p), with optional heavy-ball momentum (buffer b ← μ·b + g, as PyTorch). */
public final class Sgd implements Optimizer {
    private final float lr;
    private final float momentum;
    private final float weightDecay;
    private final Map<String, Tensor> buffers = new HashMap<>();

    public Sgd(float lr, float momentum, float weightDecay) {
        if (!(lr > 0)) throw new IllegalArgumentException("Sgd: learning rate must be positive, got " + lr);
        if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("Sgd: momentum must be in [0, 1), got " + momentum);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("Sgd: weight decay must be non-negative, got " + weightDecay);
        this.lr = lr;
        this.momentum = momentum;
        this.weightDecay = weightDecay;
    }

    public Sgd(float lr) {
        this(lr, 0f, 0f);
    }

    @Override public Params step(Params params, Params grads) {
        try (var off = GradMode.disabled()) {
            return params.map((name, p) -> {
                if (!grads.contains(name)) return p;
                Tensor g = grads.get(name).detach();
                if (weightDecay > 0) g = g.add(p.mul(weightDecay));
                if (momentum > 0) {
                    Tensor b = buffers.get(name);
                    b = b == null ? g : b.mul(momentum).add(g);
                    buffers.put(name, b);
                    g = b;
                }
                return p.detach().sub(g.mul(lr));
            });
        }
    }
}
