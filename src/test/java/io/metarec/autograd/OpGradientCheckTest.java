package io.metarec.autograd;

import io.metarec.backend.Backend;
import io.metarec.backend.Indices;
import io.metarec.backend.cpu.ScalarBackend;
import io.metarec.backend.cpu.VectorBackend;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Table-driven first- and second-order gradient checks over every op in {@link OpRegistry#names()}
 * (primitives and composites), on both CPU backends.
 *
 * <p>Objective. For a case y = f(x₁ … xₙ) the checked scalar is
 * {@code L = Σ w·y + ½ Σ u·y²} with fixed random w, u. The first term is the brief's Σ w·f(x); the
 * quadratic term makes the Hessian of L non-zero even for ops that are linear in their inputs
 * (transpose, concat, gather, sum, …), so the second-order check also exercises the derivative of
 * each backward rule with respect to its incoming gradient, which a linear objective never does.
 *
 * <p>First order: the analytic gradient (Autograd.grad, createGraph=false) against central
 * differences of L, element by element. Second order: the Hessian-vector product (grad with
 * createGraph=true, then the grad of ⟨g, v⟩) against central differences of the analytic gradient
 * along v.
 *
 * <p>Step sizes and tolerance (we only have float32): the engine evaluates y in float32, but L is
 * summed on the host in double, so for an elementwise op the values that did not move cancel exactly
 * and the rounding noise of a difference quotient is about ε·|y|/h ≈ 6e-8/h. The step actually taken
 * is measured ((float)(x+h) − (float)(x−h), in double), so rounding of x ± h adds no error. The
 * truncation error h²·f'''/6 is removed by Richardson extrapolation, (4·D(h) − D(2h)) / 3, which
 * leaves O(h⁴). With h = 1e-2 the remaining error is ~1e-5 (noise) + ~1e-8 (truncation) relative to
 * the gradient's scale, measured below 1e-4 in every case; the tolerance is {@link #TOL} = 2e-3 of
 * max(1, ‖reference‖∞). A wrong rule is off by O(1) of the gradient's scale: breaking the second
 * output of sigmoid_grad (writing 1 − y for 1 − 2y) fails both its first-order check and the
 * second-order check of sigmoid, at errors of ~0.1–0.5. Inputs stay 2h·|v| ≤ 0.02 away from every
 * kink (relu at 0, clamp at its bounds, ties of max), so no difference quotient straddles one.
 */
class OpGradientCheckTest {
    /** Central-difference step (absolute; inputs have magnitude ≤ 2). */
    static final double H = 1e-2;
    /** Allowed max |analytic − numeric| as a fraction of max(1, ‖numeric‖∞). */
    static final double TOL = 1e-3;
    /** Inputs keep this distance from kinks: larger than the widest step 2H (times |v| ≤ 1). */
    static final float KINK_MARGIN = 0.05f;
    /** GRADCHECK_REPORT=1 in the environment prints every comparison's error (how the tolerance was chosen). */
    static final boolean REPORT = System.getenv("GRADCHECK_REPORT") != null;

    // ---- the table --------------------------------------------------------------------------------

    /** How one input is drawn; constant inputs are passed as plain tensors and not differentiated. */
    record In(int[] shape, Filler filler, boolean differentiable) {
        int size() { return Arrays.stream(shape).reduce(1, (a, b) -> a * b); }
    }

    interface Filler {
        float[] fill(int n, SplittableRandom r);
    }

    interface Sampler {
        float draw(SplittableRandom r);
    }

    static In each(Sampler s, int... shape) {
        return new In(shape, (n, r) -> {
            float[] out = new float[n];
            for (int i = 0; i < n; i++) out[i] = s.draw(r);
            return out;
        }, true);
    }

    static In any(int... shape) { return each(r -> (float) r.nextDouble(-2, 2), shape); }
    static In range(float lo, float hi, int... shape) { return each(r -> (float) r.nextDouble(lo, hi), shape); }
    static In positive(int... shape) { return range(0.5f, 2f, shape); }

    /** ±[0.5, 2]: away from 0 (denominators, reciprocal). */
    static In nonzero(int... shape) { return each(r -> (float) ((r.nextBoolean() ? 1 : -1) * r.nextDouble(0.5, 2)), shape); }

    /** Uniform on [-2, 2] but at least KINK_MARGIN from each kink. */
    static In awayFrom(float[] kinks, int... shape) {
        return each(r -> {
            while (true) {
                float x = (float) r.nextDouble(-2, 2);
                boolean ok = true;
                for (float k : kinks) ok &= Math.abs(x - k) >= KINK_MARGIN;
                if (ok) return x;
            }
        }, shape);
    }

    /**
     * Distinct values: a shuffled grid of spacing 0.15, shifted by {@code offset}, jittered by ±0.01.
     * Values of one input are ≥ 0.13 apart, so max has no ties even under a perturbation of 2h = 0.02
     * per element; an input with offset 0.075 stays ≥ 0.055 away from every value of one with offset 0
     * (comparisons do not flip).
     */
    static In distinct(double offset, int... shape) {
        return new In(shape, (n, r) -> {
            int[] perm = new int[n];
            for (int i = 0; i < n; i++) perm[i] = i;
            for (int i = n - 1; i > 0; i--) {
                int j = r.nextInt(i + 1), tmp = perm[i];
                perm[i] = perm[j];
                perm[j] = tmp;
            }
            float[] out = new float[n];
            for (int i = 0; i < n; i++) out[i] = (float) ((perm[i] - n / 2) * 0.15 + offset + r.nextDouble(-0.01, 0.01));
            return out;
        }, true);
    }

    static In constant(float[] values, int... shape) { return new In(shape, (n, r) -> values.clone(), false); }

    /** One row of the table: which registered op it checks, a label, inputs and the function. */
    record Case(String op, String label, List<In> inputs, Function<List<Tensor>, Tensor> f) {
        @Override public String toString() { return op + " " + label; }
    }

    static Case c(String op, String label, List<In> inputs, Function<List<Tensor>, Tensor> f) {
        return new Case(op, label, inputs, f);
    }

    static final float[] ZERO = {0f};
    static final Indices GATHER_IDS = Indices.of(4, 0, 2, 0, 4, 1); // duplicates; row 3 never used
    static final Indices OFFSETS = Indices.of(0, 2, 2, 5, 7);       // segment 1 is empty
    static final Indices BAG_IDS = Indices.of(4, 0, 2, 0, 4, 1, 4); // 7 lookups for OFFSETS' bags: duplicates within and across bags
    static final Indices CE_TARGETS = Indices.of(2, 0, 4, 1);

    static List<Case> cases() {
        List<Case> t = new ArrayList<>();
        // -- unary
        t.add(c("neg", "[3,4]", List.of(any(3, 4)), x -> Elementwise.neg(x.get(0))));
        t.add(c("exp", "[3,4]", List.of(any(3, 4)), x -> Elementwise.exp(x.get(0))));
        t.add(c("log", "positive [3,4]", List.of(positive(3, 4)), x -> Elementwise.log(x.get(0))));
        t.add(c("sqrt", "positive [3,4]", List.of(positive(3, 4)), x -> Elementwise.sqrt(x.get(0))));
        t.add(c("square", "[3,4]", List.of(any(3, 4)), x -> Elementwise.square(x.get(0))));
        t.add(c("pow", "x^2.5, positive", List.of(positive(3, 4)), x -> Elementwise.pow(x.get(0), 2.5f)));
        t.add(c("pow", "x^-1.5, positive", List.of(positive(3, 4)), x -> Elementwise.pow(x.get(0), -1.5f)));
        t.add(c("pow", "x^3, any sign", List.of(any(3, 4)), x -> Elementwise.pow(x.get(0), 3f)));
        t.add(c("reciprocal", "±[0.5,2]", List.of(nonzero(3, 4)), x -> Elementwise.reciprocal(x.get(0))));
        t.add(c("abs", "away from 0", List.of(awayFrom(ZERO, 3, 4)), x -> Elementwise.abs(x.get(0))));
        t.add(c("affine", "1.7x - 0.3", List.of(any(3, 4)), x -> Elementwise.affine(x.get(0), 1.7f, -0.3f)));
        t.add(c("affine", "x / 4", List.of(any(2, 3, 2)), x -> x.get(0).div(4f)));
        t.add(c("relu", "away from 0", List.of(awayFrom(ZERO, 3, 4)), x -> Elementwise.relu(x.get(0))));
        t.add(c("leaky_relu", "slope 0.1", List.of(awayFrom(ZERO, 3, 4)), x -> Elementwise.leakyRelu(x.get(0), 0.1f)));
        t.add(c("sigmoid", "[-3,3]", List.of(range(-3, 3, 3, 4)), x -> Elementwise.sigmoid(x.get(0))));
        t.add(c("tanh", "[-2,2]", List.of(any(3, 4)), x -> Elementwise.tanh(x.get(0))));
        t.add(c("softplus", "[-3,3]", List.of(range(-3, 3, 3, 4)), x -> Elementwise.softplus(x.get(0))));
        t.add(c("clamp", "[-0.5, 0.7]", List.of(awayFrom(new float[] {-0.5f, 0.7f}, 3, 4)), x -> Elementwise.clamp(x.get(0), -0.5f, 0.7f)));
        // -- fused backward kernels: both inputs independent variables
        t.add(c("relu_grad", "g, x away from 0", List.of(any(3, 4), awayFrom(ZERO, 3, 4)), x -> Elementwise.reluGrad(x.get(0), x.get(1))));
        t.add(c("sigmoid_grad", "g, y in (0,1)", List.of(any(3, 4), range(0.05f, 0.95f, 3, 4)), x -> Elementwise.sigmoidGrad(x.get(0), x.get(1))));
        t.add(c("tanh_grad", "g, y in (-1,1)", List.of(any(3, 4), range(-0.95f, 0.95f, 3, 4)), x -> Elementwise.tanhGrad(x.get(0), x.get(1))));
        // -- binary with broadcasting
        int[][][] pairs = {
                {{3, 4}, {3, 4}}, {{3, 4}, {4}}, {{3, 4}, {3, 1}}, {{}, {3, 4}}, {{3, 1}, {1, 4}},
                {{2, 3, 4}, {3, 1}}, {{2, 1, 4}, {3, 1}}, {{2, 3, 4}, {2, 1, 4}}};
        for (int[][] p : pairs) {
            String l = Arrays.toString(p[0]) + " with " + Arrays.toString(p[1]);
            t.add(c("add", l, List.of(any(p[0]), any(p[1])), x -> Elementwise.add(x.get(0), x.get(1))));
            t.add(c("sub", l, List.of(any(p[0]), any(p[1])), x -> Elementwise.sub(x.get(0), x.get(1))));
            t.add(c("mul", l, List.of(any(p[0]), any(p[1])), x -> Elementwise.mul(x.get(0), x.get(1))));
            t.add(c("div", l, List.of(any(p[0]), nonzero(p[1])), x -> Elementwise.div(x.get(0), x.get(1))));
        }
        float[] mask = {1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 0};
        t.add(c("where", "mask [3,4]", List.of(constant(mask, 3, 4), any(3, 4), any(3, 4)),
                x -> Elementwise.where(x.get(0), x.get(1), x.get(2))));
        // -- constants: no graph, zero gradient (inputs away from their discontinuities)
        t.add(c("step", "below 0.1", List.of(awayFrom(ZERO, 3, 4)), x -> Elementwise.step(x.get(0), 0.1f)));
        t.add(c("sign", "away from 0", List.of(awayFrom(ZERO, 3, 4)), x -> Elementwise.sign(x.get(0))));
        t.add(c("in_range", "[-0.5, 0.7]", List.of(awayFrom(new float[] {-0.5f, 0.7f}, 3, 4)), x -> Elementwise.inRange(x.get(0), -0.5f, 0.7f)));
        t.add(c("greater", "distinct", List.of(distinct(0, 3, 4), distinct(0.075, 3, 4)), x -> Elementwise.greater(x.get(0), x.get(1))));
        t.add(c("equal", "distinct", List.of(distinct(0, 3, 4), distinct(0.075, 3, 4)), x -> Elementwise.equal(x.get(0), x.get(1))));
        // -- reductions
        t.add(c("sum", "all of [3,4]", List.of(any(3, 4)), x -> Reductions.sum(x.get(0))));
        t.add(c("sum", "axis 0", List.of(any(3, 4)), x -> Reductions.sum(x.get(0), 0, false)));
        t.add(c("sum", "axis 1 keepDim", List.of(any(3, 4)), x -> Reductions.sum(x.get(0), 1, true)));
        t.add(c("sum", "[2,3,4] axis 1", List.of(any(2, 3, 4)), x -> Reductions.sum(x.get(0), 1, false)));
        t.add(c("sum", "[2,3,4] axis -1 keepDim", List.of(any(2, 3, 4)), x -> Reductions.sum(x.get(0), -1, true)));
        t.add(c("max", "[3,4] axis 1", List.of(distinct(0, 3, 4)), x -> Reductions.max(x.get(0), 1, false)));
        t.add(c("max", "[3,4] axis 0 keepDim", List.of(distinct(0, 3, 4)), x -> Reductions.max(x.get(0), 0, true)));
        t.add(c("max", "[2,3,4] axis 1", List.of(distinct(0, 2, 3, 4)), x -> Reductions.max(x.get(0), 1, false)));
        // -- shape ops
        t.add(c("reshape", "[3,4] to [2,6]", List.of(any(3, 4)), x -> ShapeOps.reshape(x.get(0), 2, 6)));
        t.add(c("reshape", "[2,3,4] to [-1,4]", List.of(any(2, 3, 4)), x -> ShapeOps.reshape(x.get(0), -1, 4)));
        t.add(c("transpose", "[3,4]", List.of(any(3, 4)), x -> ShapeOps.transpose(x.get(0))));
        t.add(c("transpose", "batched [2,3,4]", List.of(any(2, 3, 4)), x -> ShapeOps.transpose(x.get(0))));
        t.add(c("expand", "[3,1] to [2,3,4]", List.of(any(3, 1)), x -> ShapeOps.expand(x.get(0), 2, 3, 4)));
        t.add(c("expand", "[4] to [3,4]", List.of(any(4)), x -> ShapeOps.expand(x.get(0), 3, 4)));
        t.add(c("expand", "[] to [2,3]", List.of(any()), x -> ShapeOps.expand(x.get(0), 2, 3)));
        t.add(c("slice", "[4,5] axis 0 [1,3)", List.of(any(4, 5)), x -> ShapeOps.slice(x.get(0), 0, 1, 3)));
        t.add(c("slice", "[4,5] axis 1 [2,5)", List.of(any(4, 5)), x -> ShapeOps.slice(x.get(0), 1, 2, 5)));
        t.add(c("slice", "[2,4,3] axis 1 [1,3)", List.of(any(2, 4, 3)), x -> ShapeOps.slice(x.get(0), 1, 1, 3)));
        t.add(c("pad", "[3,2] axis 1 at 1 in 5", List.of(any(3, 2)), x -> ShapeOps.pad(x.get(0), 1, 1, 5)));
        t.add(c("pad", "[2,2,3] axis 0 at 2 in 4", List.of(any(2, 2, 3)), x -> ShapeOps.pad(x.get(0), 0, 2, 4)));
        t.add(c("concat", "3 parts axis 1", List.of(any(3, 2), any(3, 1), any(3, 3)), x -> ShapeOps.concat(x, 1)));
        t.add(c("concat", "2 parts axis 0", List.of(any(2, 3), any(1, 3)), x -> ShapeOps.concat(x, 0)));
        t.add(c("concat", "[2,2,3]+[2,1,3] axis 1", List.of(any(2, 2, 3), any(2, 1, 3)), x -> ShapeOps.concat(x, 1)));
        t.add(c("concat", "[2,2,1]+[2,2,3] axis -1", List.of(any(2, 2, 1), any(2, 2, 3)), x -> ShapeOps.concat(x, -1)));
        // -- matmul: every transpose combination, 2-D and batched, and a shared right operand
        int m = 3, k = 4, n = 2, T = 2;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                int[] a2 = ta ? new int[] {k, m} : new int[] {m, k}, b2 = tb ? new int[] {n, k} : new int[] {k, n};
                int[] a3 = {T, a2[0], a2[1]}, b3 = {T, b2[0], b2[1]};
                String fl = (ta ? "Aᵀ" : "A") + "·" + (tb ? "Bᵀ" : "B");
                t.add(c("matmul", "2-D " + fl, List.of(any(a2), any(b2)), x -> Linalg.matmul(x.get(0), x.get(1), ta, tb)));
                t.add(c("matmul", "batched " + fl, List.of(any(a3), any(b3)), x -> Linalg.matmul(x.get(0), x.get(1), ta, tb)));
            }
        }
        t.add(c("matmul", "[2,3,4]×[4,2] shared", List.of(any(T, m, k), any(k, n)), x -> Linalg.matmul(x.get(0), x.get(1))));
        // a right operand lifted to T copies (per-task fast weights): one product of T·m rows
        for (boolean tb : new boolean[] {false, true}) {
            int[] b2 = tb ? new int[] {n, k} : new int[] {k, n};
            t.add(c("matmul", "[2,3,4]×expand(" + (tb ? "Bᵀ" : "B") + ") lifted", List.of(any(T, m, k), any(b2)),
                    x -> Linalg.matmul(x.get(0), x.get(1).reshape(1, b2[0], b2[1]).expand(T, b2[0], b2[1]), false, tb)));
        }
        // -- linear (a dense layer, fused): rows of x·W + b far from 0 (|x·W| < 0.4, |b| ≥ 0.5), so ReLU's kink is never crossed
        t.add(c("linear", "relu", List.of(range(-0.3f, 0.3f, 3, 4), range(-0.3f, 0.3f, 4, 5), nonzero(5)),
                x -> Linalg.linear(x.get(0), x.get(1), x.get(2), true)));
        t.add(c("linear", "[2,3,4] no bias, no activation", List.of(any(2, 3, 4), any(4, 2)), x -> Linalg.linear(x.get(0), x.get(1), null, false)));
        // -- indexing
        t.add(c("gather_rows", "dup ids", List.of(any(5, 3)), x -> Indexing.gatherRows(x.get(0), GATHER_IDS)));
        t.add(c("scatter_add_rows", "dup ids", List.of(any(6, 3)), x -> Indexing.scatterAddRows(x.get(0), GATHER_IDS, 5)));
        t.add(c("segment_mean", "empty segment", List.of(any(7, 3)), x -> Indexing.segmentMean(x.get(0), OFFSETS)));
        t.add(c("bag_mean", "dup ids, empty bag", List.of(any(5, 3)), x -> Indexing.bagMean(x.get(0), BAG_IDS, OFFSETS)));
        t.add(c("segment_expand_mean", "empty segment", List.of(any(4, 3)), x -> Indexing.segmentExpandMean(x.get(0), OFFSETS, 7)));
        // -- composites (their derivatives come from the primitives' rules)
        t.add(c("mse", "[6,1]", List.of(any(6, 1), any(6, 1)), x -> Functional.mse(x.get(0), x.get(1))));
        t.add(c("mse", "[2,3]", List.of(any(2, 3), any(2, 3)), x -> Functional.mse(x.get(0), x.get(1))));
        t.add(c("bce_with_logits", "[6,1], soft targets", List.of(range(-3, 3, 6, 1), range(0, 1, 6, 1)),
                x -> Functional.bceWithLogits(x.get(0), x.get(1))));
        t.add(c("log_sum_exp", "axis 1", List.of(any(3, 4)), x -> Functional.logSumExp(x.get(0), 1)));
        t.add(c("log_sum_exp", "axis 0", List.of(any(3, 4)), x -> Functional.logSumExp(x.get(0), 0)));
        t.add(c("softmax", "axis 1", List.of(any(3, 4)), x -> Functional.softmax(x.get(0), 1)));
        t.add(c("log_softmax", "axis 0", List.of(any(3, 4)), x -> Functional.logSoftmax(x.get(0), 0)));
        t.add(c("log_softmax", "[2,3,4] axis -1", List.of(any(2, 3, 4)), x -> Functional.logSoftmax(x.get(0), -1)));
        // A = MᵀM + 2I is symmetric positive definite for any M; A and b both differentiated
        t.add(c("solve_spd", "[3,3] with [3,2]", List.of(any(3, 3), any(3, 2)),
                x -> Functional.solveSpd(Linalg.matmul(x.get(0), x.get(0), true, false).add(Tensor.eye(x.get(0).backend(), 3).mul(2f)), x.get(1))));
        t.add(c("solve_spd", "batched [2,4,4] with [2,4,1]", List.of(any(2, 4, 4), any(2, 4, 1)),
                x -> Functional.solveSpd(Linalg.matmul(x.get(0), x.get(0), true, false).add(Tensor.eye(x.get(0).backend(), 4).mul(3f)), x.get(1))));
        t.add(c("softmax_cross_entropy", "[4,5]", List.of(any(4, 5)), x -> Functional.softmaxCrossEntropy(x.get(0), CE_TARGETS)));
        return t;
    }

    // ---- coverage ---------------------------------------------------------------------------------

    @Test
    void everyRegisteredOpHasACheck() {
        List<String> names = OpRegistry.names();
        assertEquals(names.size(), new HashSet<>(names).size(), "duplicate op names in the registry: " + names);
        Set<String> covered = new LinkedHashSet<>();
        for (Case c : cases()) covered.add(c.op);
        Set<String> missing = new LinkedHashSet<>(names);
        missing.removeAll(covered);
        Set<String> unknown = new LinkedHashSet<>(covered);
        unknown.removeAll(names);
        assertTrue(missing.isEmpty(), "ops without a gradient check (add a row to cases()): " + missing);
        assertTrue(unknown.isEmpty(), "checks for ops that are not registered: " + unknown);
        assertEquals(50, names.size(), "the op count changed: update this number together with the table");
    }

    /** At a tie, where central differences are meaningless, max splits the gradient evenly (as torch.amax). */
    @Test
    void maxSplitsTheGradientBetweenTies() {
        Backend be = new ScalarBackend();
        Tensor x = Tensor.of(be, new float[] {1, 3, 3, 0, 2, 2, 2, -1}, 2, 4).requiringGrad();
        Tensor m = Reductions.max(x, 1, false);
        assertEquals(List.of(3f, 2f), List.of(m.toArray()[0], m.toArray()[1]));
        float[] g = Autograd.grad(Reductions.sum(m), List.of(x), false).get(0).toArray();
        float third = 1f / 3;
        assertTrue(Arrays.equals(new float[] {0, 0.5f, 0.5f, 0, third, third, third, 0}, g), Arrays.toString(g));
    }

    // ---- the checks -------------------------------------------------------------------------------

    @TestFactory
    List<DynamicNode> gradientChecks() {
        List<DynamicNode> out = new ArrayList<>();
        for (Backend be : List.of(new ScalarBackend(), new VectorBackend())) {
            List<DynamicNode> tests = new ArrayList<>();
            long seed = 1;
            for (Case c : cases()) {
                long s = seed++;
                tests.add(DynamicTest.dynamicTest(c.toString(), () -> check(be, c, s)));
            }
            out.add(DynamicContainer.dynamicContainer(be.name(), tests));
        }
        return out;
    }

    /** The draw of one case: inputs, objective weights and a direction v. */
    static final class Draw {
        final List<float[]> x = new ArrayList<>();
        float[] w, u;
        final List<float[]> v = new ArrayList<>();
    }

    static void check(Backend be, Case c, long seed) {
        SplittableRandom r = new SplittableRandom(seed * 7919);
        Draw d = new Draw();
        for (In in : c.inputs) d.x.add(sample(in, r));
        float[] y0 = forward(be, c, d.x, false).toArray();
        d.w = new float[y0.length];
        d.u = new float[y0.length];
        for (int i = 0; i < y0.length; i++) {
            d.w[i] = (float) r.nextDouble(-1, 1);
            d.u[i] = (float) r.nextDouble(-1, 1);
        }
        for (In in : c.inputs) {
            float[] v = new float[in.size()];
            for (int i = 0; i < v.length; i++) v[i] = in.differentiable ? (float) r.nextDouble(-1, 1) : 0f;
            d.v.add(v);
        }

        // The case must really exercise its op (a composite: at least record a graph).
        Tensor yg = forward(be, c, d.x, true);
        boolean constantOp = OpRegistry.primitives().stream().anyMatch(o -> o.name.equals(c.op) && !o.differentiable);
        if (constantOp) {
            assertFalse(yg.requiresGrad(), c + ": a constant op must record no graph");
            assertNull(yg.node(), c + ": a constant op must record no node");
        } else if (!Functional.COMPOSITES.contains(c.op)) {
            assertTrue(opsIn(yg).contains(c.op), c + ": the graph of this case does not contain " + c.op + " but " + opsIn(yg));
        }

        // First order.
        List<Tensor> vars = variables(be, c, d.x);
        List<Tensor> g = Autograd.grad(objective(yg(be, c, vars), d, be), diff(c, vars), false);
        int gi = 0;
        for (int k = 0; k < c.inputs.size(); k++) {
            if (!c.inputs.get(k).differentiable) continue;
            float[] analytic = g.get(gi++).toArray();
            double[] numeric = new double[analytic.length];
            for (int j = 0; j < analytic.length; j++) {
                double d1 = quotient(be, c, d, k, j, H), d2 = quotient(be, c, d, k, j, 2 * H);
                numeric[j] = (4 * d1 - d2) / 3; // Richardson: cancels the h² term
            }
            if (constantOp) {
                for (int j = 0; j < analytic.length; j++) {
                    assertEquals(0f, analytic[j], c + ": gradient of a constant op must be zero");
                    assertEquals(0.0, numeric[j], 0.0, c + ": input " + k + " is not away from a discontinuity");
                }
            }
            compare(c + ": first-order gradient of input " + k, analytic, numeric);
        }

        // Second order: H·v from grad-of-grad vs central differences of the analytic gradient along v.
        vars = variables(be, c, d.x);
        List<Tensor> dv = diff(c, vars);
        List<Tensor> g1 = Autograd.grad(objective(yg(be, c, vars), d, be), dv, true);
        Tensor gv = null;
        int vi = 0;
        for (int k = 0; k < c.inputs.size(); k++) {
            if (!c.inputs.get(k).differentiable) continue;
            Tensor gk = g1.get(vi++);
            Tensor term = Reductions.sum(Elementwise.mul(gk, Tensor.of(be, d.v.get(k), c.inputs.get(k).shape)));
            gv = gv == null ? term : Elementwise.add(gv, term);
        }
        List<Tensor> hv = Autograd.grad(gv, dv, false);
        List<float[]> gp1 = gradAlong(be, c, d, H), gm1 = gradAlong(be, c, d, -H);
        List<float[]> gp2 = gradAlong(be, c, d, 2 * H), gm2 = gradAlong(be, c, d, -2 * H);
        for (int i = 0; i < hv.size(); i++) {
            float[] analytic = hv.get(i).toArray();
            double[] numeric = new double[analytic.length];
            for (int j = 0; j < analytic.length; j++) {
                double d1 = ((double) gp1.get(i)[j] - gm1.get(i)[j]) / (2 * H);
                double d2 = ((double) gp2.get(i)[j] - gm2.get(i)[j]) / (4 * H);
                numeric[j] = (4 * d1 - d2) / 3;
            }
            compare(c + ": Hessian-vector product, differentiable input " + i, analytic, numeric);
        }
    }

    /** Max error over the elements, relative to max(1, ‖numeric‖∞). */
    static void compare(String what, float[] analytic, double[] numeric) {
        double err = 0, scale = 1;
        int worst = -1;
        for (int j = 0; j < analytic.length; j++) {
            double e = Math.abs(analytic[j] - numeric[j]);
            if (!(e <= err)) {
                err = e;
                worst = j;
            }
            scale = Math.max(scale, Math.abs(numeric[j]));
        }
        if (REPORT) System.out.printf(Locale.ROOT, "gradcheck %-70s error/scale %.2e%n", what, err / scale);
        if (!(err <= TOL * scale))
            fail(String.format(Locale.ROOT, "%s: error %.3g > %.1g × %.3g at element %d (analytic %s, numeric %.6g)",
                    what, err, TOL, scale, worst, worst < 0 ? "?" : analytic[worst], worst < 0 ? Double.NaN : numeric[worst]));
    }

    // ---- plumbing ---------------------------------------------------------------------------------

    static float[] sample(In in, SplittableRandom r) {
        return in.filler.fill(in.size(), r);
    }

    /** Every input as a tensor: differentiable ones as leaf variables when {@code grad}. */
    static List<Tensor> tensors(Backend be, Case c, List<float[]> x, boolean grad) {
        List<Tensor> ts = new ArrayList<>();
        for (int k = 0; k < c.inputs.size(); k++) {
            Tensor t = Tensor.of(be, x.get(k), c.inputs.get(k).shape);
            ts.add(grad && c.inputs.get(k).differentiable ? t.requiringGrad() : t);
        }
        return ts;
    }

    static List<Tensor> variables(Backend be, Case c, List<float[]> x) {
        return tensors(be, c, x, true);
    }

    static List<Tensor> diff(Case c, List<Tensor> vars) {
        List<Tensor> out = new ArrayList<>();
        for (int k = 0; k < vars.size(); k++) if (c.inputs.get(k).differentiable) out.add(vars.get(k));
        return out;
    }

    static Tensor yg(Backend be, Case c, List<Tensor> vars) {
        return c.f.apply(vars);
    }

    static Tensor forward(Backend be, Case c, List<float[]> x, boolean grad) {
        if (grad) return c.f.apply(tensors(be, c, x, true));
        try (var off = GradMode.disabled()) {
            return c.f.apply(tensors(be, c, x, false));
        }
    }

    /** L = Σ w·y + ½ Σ u·y², in engine ops (for the analytic derivatives). */
    static Tensor objective(Tensor y, Draw d, Backend be) {
        Tensor w = Tensor.of(be, d.w, y.shape()), u = Tensor.of(be, d.u, y.shape());
        Tensor lin = Reductions.sum(Elementwise.mul(w, y));
        Tensor quad = Reductions.sum(Elementwise.mul(u, Elementwise.square(y)));
        return Elementwise.add(lin, Elementwise.affine(quad, 0.5f, 0f));
    }

    /** The same L on the host, in double, from the float32 forward values. */
    static double objectiveHost(float[] y, Draw d) {
        double s = 0;
        for (int i = 0; i < y.length; i++) s += d.w[i] * (double) y[i] + 0.5 * d.u[i] * (double) y[i] * y[i];
        return s;
    }

    /** (L(x + h e_j) − L(x − h e_j)) / (actual step) for element j of input k. */
    static double quotient(Backend be, Case c, Draw d, int k, int j, double h) {
        float x0 = d.x.get(k)[j];
        float xp = (float) (x0 + h), xm = (float) (x0 - h);
        List<float[]> x = new ArrayList<>(d.x);
        float[] moved = x.get(k).clone();
        x.set(k, moved);
        moved[j] = xp;
        double lp = objectiveHost(forward(be, c, x, false).toArray(), d);
        moved[j] = xm;
        double lm = objectiveHost(forward(be, c, x, false).toArray(), d);
        return (lp - lm) / ((double) xp - (double) xm);
    }

    /** The analytic gradient (first order, float32) at x + t·v. */
    static List<float[]> gradAlong(Backend be, Case c, Draw d, double t) {
        List<float[]> x = new ArrayList<>();
        for (int k = 0; k < d.x.size(); k++) {
            float[] moved = d.x.get(k).clone();
            if (c.inputs.get(k).differentiable) for (int j = 0; j < moved.length; j++) moved[j] = (float) (moved[j] + t * d.v.get(k)[j]);
            x.add(moved);
        }
        List<Tensor> vars = variables(be, c, x);
        List<Tensor> g = Autograd.grad(objective(yg(be, c, vars), d, be), diff(c, vars), false);
        List<float[]> out = new ArrayList<>();
        for (Tensor t1 : g) out.add(t1.toArray());
        return out;
    }

    /** Names of the ops recorded in the graph that produced y. */
    static Set<String> opsIn(Tensor y) {
        Set<String> names = new LinkedHashSet<>();
        List<Node> todo = new ArrayList<>();
        Set<Node> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        if (y.node() != null) todo.add(y.node());
        while (!todo.isEmpty()) {
            Node n = todo.remove(todo.size() - 1);
            if (!seen.add(n)) continue;
            names.add(n.op.name);
            for (int i = 0; i < n.arity(); i++) if (n.input(i).node() != null) todo.add(n.input(i).node());
        }
        return names;
    }
}
