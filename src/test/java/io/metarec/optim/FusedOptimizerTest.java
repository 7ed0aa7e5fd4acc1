package io.metarec.optim;

import io.metarec.autograd.GradMode;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Backend;
import io.metarec.backend.Backends;
import io.metarec.backend.cpu.ScalarBackend;
import io.metarec.nn.Params;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Adam and Sgd now update each tensor with one Backend.adamStep / sgdStep call. On the CPU
 * backends (the primitive defaults) the parameters must be bitwise those of the tensor formula
 * the optimizers used before, step after step.
 */
class FusedOptimizerTest {

    private static Tensor t(Backend be, long seed, int n) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return Tensor.of(be, x, n);
    }

    @Test void adamMatchesTheTensorFormulaBitwise() {
        for (Backend be : List.of(new ScalarBackend(), Backends.cpu())) {
            for (float wd : new float[] {0f, 0.01f}) {
                float lr = 1e-2f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
                Adam adam = new Adam(lr, b1, b2, eps, wd);
                Params p = Params.empty().with("w", t(be, 1, 33));
                Tensor ref = p.get("w"), m = null, v = null;
                for (int step = 1; step <= 5; step++) {
                    Tensor g = t(be, 10 + step, 33);
                    p = adam.step(p, Params.empty().with("w", g));
                    try (var off = GradMode.disabled()) { // Adam.step before the fused kernels, verbatim
                        float c1 = (float) (1 - Math.pow(b1, step)), c2 = (float) (1 - Math.pow(b2, step));
                        if (wd > 0) g = g.add(ref.mul(wd));
                        m = m == null ? g.mul(1 - b1) : m.mul(b1).add(g.mul(1 - b1));
                        v = v == null ? g.square().mul(1 - b2) : v.mul(b2).add(g.square().mul(1 - b2));
                        Tensor denom = v.mul(1f / c2).sqrt().add(eps);
                        ref = ref.sub(m.div(denom).mul(lr / c1));
                    }
                    assertArrayEquals(ref.toArray(), p.get("w").toArray(), be.name() + " wd " + wd + " step " + step);
                }
            }
        }
    }

    @Test void sgdMatchesTheTensorFormulaBitwise() {
        for (Backend be : List.of(new ScalarBackend(), Backends.cpu())) {
            for (float momentum : new float[] {0f, 0.9f}) {
                float lr = 0.05f, wd = 0.001f;
                Sgd sgd = new Sgd(lr, momentum, wd);
                Params p = Params.empty().with("w", t(be, 2, 17));
                Tensor ref = p.get("w"), buf = null;
                for (int step = 1; step <= 4; step++) {
                    Tensor g = t(be, 20 + step, 17);
                    p = sgd.step(p, Params.empty().with("w", g));
                    try (var off = GradMode.disabled()) {
                        g = g.add(ref.mul(wd));
                        if (momentum > 0) {
                            buf = buf == null ? g : buf.mul(momentum).add(g);
                            g = buf;
                        }
                        ref = ref.sub(g.mul(lr));
                    }
                    assertArrayEquals(ref.toArray(), p.get("w").toArray(), be.name() + " momentum " + momentum + " step " + step);
                }
            }
        }
    }

    @Test void aGradientOfTheWrongShapeIsRejectedByName() {
        Backend be = new ScalarBackend();
        Params p = Params.empty().with("w", t(be, 1, 4));
        Params g = Params.empty().with("w", t(be, 1, 5));
        var e = assertThrows(IllegalArgumentException.class, () -> new Adam(1e-3f).step(p, g));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("[5]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Sgd(1e-3f).step(p, g));
    }
}
