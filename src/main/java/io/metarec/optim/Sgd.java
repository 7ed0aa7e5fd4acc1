package io.metarec.optim;

import io.metarec.autograd.GradMode;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Backend;
import io.metarec.backend.Fused;
import io.metarec.nn.Params;

import java.util.HashMap;
import java.util.Map;

/**
 * p ← p − lr·(g + wd·p), with optional heavy-ball momentum (buffer b ← μ·b + g, as PyTorch).
 * Each tensor's update is one {@link Backend#sgdStep} (a single kernel on CUDA).
 */
public final class Sgd implements Optimizer {
    private final float lr;
    private final float momentum;
    private final float weightDecay;
    private final Map<String, Tensor> buffers = new HashMap<>();
    private long steps;

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

    @Override public synchronized State state() {
        java.util.LinkedHashMap<String, Tensor> tensors = new java.util.LinkedHashMap<>();
        for (String name : new java.util.TreeSet<>(buffers.keySet())) tensors.put("momentum." + name, buffers.get(name));
        return new State(KIND, steps, Params.of(tensors));
    }

    @Override public synchronized void restore(State s) {
        if (!KIND.equals(s.kind())) throw new IllegalArgumentException("Sgd: cannot restore the state of a '" + s.kind() + "' optimizer");
        if (s.steps() < 0) throw new IllegalArgumentException("Sgd: step count " + s.steps() + " out of range");
        Map<String, Tensor> nb = new HashMap<>();
        for (String key : s.tensors().names()) {
            if (!key.startsWith("momentum.")) throw new IllegalArgumentException("Sgd: unknown state tensor '" + key + "'");
            nb.put(key.substring("momentum.".length()), s.tensors().get(key));
        }
        buffers.clear();
        buffers.putAll(nb);
        steps = s.steps();
    }

    static final String KIND = "sgd";

    @Override public synchronized Params step(Params params, Params grads) {
        steps++;
        Fused.SgdCoefficients c = new Fused.SgdCoefficients(lr, momentum, weightDecay);
        try (var off = GradMode.disabled()) {
            return params.map((name, p) -> {
                if (!grads.contains(name)) return p;
                Tensor g = Gradients.forParam("Sgd", name, p, grads.get(name));
                Backend be = p.backend();
                Tensor b = buffers.get(name);
                Fused.SgdResult r = be.sgdStep(p.buffer(), g.buffer(), b == null ? null : b.buffer(), c);
                if (r.momentum() != null) {
                    if (b != null) be.release(b.buffer()); // the momentum buffer is this optimizer's own
                    buffers.put(name, Tensor.wrap(be, r.momentum(), p.shape()));
                }
                return Tensor.wrap(be, r.param(), p.shape());
            });
        }
    }
}
