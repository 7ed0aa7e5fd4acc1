package io.metarec.optim;

import io.metarec.autograd.Autograd;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Backend;
import io.metarec.backend.cpu.ScalarBackend;
import io.metarec.nn.Params;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sgd (momentum, weight decay) and Adam against PyTorch's update formulas for three steps, written
 * out here independently in double (torch.optim.SGD / torch.optim.Adam, default dampening 0,
 * no Nesterov, L2 weight decay added to the gradient); clipping by global norm and by value.
 */
class OptimTest {
    static final Backend BE = new ScalarBackend();
    static final float[] P0 = {1f, -0.5f, 2f};
    static final float[][] GRADS = {{0.5f, 0.1f, -1f}, {-0.2f, 0.3f, -0.5f}, {0.3f, -0.4f, 0.25f}};

    static Params params(float[] v) {
        return Params.empty().with("w", Tensor.of(BE, v, v.length));
    }

    static float[] run(Optimizer opt) {
        Params p = params(P0);
        for (float[] g : GRADS) {
            p = opt.step(p, params(g));
            assertFalse(p.get("w").requiresGrad(), "an optimizer step returns constants");
        }
        return p.get("w").toArray();
    }

    /** torch.optim.SGD: d = g + wd·p; buf = d (first step) else μ·buf + d; p −= lr·buf. */
    static double[] sgdReference(double lr, double mu, double wd) {
        double[] p = new double[P0.length], buf = new double[P0.length];
        for (int i = 0; i < p.length; i++) p[i] = P0[i];
        for (int t = 0; t < GRADS.length; t++) {
            for (int i = 0; i < p.length; i++) {
                double d = GRADS[t][i] + wd * p[i];
                if (mu > 0) d = buf[i] = t == 0 ? d : mu * buf[i] + d;
                p[i] -= lr * d;
            }
        }
        return p;
    }

    /** torch.optim.Adam: m, v moments; p −= (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε). */
    static double[] adamReference(double lr, double b1, double b2, double eps, double wd) {
        double[] p = new double[P0.length], m = new double[P0.length], v = new double[P0.length];
        for (int i = 0; i < p.length; i++) p[i] = P0[i];
        for (int t = 1; t <= GRADS.length; t++) {
            double bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(b2, t);
            for (int i = 0; i < p.length; i++) {
                double g = GRADS[t - 1][i] + wd * p[i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                p[i] -= lr / bc1 * m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + eps);
            }
        }
        return p;
    }

    static void assertClose(double[] want, float[] got, double tol, String what) {
        for (int i = 0; i < want.length; i++)
            assertEquals(want[i], got[i], tol * Math.max(1, Math.abs(want[i])), what + " element " + i);
    }

    @Test
    void sgdPlain() {
        assertClose(sgdReference(0.1, 0, 0), run(new Sgd(0.1f)), 1e-6, "plain SGD");
        // by hand, element 0: 1 − 0.1·(0.5 − 0.2 + 0.3)
        assertEquals(0.94f, run(new Sgd(0.1f))[0], 1e-6f);
    }

    @Test
    void sgdWithMomentumAndWeightDecay() {
        float[] got = run(new Sgd(0.1f, 0.9f, 0.01f));
        assertClose(sgdReference(0.1, 0.9, 0.01), got, 1e-6, "SGD momentum 0.9, weight decay 0.01");
        // by hand, element 0: d₁ = 0.51, p₁ = 0.949; d₂ = −0.19051, buf₂ = 0.26849, p₂ = 0.922151;
        // d₃ = 0.30922151, buf₃ = 0.55086251, p₃ = 0.867064749
        assertEquals(0.867064749, got[0], 1e-6);
    }

    @Test
    void adamDefaultsAndWeightDecay() {
        float[] got = run(new Adam(0.1f));
        assertClose(adamReference(0.1, 0.9, 0.999, 1e-8, 0), got, 1e-6, "Adam");
        // by hand, element 0 after step 1: m̂ = 0.5, v̂ = 0.25, p = 1 − 0.1·0.5/0.5 = 0.9; after step 2:
        // m = 0.025, v = 0.00028975, m̂ = 0.025/0.19, v̂ = 0.00028975/0.001999, p = 0.9 − 0.1·m̂/√v̂ = 0.865439…
        Adam two = new Adam(0.1f);
        Params p = two.step(params(P0), params(GRADS[0]));
        assertEquals(0.9f, p.get("w").toArray()[0], 1e-6f);
        p = two.step(p, params(GRADS[1]));
        assertEquals(0.9 - 0.1 * (0.025 / 0.19) / Math.sqrt(0.00028975 / 0.001999), p.get("w").toArray()[0], 1e-6);
        assertEquals(2, two.steps());
        assertClose(adamReference(0.05, 0.8, 0.99, 1e-6, 0.1), run(new Adam(0.05f, 0.8f, 0.99f, 1e-6f, 0.1f)), 1e-6, "Adam with L2 weight decay");
    }

