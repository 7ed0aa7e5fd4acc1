package io.metarec.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.metarec.backend.Backend;
import io.metarec.backend.cpu.ScalarBackend;
import io.metarec.backend.cpu.VectorBackend;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A batched product whose right operand is θ lifted to T copies ({@code expand} of a [1, k, n]
 * tensor, as stacked meta-steps build per-task fast weights) runs as one product of T·m rows
 * ({@link Linalg#matmul}): its values, and the gradient with respect to A (itself a product with the
 * lifted operand), are bitwise those of the plain batched product over an equal tensor that is not
 * an expand; the gradient with respect to θ is the per-task gradients' sum. (Gradient checks of the
 * folded product, first and second order: {@code OpGradientCheckTest}.)
 */
class LiftedOperandMatmulTest {

    @ParameterizedTest(name = "{0} tb={1}")
    @CsvSource({"vector,false", "vector,true", "scalar,false", "scalar,true"})
    void liftedOperandGivesTheBatchedProductsBits(String backend, boolean tb) {
        Backend be = backend.equals("vector") ? new VectorBackend() : new ScalarBackend();
        int tasks = 5, m = 20, k = 37, n = 64;
        SplittableRandom rnd = new SplittableRandom(tb ? 2 : 1);
        int[] w2 = tb ? new int[] {n, k} : new int[] {k, n};
        Tensor x = Tensor.of(be, random(rnd, tasks * m * k), tasks, m, k).requiringGrad();
        Tensor theta = Tensor.of(be, random(rnd, k * n), w2).requiringGrad();
        Tensor lifted = theta.reshape(1, w2[0], w2[1]).expand(tasks, w2[0], w2[1]);
        assertNotNull(ShapeOps.batchBroadcastSource(lifted), "the lifted operand is recognised");
        Tensor copy = Tensor.of(be, lifted.toArray(), tasks, w2[0], w2[1]).requiringGrad();
        assertNull(ShapeOps.batchBroadcastSource(copy), "an equal tensor that is not an expand is not");

        Tensor folded = Linalg.matmul(x, lifted, false, tb), batched = Linalg.matmul(x, copy, false, tb);
        assertArrayEquals(batched.toArray(), folded.toArray(), "values");

        Tensor seed = Tensor.of(be, random(rnd, tasks * m * n), tasks, m, n);
        List<Tensor> gf = Autograd.grad(List.of(folded), List.of(seed), List.of(x, theta), false);
        List<Tensor> gb = Autograd.grad(List.of(batched), List.of(seed), List.of(x, copy), false);
        assertArrayEquals(gb.get(0).toArray(), gf.get(0).toArray(), "dA");
        float[] perTask = gb.get(1).toArray(), summed = new float[k * n];
        for (int t = 0; t < tasks; t++) for (int i = 0; i < k * n; i++) summed[i] += perTask[t * k * n + i];
        assertArrayEquals(summed, gf.get(1).toArray(), 1e-4f, "dθ = Σ per-task gradients");
    }

    private static float[] random(SplittableRandom rnd, int size) {
        float[] v = new float[size];
        for (int i = 0; i < size; i++) v[i] = (float) rnd.nextDouble(-1, 1);
        return v;
    }
}
