package io.metarec;

import io.metarec.autograd.Autograd;
import io.metarec.autograd.Elementwise;
import io.metarec.autograd.Functional;
import io.metarec.autograd.Indexing;
import io.metarec.autograd.Linalg;
import io.metarec.autograd.Reductions;
import io.metarec.autograd.ShapeOps;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Backend;
import io.metarec.backend.Backends;
import io.metarec.backend.Indices;
import io.metarec.backend.ShapeException;
import io.metarec.backend.cpu.ScalarBackend;
import io.metarec.nn.Activation;
import io.metarec.nn.Mlp;
import io.metarec.nn.Params;
import io.metarec.optim.Adam;
import io.metarec.optim.Clip;
import io.metarec.optim.Sgd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input gets an exception of a documented type whose message names the op and the shapes or
 * values at fault: shape mismatches ({@link ShapeException}, an IllegalArgumentException), indices out
 * of range (IndexOutOfBoundsException), NaN-producing domains (ArithmeticException), misuse of grad,
 * unknown parameter names and groups, and invalid optimizer settings (IllegalArgumentException).
 */
class BadInputTest {
    static final Backend BE = new ScalarBackend();

    static Tensor t(int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = 0.5f + i;
        return Tensor.of(BE, v, shape);
    }

    /** Asserts the exception type and that its message contains every fragment. */
    static <T extends Throwable> void fails(Class<T> type, Executable call, String... fragments) {
        T e = assertThrows(type, call);
        String m = e.getMessage();
        for (String f : fragments) assertTrue(m != null && m.contains(f), "message should contain '" + f + "': " + m);
    }

    // ---- shapes -----------------------------------------------------------------------------------

    @Test
    void binaryBroadcastMismatch() {
        fails(ShapeException.class, () -> t(2, 3).add(t(4)), "add", "[2, 3]", "[4]", "do not broadcast");
        fails(ShapeException.class, () -> t(2, 3).mul(t(3, 3)), "mul", "[2, 3]", "[3, 3]");
        fails(ShapeException.class, () -> Elementwise.div(t(5, 2, 3), t(4, 3)), "div", "[5, 2, 3]", "[4, 3]");
        fails(ShapeException.class, () -> Elementwise.sigmoidGrad(t(2, 3), t(3)), "sigmoid_grad", "[2, 3]", "[3]", "must match");
        fails(ShapeException.class, () -> Elementwise.where(t(2), t(2), t(3)), "where", "[2]", "[3]");
    }

    @Test
    void matmulMismatch() {
        fails(ShapeException.class, () -> t(2, 3).matmul(t(4, 5)), "matmul", "[2, 3]", "[4, 5]", "3 vs 4");
        fails(ShapeException.class, () -> Linalg.matmul(t(2, 3), t(2, 5), true, true), "matmul", "[2, 3]ᵀ", "[2, 5]ᵀ", "2 vs 5");
        fails(ShapeException.class, () -> Linalg.matmul(t(2, 3, 4), t(3, 4, 5), false, false), "matmul", "[2, 3, 4]", "[3, 4, 5]");
        fails(ShapeException.class, () -> Linalg.matmul(t(3), t(3), false, false), "matmul", "[3]");
    }

    @Test
    void concatMismatch() {
        fails(ShapeException.class, () -> ShapeOps.concat(List.of(t(2, 3), t(3, 3)), 1), "concat", "[2, 3]", "[3, 3]", "dimension 0");
        fails(ShapeException.class, () -> ShapeOps.concat(List.of(t(2, 3), t(2, 3, 1)), 0), "concat", "[2, 3]", "[2, 3, 1]");
        fails(ShapeException.class, () -> ShapeOps.concat(List.of(), 0), "concat");
        fails(ShapeException.class, () -> ShapeOps.concat(List.of(t(2, 3)), 2), "concat", "axis 2", "[2, 3]");
    }

