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

    @Override public synchronized State state() {
        java.util.LinkedHashMap<String, Tensor> tensors = new java.util.LinkedHashMap<>();
        for (String name : new java.util.TreeSet<>(m.keySet())) {
            tensors.put("m." + name, m.get(name));
            tensors.put("v." + name, v.get(name));
        }
        return new State(KIND, t, Params.of(tensors));
    }

    @Override public synchronized void restore(State s) {
        if (!KIND.equals(s.kind())) throw new IllegalArgumentException("Adam: cannot restore the state of a '" + s.kind() + "' optimizer");
        if (s.steps() < 0 || s.steps() > Integer.MAX_VALUE) throw new IllegalArgumentException("Adam: step count " + s.steps() + " out of range");
        Map<String, Tensor> nm = new HashMap<>(), nv = new HashMap<>();
        for (String key : s.tensors().names()) {
            if (key.startsWith("m.")) nm.put(key.substring(2), s.tensors().get(key));
            else if (key.startsWith("v.")) nv.put(key.substring(2), s.tensors().get(key));
            else throw new IllegalArgumentException("Adam: unknown state tensor '" + key + "'");
        }
        if (!nm.keySet().equals(nv.keySet())) throw new IllegalArgumentException("Adam: first and second moments name different parameters");
        for (String name : nm.keySet())
            if (!java.util.Arrays.equals(nm.get(name).shape(), nv.get(name).shape()))
                throw new IllegalArgumentException("Adam: the moments of '" + name + "' differ in shape");
        m.clear();
        v.clear();
        m.putAll(nm);
        v.putAll(nv);
        t = (int) s.steps();
    }

    static final String KIND = "adam";

    @Override public synchronized Params step(Params params, Params grads) {
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