    /** Its values copied into new tensors (as a checkpoint read back from a file holds them). */
    static Optimizer.State copied(Optimizer.State s) {
        return new Optimizer.State(s.kind(), s.steps(), s.tensors().map((n, t) -> Tensor.of(BE, t.toArray(), t.shape())));
    }

    @Test
    void aRestoredStateContinuesBitwise() {
        for (java.util.function.Supplier<Optimizer> make : List.<java.util.function.Supplier<Optimizer>>of(() -> new Adam(0.05f, 0.8f, 0.99f, 1e-6f, 0.1f),
                () -> new Sgd(0.1f, 0.9f, 0.1f))) {
            Optimizer whole = make.get(), first = make.get();
            float[] expected = run(whole);
            Params p = params(P0);
            p = first.step(p, params(GRADS[0]));
            Optimizer.State s = first.state();
            assertEquals(1, s.steps());
            assertEquals(whole instanceof Adam ? List.of("m.w", "v.w") : List.of("momentum.w"), s.tensors().names());
            Optimizer second = make.get();
            second.restore(copied(s));
            Params q = p;
            for (int t = 1; t < GRADS.length; t++) q = second.step(q, params(GRADS[t]));
            assertArrayEquals(expected, q.get("w").toArray(), 0f, whole + ": restored after one step");
            assertEquals(whole.state().steps(), second.state().steps());

            Optimizer fresh = make.get(); // the control: without the state the next steps differ
            Params r = p;
            for (int t = 1; t < GRADS.length; t++) r = fresh.step(r, params(GRADS[t]));
            assertFalse(java.util.Arrays.equals(expected, r.get("w").toArray()), whole + ": a fresh optimizer ends elsewhere");
        }
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new Adam(0.1f).restore(new Sgd(0.1f).state()));
        assertEquals("Adam: cannot restore the state of a 'sgd' optimizer", e.getMessage());
    }

    @Test
    void optimizersLeaveParametersWithoutGradientsAlone() {
        Params p = params(P0).with("frozen", Tensor.of(BE, new float[] {7}, 1));
        for (Optimizer opt : List.<Optimizer>of(new Sgd(0.1f, 0.9f, 0.1f), new Adam(0.1f))) {
            Params q = opt.step(p, params(GRADS[0]));
            assertSame(p.get("frozen"), q.get("frozen"));
            assertEquals(List.of("w", "frozen"), q.names());
            assertArrayEquals(P0, p.get("w").toArray(), "the input Params are not modified");
        }
    }

    @Test
    void clipByGlobalNorm() {
        Params g = Params.empty().with("a", Tensor.of(BE, new float[] {3, 4}, 2)).with("b", Tensor.of(BE, new float[] {12}, 1));
        assertEquals(13, Clip.globalNorm(g), 1e-6);
        Params c = Clip.byGlobalNorm(g, 6.5f); // scale 6.5 / (13 + 1e-6), as torch.nn.utils.clip_grad_norm_
        double s = 6.5 / (13 + 1e-6);
        assertArrayEquals(new float[] {(float) (3 * s), (float) (4 * s)}, c.get("a").toArray(), 1e-6f);
        assertArrayEquals(new float[] {(float) (12 * s)}, c.get("b").toArray(), 1e-6f);
        assertEquals(6.5, Clip.globalNorm(c), 1e-5);
        assertSame(g, Clip.byGlobalNorm(g, 20f), "below the limit: unchanged");
        assertSame(Params.empty().size(), Clip.byGlobalNorm(Params.empty(), 1f).size());
    }

    @Test
    void clipByValueKeepsTheGraph() {
        Tensor x = Tensor.of(BE, new float[] {-3, 0.5f, 2, -0.25f}, 4).requiringGrad();
        Params g = Params.empty().with("x", x.mul(2f));
        Tensor c = Clip.byValue(g, 1f).get("x");
        assertArrayEquals(new float[] {-1, 1, 1, -0.5f}, c.toArray());
        assertTrue(c.requiresGrad(), "clipping inside a differentiated inner loop keeps the graph");
        // d Σ clip(2x) / dx = 2 where |2x| ≤ 1, else 0
        assertArrayEquals(new float[] {0, 2, 0, 2}, Autograd.grad(c.sum(), List.of(x), false).get(0).toArray());
        // global-norm clipping scales by a constant factor, so the gradient flows scaled
        Params big = Params.empty().with("x", x.mul(2f));
        Tensor cg = Clip.byGlobalNorm(big, 1f).get("x");
        assertTrue(cg.requiresGrad());
        double norm = 2 * Math.sqrt(9 + 0.25 + 4 + 0.0625);
        float k = (float) (2 / (norm + 1e-6));
        assertArrayEquals(new float[] {k, k, k, k}, Autograd.grad(cg.sum(), List.of(x), false).get(0).toArray(), 1e-6f);
    }
}
