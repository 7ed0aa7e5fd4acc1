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
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    /**
     * Adam lets the backend write its moments in place, except where someone else may hold them: a
     * state read with state() stays as it was read, a state given to restore() is never written
     * into, and the steps are bitwise those of a run whose state nobody read.
     */
    @Test void aStateOnceReadNeverChangesAndARestoredOneIsNotWrittenInto() {
        for (Backend be : List.of(new ScalarBackend(), Backends.cpu())) {
            Adam read = new Adam(1e-2f), unread = new Adam(1e-2f);
            Params p = Params.empty().with("w", t(be, 1, 1000)), q = p;
            for (int step = 1; step <= 3; step++) {
                Params g = Params.empty().with("w", t(be, 10 + step, 1000));
                p = read.step(p, g);
                q = unread.step(q, g);
            }
            Optimizer.State s = read.state();
            float[] m3 = s.tensors().get("m.w").toArray(), v3 = s.tensors().get("v.w").toArray();
            Adam resumed = new Adam(1e-2f);
            resumed.restore(s);
            Params r = p;
            for (int step = 4; step <= 6; step++) {
                Params g = Params.empty().with("w", t(be, 10 + step, 1000));
                p = read.step(p, g);
                q = unread.step(q, g);
                r = resumed.step(r, g);
                assertArrayEquals(m3, s.tensors().get("m.w").toArray(), be.name() + ": the state read after step 3, at step " + step);
                assertArrayEquals(v3, s.tensors().get("v.w").toArray(), be.name() + ": the state read after step 3, at step " + step);
            }
            assertArrayEquals(q.get("w").toArray(), p.get("w").toArray(), be.name() + ": reading the state changes no step");
            assertArrayEquals(q.get("w").toArray(), r.get("w").toArray(), be.name() + ": restored, the steps continue bitwise");
        }
    }

    /**
     * The exact step of a row-sparse gradient reads its block where it has rows and zeros elsewhere:
     * bitwise the step on the densified gradient (Backend.withRows over zeros), on both CPU backends,
     * at 1 and 2 threads, for widths with and without vector tails, tables larger than the parallel
     * split's parts (so parts start mid-row), no touched row at all, a touched row of −0 (a scaled
     * gradient's), first steps without moments, in place or not, and weight decay.
     */
    @Test void theRowSparseExactStepIsTheDenseStepOnTheDensifiedGradient() {
        int threads = io.metarec.util.EnginePool.threads();
        try {
            for (int t : new int[] {1, 2}) {
                io.metarec.util.EnginePool.setThreads(t);
                for (Backend be : List.of(new ScalarBackend(), new io.metarec.backend.cpu.VectorBackend())) {
                    for (int[] shape : new int[][] {{40, 1}, {9, 5}, {3000, 33}, {2100, 32}, {7, 4100}}) {
                        int rows = shape[0], cols = shape[1], n = rows * cols;
                        Random r = new Random(n);
                        for (int touched : new int[] {0, 1, rows / 3}) {
                            int[] ids = r.ints(0, rows).distinct().limit(touched).toArray();
                            for (float wd : new float[] {0f, 0.01f}) {
                                Buffer[] dense = {be.upload(values(r, n, 1)), null, null}, sparse = {dense[0], null, null};
                                for (int step = 1; step <= 3; step++) {
                                    var c = io.metarec.backend.Fused.AdamCoefficients.of(1e-2f, 0.9f, 0.999f, 1e-8f, wd, step);
                                    float[] block = values(r, touched * cols, 0.1);
                                    if (touched > 0) block[0] = -0f;
                                    Buffer b = be.upload(block);
                                    io.metarec.backend.Indices idx = io.metarec.backend.Indices.wrap(ids);
                                    Buffer g = be.withRows(be.zeros(n), cols, idx, b);
                                    var rd = be.adamStep(dense[0], g, dense[1], dense[2], false, c);
                                    var rs = be.adamStepRows(sparse[0], cols, idx, b, sparse[1], sparse[2], step % 2 == 0, c);
                                    String what = be.name() + " " + rows + "x" + cols + " touched=" + touched + " wd=" + wd + " threads=" + t + " step " + step;
                                    assertArrayEquals(be.download(rd.param()), be.download(rs.param()), what + ": parameters");
                                    assertArrayEquals(be.download(rd.m()), be.download(rs.m()), what + ": m");
                                    assertArrayEquals(be.download(rd.v()), be.download(rs.v()), what + ": v");
                                    dense = new Buffer[] {rd.param(), rd.m(), rd.v()};
                                    sparse = new Buffer[] {rs.param(), rs.m(), rs.v()};
                                }
                            }
                        }
                    }
                }
            }
        } finally {
            io.metarec.util.EnginePool.setThreads(threads);
        }
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
                            // the vector side writes its moments in place from the second step on
                            var rv = vector.adamStep(v[0], vector.upload(g), v[1], v[2], true, c);
                            String what = "Adam " + java.util.Arrays.toString(a) + " n=" + n + " threads=" + t + " step " + step;
                            assertTrue(step == 1 || (rv.m() == v[1] && rv.v() == v[2]), what + ": moments reused");
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
