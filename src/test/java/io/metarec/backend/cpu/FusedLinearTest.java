package io.metarec.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.metarec.autograd.Autograd;
import io.metarec.autograd.GradMode;
import io.metarec.autograd.Linalg;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Backend;
import io.metarec.backend.Binary;
import io.metarec.backend.Broadcast;
import io.metarec.backend.Buffer;
import io.metarec.backend.Unary;
import io.metarec.nn.Activation;
import io.metarec.nn.Mlp;
import io.metarec.nn.Params;
import io.metarec.util.EnginePool;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Backend#linear} (a dense layer's product with the bias add and ReLU fused into it) gives
 * the bits of the three kernels the recorded graph runs — gemm, then ADD of the row vector, then
 * RELU — on the vector backend (fused in {@link VectorGemm}) and the scalar one (the default), at
 * sizes crossing the tile, vector, k-block and column-block edges, on one and two threads; and the
 * recorded layer ({@code Linalg.linear}, one graph node) has the separate ops' values and first-
 * and second-order gradients.
 */
class FusedLinearTest {
    private final VectorBackend vector = new VectorBackend();
    private final ScalarBackend scalar = new ScalarBackend();
    private int threadsBefore;

    @BeforeEach void rememberThreads() { threadsBefore = EnginePool.threads(); }

    @AfterEach void restore() {
        VectorGemm.parallelMinFmas = VectorGemm.PARALLEL_MIN_FMAS;
        EnginePool.setThreads(threadsBefore);
    }

    @Test
    void fusedEqualsTheSeparateKernelsBitwise() {
        SplittableRandom rnd = new SplittableRandom(11);
        int[] ms = {1, 5, 6, 7, 97, 200}, ns = {1, 3, 8, 9, 17, 64, 65, 600}, ks = {0, 1, 9, 256, 257, 600};
        int checked = 0;
        for (int threads : new int[] {1, 2}) {
            EnginePool.setThreads(threads);
            VectorGemm.parallelMinFmas = threads == 1 ? VectorGemm.PARALLEL_MIN_FMAS : 1;
            for (int m : ms)
                for (int n : ns)
                    for (int k : ks) {
                        if ((long) m * n * k > 3_000_000 && rnd.nextInt(4) != 0) continue;
                        for (Backend be : new Backend[] {vector, scalar}) {
                            if (be == scalar && (long) m * n * k > 200_000) continue;
                            float[] x = values(m * k, rnd), w = values(k * n, rnd), bias = values(n, rnd);
                            for (boolean withBias : new boolean[] {false, true})
                                for (boolean relu : new boolean[] {false, true}) {
                                    float[] b = withBias ? bias : null;
                                    assertBitwise(separate(be, m, n, k, x, w, b, relu), fused(be, m, n, k, x, w, b, relu),
                                            be.name() + " m=" + m + " n=" + n + " k=" + k + " bias=" + withBias + " relu=" + relu + " threads=" + threads);
                                    checked++;
                                }
                        }
                    }
        }
        assertTrue(checked > 1000, "too few cases: " + checked);
    }

    /** The MeLU serving shape (3,706 catalogue rows through 256 → 64), split over two threads and not. */
    @Test
    void servingShapeIsBitwiseOnOneAndTwoThreads() {
        SplittableRandom rnd = new SplittableRandom(3);
        int m = 3706, k = 256, n = 64;
        float[] x = values(m * k, rnd), w = values(k * n, rnd), b = values(n, rnd);
        EnginePool.setThreads(1);
        float[] want = separate(vector, m, n, k, x, w, b, true), one = fused(vector, m, n, k, x, w, b, true);
        EnginePool.setThreads(2);
        float[] two = fused(vector, m, n, k, x, w, b, true);
        assertBitwise(want, one, "one thread");
        assertBitwise(want, two, "two threads");
    }

    @Test
    void onlyReluOrNoActivation() {
        Buffer x = vector.upload(new float[] {1f}), w = vector.upload(new float[] {1f}), out = vector.allocate(1);
        assertThrows(IllegalArgumentException.class, () -> vector.linear(1, 1, 1, x, w, null, Unary.TANH, out));
        assertThrows(IllegalArgumentException.class, () -> scalar.linear(1, 1, 1, scalar.upload(new float[] {1f}),
                scalar.upload(new float[] {1f}), null, Unary.SIGMOID, scalar.allocate(1)));
    }

