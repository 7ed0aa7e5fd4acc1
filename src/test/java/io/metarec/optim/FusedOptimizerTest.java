package io.metarec.optim;

import io.metarec.autograd.GradMode;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Backend;
import io.metarec.backend.Backends;
import io.metarec.backend.Buffer;
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

    /** Gaussian values with zeros of both signs, infinities and NaN sprinkled in (tails included). */
    private static float[] values(Random r, int n, double scale) {
        float[] x = new float[n];
        float[] special = {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.MIN_VALUE, 1e-30f};
        for (int i = 0; i < n; i++) x[i] = r.nextInt(50) == 0 ? special[r.nextInt(special.length)] : (float) (r.nextGaussian() * scale);
        return x;
    }

    /**
     * The vector backend's Adam and SGD (vector lanes, split over the pool above 64k floats) give the
     * scalar kernels' bits: odd sizes for the tails, 1 and 2 threads, first steps without moments,
     * and coefficients that hit every identity shortcut of the scalar formula (weight decay 1,
     * β₁ = 0 so 1 − β₁ = 1, ε = 0, learning rate 1).
     */
    @Test void vectorKernelsGiveTheScalarBitsAtAnySizeAndThreadCount() {
        Backend scalar = new ScalarBackend(), vector = new io.metarec.backend.cpu.VectorBackend();
        float[][] adam = {{1e-3f, 0.9f, 0.999f, 1e-8f, 0f}, {1e-2f, 0.8f, 0.99f, 1e-6f, 0.01f}, {1f, 0f, 0.5f, 0f, 1f}};
        float[][] sgd = {{0.05f, 0f, 0f}, {0.05f, 0.9f, 0.001f}, {1f, 1f, 1f}};
        int threads = io.metarec.util.EnginePool.threads();
        try {
            for (int t : new int[] {1, 2}) {
                io.metarec.util.EnginePool.setThreads(t);
                for (int n : new int[] {0, 1, 15, 16, 17, 33, 1000, 65536 + 37, 458401}) {
                    Random r = new Random(n);
                    float[] p0 = values(r, n, 1);
                    for (float[] a : adam) {
                        Buffer[] s = {scalar.upload(p0), null, null}, v = {vector.upload(p0), null, null};
                        for (int step = 1; step <= 3; step++) {
                            var c = io.metarec.backend.Fused.AdamCoefficients.of(a[0], a[1], a[2], a[3], a[4], step);
                            float[] g = values(r, n, 0.1);
                            var rs = scalar.adamStep(s[0], scalar.upload(g), s[1], s[2], c);
                            var rv = vector.adamStep(v[0], vector.upload(g), v[1], v[2], c);
                            String what = "Adam " + java.util.Arrays.toString(a) + " n=" + n + " threads=" + t + " step " + step;
                            assertArrayEquals(scalar.download(rs.param()), vector.download(rv.param()), what + ": parameters");
                            assertArrayEquals(scalar.download(rs.m()), vector.download(rv.m()), what + ": m");
                            assertArrayEquals(scalar.download(rs.v()), vector.download(rv.v()), what + ": v");
                            s = new Buffer[] {rs.param(), rs.m(), rs.v()};
                            v = new Buffer[] {rv.param(), rv.m(), rv.v()};
                        }
                    }
                    for (float[] a : sgd) {
                        Buffer[] s = {scalar.upload(p0), null}, v = {vector.upload(p0), null};
                        for (int step = 1; step <= 3; step++) {
                            var c = new io.metarec.backend.Fused.SgdCoefficients(a[0], a[1], a[2]);
                            float[] g = values(r, n, 0.1);
                            var rs = scalar.sgdStep(s[0], scalar.upload(g), s[1], c);
                            var rv = vector.sgdStep(v[0], vector.upload(g), v[1], c);
                            String what = "SGD " + java.util.Arrays.toString(a) + " n=" + n + " threads=" + t + " step " + step;
                            assertArrayEquals(scalar.download(rs.param()), vector.download(rv.param()), what + ": parameters");
                            if (a[1] > 0) assertArrayEquals(scalar.download(rs.momentum()), vector.download(rv.momentum()), what + ": momentum");
                            s = new Buffer[] {rs.param(), rs.momentum()};
                            v = new Buffer[] {rv.param(), rv.momentum()};
                        }
                    }
                }
            }
        } finally {
            io.metarec.util.EnginePool.setThreads(threads);
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
