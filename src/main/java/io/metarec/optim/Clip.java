package io.metarec.optim;

import io.metarec.autograd.Tensor;
import io.metarec.nn.Params;

/**
 * Gradient clipping, usable inside a differentiated inner loop: the clipped gradients stay graph
 * tensors. NOTE: the global-norm scale factor is a constant (as in torch's clip_grad_norm_, which
 * runs under no_grad); clipping by value passes the gradient where it is inside the limits.
 */
public final class Clip {
    private Clip() {}

    /** Scales all gradients by min(1, maxNorm / ‖g‖₂) where ‖g‖₂ is the norm of all of them together. */
    public static Params byGlobalNorm(Params grads, float maxNorm) {
        if (!(maxNorm > 0)) throw new IllegalArgumentException("clip: max norm must be positive, got " + maxNorm);
        Tensor total = null;
        for (Tensor g : grads.tensors()) {
            Tensor s = g.square().sum();
            total = total == null ? s : total.add(s);
        }
        if (total == null) return grads;
        double norm = Math.sqrt(total.item());
        if (!(norm > maxNorm)) return grads; // also leaves NaN norms alone for the caller's check
        float scale = (float) (maxNorm / (norm + 1e-6));
        return grads.map((name, g) -> g.mul(scale));
    }

    /** Clamps every gradient element to [−limit, limit]. */
    public static Params byValue(Params grads, float limit) {
        if (!(limit > 0)) throw new IllegalArgumentException("clip: limit must be positive, got " + limit);
        return grads.map((name, g) -> g.clamp(-limit, limit));
    }

    /** The global L2 norm of all tensors. */
    public static double globalNorm(Params grads) {
        double sq = 0;
        for (Tensor g : grads.tensors()) sq += g.square().sum().item();
        return Math.sqrt(sq);
    }
}