    @Test
    void reshapeAndOtherShapeOps() {
        fails(ShapeException.class, () -> t(2, 3).reshape(4, 2), "reshape", "[2, 3]", "[4, 2]");
        fails(ShapeException.class, () -> t(2, 3).reshape(-1, 4), "reshape", "[2, 3]", "[-1, 4]");
        fails(ShapeException.class, () -> t(2, 3).reshape(-1, -1), "reshape", "more than one -1");
        fails(ShapeException.class, () -> t(2, 3).expand(4, 3, 2), "expand", "[2, 3]", "[4, 3, 2]");
        fails(ShapeException.class, () -> t(2, 3).slice(1, 2, 5), "slice", "[2, 5)", "[2, 3]");
        fails(ShapeException.class, () -> t(2, 3).sum(2, false), "sum", "axis 2", "[2, 3]");
        fails(ShapeException.class, () -> t(4).transpose(), "transpose", "[4]");
        fails(ShapeException.class, () -> Functional.mse(t(3, 1), t(3)), "mse", "[3, 1]", "[3]");
        fails(ShapeException.class, () -> Functional.bceWithLogits(t(2), t(3)), "bce_with_logits", "[2]", "[3]");
        fails(ShapeException.class, () -> Reductions.mean(t(0)), "mean", "[0]");
        fails(ShapeException.class, () -> Tensor.of(BE, new float[5], 2, 3), "5 values", "[2, 3]");
        fails(ShapeException.class, () -> Elementwise.clamp(t(2), 1f, -1f), "clamp", "1.0", "-1.0");
    }

    // ---- indices ----------------------------------------------------------------------------------

    @Test
    void outOfRangeIndices() {
        fails(IndexOutOfBoundsException.class, () -> t(5, 3).gatherRows(Indices.of(1, 4, 5)), "gather_rows", "index 5", "position 2", "[5, 3]");
        fails(IndexOutOfBoundsException.class, () -> t(5, 3).gatherRows(Indices.of(0, -1)), "gather_rows", "index -1", "position 1");
        fails(IndexOutOfBoundsException.class, () -> Indexing.scatterAddRows(t(2, 3), Indices.of(0, 7), 4), "scatter_add_rows", "index 7", "4 rows");
        fails(ShapeException.class, () -> Indexing.scatterAddRows(t(3, 3), Indices.of(0, 1), 4), "scatter_add_rows", "[3, 3]", "2 indices");
        fails(IndexOutOfBoundsException.class, () -> Functional.softmaxCrossEntropy(t(2, 3), Indices.of(0, 3)), "softmax_cross_entropy", "target 3", "row 1");
        fails(ShapeException.class, () -> Functional.softmaxCrossEntropy(t(2, 3), Indices.of(0)), "softmax_cross_entropy", "[2, 3]");
    }

    @Test
    void badSegmentOffsets() {
        fails(ShapeException.class, () -> Indexing.segmentMean(t(5, 2), Indices.of(0, 3, 2, 5)), "segment_mean", "decrease at position 2", "3 then 2");
        fails(ShapeException.class, () -> Indexing.segmentMean(t(5, 2), Indices.of(0, 2, 4)), "segment_mean", "row count 5", "[0, 2, 4]");
        fails(ShapeException.class, () -> Indexing.segmentMean(t(5, 2), Indices.of(1, 5)), "segment_mean", "start at 0");
        fails(ShapeException.class, () -> Indexing.segmentMean(t(5, 2), Indices.of()), "segment_mean");
        fails(ShapeException.class, () -> Indexing.segmentExpandMean(t(3, 2), Indices.of(0, 2, 5), 5), "segment_expand_mean", "[2, cols]", "[3, 2]");
    }

    // ---- domains ----------------------------------------------------------------------------------

    @Test
    void nanProducingDomains() {
        Tensor neg = Tensor.of(BE, new float[] {1f, -2f, 3f}, 3);
        fails(ArithmeticException.class, () -> neg.log(), "log", "[3]", "-2.0", "flat index 1", "NaN");
        fails(ArithmeticException.class, () -> neg.sqrt(), "sqrt", "[3]", "-2.0", "flat index 1");
        fails(ArithmeticException.class, () -> neg.pow(0.5f), "pow", "0.5", "-2.0", "flat index 1");
        // allowed: integer powers of negative numbers, log(0) = -inf, NaN inputs are not this op's fault
        neg.pow(3f);
        Tensor.of(BE, new float[] {0f}, 1).log();
        Tensor.of(BE, new float[] {Float.NaN}, 1).sqrt();
    }

    // ---- grad ---------------------------------------------------------------------------------------