    /** Linalg.linear: one fused call and one graph node, with the bits of matmul, add and relu — values and gradients. */
    @Test
    void layerIsOneNodeWithTheSeparateOpsValuesAndGradients() {
        SplittableRandom rnd = new SplittableRandom(5);
        Tensor x = Tensor.of(vector, values(3 * 20 * 40, rnd), 3, 20, 40).requiringGrad();
        Tensor w = Tensor.of(vector, values(40 * 24, rnd), 40, 24).requiringGrad();
        Tensor b = Tensor.of(vector, values(24, rnd), 24).requiringGrad();
        Tensor fused = Linalg.linear(x, w, b, true);
        assertEquals(3, fused.rank());
        Tensor composed = x.matmul(w).add(b).relu();
        assertBitwise(composed.toArray(), fused.toArray(), "values");
        java.util.List<Tensor> inputs = java.util.List.of(x, w, b);
        // L = Σ y²: first-order gradients, then a second derivative through them (create_graph)
        java.util.List<Tensor> gf = Autograd.grad(fused.mul(fused).sum(), inputs, true);
        java.util.List<Tensor> gc = Autograd.grad(composed.mul(composed).sum(), inputs, true);
        for (int i = 0; i < 3; i++) assertBitwise(gc.get(i).toArray(), gf.get(i).toArray(), "gradient " + i);
        Tensor hf = Autograd.grad(gf.get(1).mul(gf.get(1)).sum().add(gf.get(2).sum()), java.util.List.of(w), false).get(0);
        Tensor hc = Autograd.grad(gc.get(1).mul(gc.get(1)).sum().add(gc.get(2).sum()), java.util.List.of(w), false).get(0);
        assertBitwise(hc.toArray(), hf.toArray(), "second order");
        try (var off = GradMode.disabled()) {
            Tensor unrecorded = Linalg.linear(x, w, b, true);
            assertNull(unrecorded.node());
            assertBitwise(composed.toArray(), unrecorded.toArray(), "unrecorded");
        }
        Tensor constants = Linalg.linear(x.detach(), w.detach(), null, false);
        assertNull(constants.node());
        assertBitwise(x.detach().matmul(w.detach()).toArray(), constants.toArray(), "constants, no bias");
        assertThrows(io.metarec.backend.ShapeException.class, () -> Linalg.linear(x, w.transpose(), b, true));
    }

    /** An MLP's forward pass (evaluation, serving) gives the same bits with and without recording. */
    @Test
    void mlpForwardIsTheSameRecordedOrNot() {
        Mlp mlp = new Mlp("mlp", new int[] {37, 64, 64, 1}, Activation.RELU);
        Params p = mlp.init(9);
        Params trainable = Params.empty();
        for (String name : p.names()) trainable = trainable.with(name, p.get(name).requiringGrad());
        SplittableRandom rnd = new SplittableRandom(8);
        Tensor x = Tensor.of(values(250 * 37, rnd), 250, 37);
        float[] recorded = mlp.forward(trainable, x).toArray();
        float[] unrecorded;
        try (var off = GradMode.disabled()) {
            unrecorded = mlp.forward(trainable, x).toArray();
        }
        assertBitwise(recorded, unrecorded, "mlp");
    }

    private static float[] fused(Backend be, int m, int n, int k, float[] x, float[] w, float[] bias, boolean relu) {
        Buffer out = be.allocate(m * n);
        be.linear(m, n, k, be.upload(x), be.upload(w), bias == null ? null : be.upload(bias), relu ? Unary.RELU : null, out);
        return be.download(out);
    }

    /** What the recorded graph runs: the product, the row vector added, ReLU — three kernels. */
    private static float[] separate(Backend be, int m, int n, int k, float[] x, float[] w, float[] bias, boolean relu) {
        Buffer y = k == 0 ? be.zeros(m * n) : be.allocate(m * n);
        if (k > 0) be.gemm(false, false, 1, m, n, k, be.upload(x), be.upload(w), y);
        if (bias != null) {
            Buffer sum = be.allocate(m * n);
            be.binary(Binary.ADD, y, be.upload(bias), sum, Broadcast.of("add", new int[] {m, n}, new int[] {n}));
            y = sum;
        }
        if (relu) {
            Buffer r = be.allocate(m * n);
            be.unary(Unary.RELU, y, r, 0f, 0f);
            y = r;
        }
        return be.download(y);
    }

    /** Values whose products and sums include exact zeros, negative zeros and negatives, where ReLU's edge cases are. */
    private static float[] values(int n, SplittableRandom rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            int kind = rnd.nextInt(10);
            v[i] = kind == 0 ? 0f : kind == 1 ? -0f : (float) rnd.nextGaussian();
        }
        return v;
    }

    private static void assertBitwise(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++)
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i]))
                fail(what + ": element " + i + " is " + got[i] + ", want " + want[i]);
    }
}
