package io.metarec.meta;

import io.metarec.autograd.GradMode;
import io.metarec.autograd.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Inner-loop gradient clipping, per task: by value (elementwise clamp, differentiable where not
 * clipped) and by the global L2 norm of the task's gradients. NOTE: the norm scale factor is a
 * constant, as in torch's clip_grad_norm_; for a stack [T, …] each task gets its own factor.
 */
final class InnerClip {
    private InnerClip() {}

    static List<Tensor> apply(List<Tensor> grads, float maxNorm, float maxValue, boolean stacked) {
        List<Tensor> g = grads;
        if (maxValue > 0) {
            List<Tensor> c = new ArrayList<>(g.size());
            for (Tensor t : g) c.add(t.clamp(-maxValue, maxValue));
            g = c;
        }
        if (maxNorm > 0) g = stacked ? byNormPerTask(g, maxNorm) : byNorm(g, maxNorm);
        return g;
    }

    private static List<Tensor> byNorm(List<Tensor> g, float maxNorm) {
        double sq = 0;
        try (var off = GradMode.disabled()) {
            for (Tensor t : g) sq += t.square().sum().item();
        }
        double norm = Math.sqrt(sq);
        if (!(norm > maxNorm)) return g;
        float scale = (float) (maxNorm / (norm + 1e-6));
        List<Tensor> out = new ArrayList<>(g.size());
        for (Tensor t : g) out.add(t.mul(scale));
        return out;
    }

    private static List<Tensor> byNormPerTask(List<Tensor> g, float maxNorm) {
        int tasks = g.get(0).dim(0);
        float[] scale;
        try (var off = GradMode.disabled()) {
            Tensor sq = null;
            for (Tensor t : g) {
                Tensor s = t.square().reshape(tasks, -1).sum(1, false);
                sq = sq == null ? s : sq.add(s);
            }
            scale = sq.toArray();
        }
        for (int i = 0; i < tasks; i++) {
            double norm = Math.sqrt(scale[i]);
            scale[i] = norm > maxNorm ? (float) (maxNorm / (norm + 1e-6)) : 1f;
        }
        List<Tensor> out = new ArrayList<>(g.size());
        for (Tensor t : g) {
            int[] shape = new int[t.rank()];
            java.util.Arrays.fill(shape, 1);
            shape[0] = tasks;
            out.add(t.mul(Tensor.of(t.backend(), scale, shape)));
        }
        return out;
    }
}