    @Test
    void gradMisuse() {
        Tensor x = t(2, 3).requiringGrad();
        Tensor y = x.square();
        fails(ShapeException.class, () -> Autograd.grad(y, List.of(x), false), "grad", "[2, 3]", "needs a seed");
        fails(ShapeException.class, () -> Autograd.grad(List.of(y), List.of(t(3, 2)), List.of(x), false), "grad", "seed 0", "[3, 2]", "[2, 3]");
        fails(ShapeException.class, () -> Autograd.grad(List.of(y), List.of(), List.of(x), false), "grad", "1 outputs but 0 seeds");
        // with a seed it works; an unused variable gets zeros, never a crash
        Tensor unused = t(4).requiringGrad();
        List<Tensor> g = Autograd.grad(List.of(y), List.of(Tensor.full(BE, 1f, 2, 3)), List.of(x, unused), false);
        assertTrue(java.util.Arrays.equals(g.get(1).toArray(), new float[4]));
    }

    // ---- params, optimizers -----------------------------------------------------------------------

    @Test
    void unknownParameterNameAndGroup() {
        Backend before = Backends.current();
        Backends.use(BE);
        try {
            Params p = new Mlp("mlp", new int[] {2, 3, 1}, Activation.RELU).init(1);
            fails(IllegalArgumentException.class, () -> p.get("mlp.fc3.weight"), "mlp.fc3.weight", "mlp.fc1.weight", "mlp.fc2.bias");
            fails(IllegalArgumentException.class, () -> p.select(List.of("mlp.fc1", "mpl")), "group 'mpl'", "mlp.fc1.weight");
            fails(IllegalArgumentException.class, () -> Params.of(List.of("a", "a"), List.of(t(1), t(1))), "'a'", "twice");
            fails(IllegalArgumentException.class, () -> Params.of(List.of("a"), List.of(t(1), t(1))), "1 names", "2 tensors");
            // a group is a dotted prefix: "mlp.fc" is not a group of "mlp.fc1.weight"
            fails(IllegalArgumentException.class, () -> p.select(List.of("mlp.fc")), "mlp.fc");
        } finally {
            Backends.use(before);
        }
    }

    @Test
    void invalidOptimizerSettings() {
        fails(IllegalArgumentException.class, () -> new Sgd(0f), "Sgd", "learning rate", "0.0");
        fails(IllegalArgumentException.class, () -> new Sgd(Float.NaN), "Sgd", "learning rate", "NaN");
        fails(IllegalArgumentException.class, () -> new Sgd(0.1f, 1f, 0f), "Sgd", "momentum", "1.0");
        fails(IllegalArgumentException.class, () -> new Sgd(0.1f, 0.9f, -1e-4f), "Sgd", "weight decay", "-1.0E-4");
        fails(IllegalArgumentException.class, () -> new Adam(-1e-3f), "Adam", "learning rate", "-0.001");
        fails(IllegalArgumentException.class, () -> new Adam(1e-3f, 1f, 0.999f, 1e-8f, 0f), "Adam", "betas", "1.0");
        fails(IllegalArgumentException.class, () -> new Adam(1e-3f, 0.9f, -0.1f, 1e-8f, 0f), "Adam", "betas", "-0.1");
        fails(IllegalArgumentException.class, () -> new Adam(1e-3f, 0.9f, 0.999f, 0f, 0f), "Adam", "eps", "0.0");
        fails(IllegalArgumentException.class, () -> new Adam(1e-3f, 0.9f, 0.999f, 1e-8f, -1f), "Adam", "weight decay", "-1.0");
        fails(IllegalArgumentException.class, () -> Clip.byGlobalNorm(Params.empty(), 0f), "clip", "max norm", "0.0");
        fails(IllegalArgumentException.class, () -> Clip.byValue(Params.empty(), -1f), "clip", "limit", "-1.0");
    }

    @Test
    void invalidModules() {
        fails(IllegalArgumentException.class, () -> new Mlp("m", new int[] {3}, Activation.RELU), "Mlp m", "input and output");
        fails(IllegalArgumentException.class, () -> Activation.parse("gelu"), "gelu", "relu, tanh, sigmoid");
        fails(IllegalArgumentException.class, () -> new io.metarec.nn.Linear("l", 0, 3), "Linear l", "0→3");
        fails(IllegalArgumentException.class, () -> new io.metarec.nn.Embedding("e", 5, 0), "Embedding e", "5×0");
        fails(IllegalArgumentException.class, () -> Backends.select("gpu"), "unknown backend 'gpu'", "cpu, cpu-scalar, cuda, auto");
    }
}
