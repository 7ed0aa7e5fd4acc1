package io.metarec.nn;

import io.metarec.autograd.Autograd;
import io.metarec.autograd.Functional;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Backend;
import io.metarec.backend.Backends;
import io.metarec.backend.Indices;
import io.metarec.backend.cpu.ScalarBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Linear, Embedding, EmbeddingBag, Mlp and losses on tiny hand-computed cases; Init statistics and seeding. */
class NnTest {
    static final Backend BE = new ScalarBackend();
    private Backend saved;

    @BeforeEach
    void useScalar() {
        saved = Backends.current();
        Backends.use(BE);
    }

    @AfterEach
    void restore() {
        Backends.use(saved);
    }

    static Tensor t(float[] v, int... shape) {
        return Tensor.of(BE, v, shape);
    }

    // ---- modules ----------------------------------------------------------------------------------

    @Test
    void linearComputesXWPlusB() {
        Linear l = new Linear("l", 3, 2);
        Params p = Params.empty().with("l.weight", t(new float[] {1, 2, 3, 4, 5, 6}, 3, 2)).with("l.bias", t(new float[] {0.5f, -1}, 2));
        Tensor x = t(new float[] {1, 0, -1, 2, 1, 0}, 2, 3);
        // row 0: [1−5, 2−6] + b = [−3.5, −5]; row 1: [2+3, 4+4] + b = [5.5, 7]
        assertArrayEquals(new float[] {-3.5f, -5f, 5.5f, 7f}, l.forward(p, x).toArray());
        // batched [T, rows, in] with shared weights
        Tensor xb = t(new float[] {1, 0, -1, 2, 1, 0, 0, 0, 1, 1, 1, 1}, 2, 2, 3);
        Tensor yb = l.forward(p, xb);
        assertArrayEquals(new int[] {2, 2, 2}, yb.shape());
        assertArrayEquals(new float[] {-3.5f, -5f, 5.5f, 7f, 5.5f, 5f, 9.5f, 11f}, yb.toArray());
        // without bias
        Linear nb = new Linear("nb", 3, 2, false, Init.XAVIER_UNIFORM);
        Params pn = nb.init(3);
        assertEquals(List.of("nb.weight"), pn.names());
        assertArrayEquals(new int[] {2, 2}, nb.forward(pn, x).shape());
    }

    /**
     * Rows whose inputs split into varying ones and ones the same on every row, the inputs of each
     * kind scattered (not one run): the MLP with the constant share computed once gives the full
     * rows' output up to rounding, for every activation and without a bias; a wrong split is refused.
     */
    @Test
    void constantInputsAreComputedOnceWithTheFullRowsResult() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        int rows = 7, in = 9;
        int[] varying = {0, 1, 4, 6, 7}, constant = {2, 3, 5, 8};
        float[] row = new float[constant.length];
        for (int i = 0; i < row.length; i++) row[i] = (float) r.nextGaussian();
        float[] v = new float[rows * varying.length], full = new float[rows * in];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < varying.length; j++) full[i * in + varying[j]] = v[i * varying.length + j] = (float) r.nextGaussian();
            for (int j = 0; j < constant.length; j++) full[i * in + constant[j]] = row[j];
        }
        for (Activation act : Activation.values()) {
            Mlp mlp = new Mlp("m", new int[] {in, 5, 3}, act);
            Params p = mlp.init(11).with("m.fc1.bias", t(new float[] {0.3f, -0.2f, 0.1f, 0.5f, -0.4f}, 5));
            float[] expected = mlp.forward(p, t(full, rows, in)).toArray();
            float[] split = mlp.forwardWithConstantInputs(p, t(v, rows, varying.length), varying, t(row, 1, constant.length), constant).toArray();
            assertArrayEquals(expected, split, 1e-5f, act.name());
            float largest = 0;
            for (float x : expected) largest = Math.max(largest, Math.abs(x));
            assertTrue(largest > 1e-3, "a case that tests something");
        }
        Linear nb = new Linear("nb", in, 3, false, Init.XAVIER_UNIFORM);
        Params pn = nb.init(2);
        assertArrayEquals(nb.forward(pn, t(full, rows, in), Activation.TANH).toArray(),
                nb.forwardWithConstantInputs(pn, t(v, rows, varying.length), varying, t(row, 1, constant.length), constant, Activation.TANH).toArray(), 1e-5f);
        Linear l = new Linear("l", in, 2);
        Params p = l.init(1);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> l.forwardWithConstantInputs(p, t(v, rows, varying.length), varying, t(new float[] {1}, 1, 1), new int[] {2}, Activation.RELU));
    }

    @Test
    void linearInitShapesAndNames() {
        Params p = new Linear("enc", 5, 7).init(1);
        assertEquals(List.of("enc.weight", "enc.bias"), p.names());
        assertArrayEquals(new int[] {5, 7}, p.get("enc.weight").shape());
        assertArrayEquals(new float[7], p.get("enc.bias").toArray(), "biases start at zero");
    }

    @Test
    void embeddingLooksUpRows() {
        Embedding e = new Embedding("user", 4, 2);
        Params p = Params.empty().with("user.weight", t(new float[] {0, 1, 10, 11, 20, 21, 30, 31}, 4, 2));
        assertArrayEquals(new float[] {30, 31, 0, 1, 30, 31}, e.forward(p, Indices.of(3, 0, 3)).toArray());
        assertArrayEquals(new int[] {4, 2}, e.init(5).get("user.weight").shape());
    }

    @Test
    void embeddingBagAveragesEachBagAndGivesZerosForAnEmptyOne() {
        EmbeddingBag bag = new EmbeddingBag("genre", 4, 2);
        Tensor table = t(new float[] {0, 1, 10, 11, 20, 21, 30, 31}, 4, 2).requiringGrad();
        Params p = Params.empty().with("genre.weight", table);
        // bags: {1, 2}, {}, {0}, {3, 3, 0}
        Tensor out = bag.forward(p, Indices.of(1, 2, 0, 3, 3, 0), Indices.of(0, 2, 2, 3, 6));
        assertArrayEquals(new float[] {15, 16, 0, 0, 0, 1, 20, 21}, out.toArray());
        // d Σ out / d table: 1/|bag| per occurrence; row 3 appears twice in a bag of 3
        float[] g = Autograd.grad(out.sum(), List.of(table), false).get(0).toArray();
        float third = 1f / 3;
        assertArrayEquals(new float[] {1 + third, 1 + third, 0.5f, 0.5f, 0.5f, 0.5f, 2 * third, 2 * third}, g, 1e-6f);
    }

    @Test
    void mlpOnAHandComputedCase() {
        Mlp mlp = new Mlp("mlp", new int[] {2, 3, 1}, Activation.RELU);
        Params p = Params.of(List.of("mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias"), List.of(
                t(new float[] {1, -1, 0.5f, 2, 0, -1}, 2, 3), t(new float[] {0, 0.5f, 0.1f}, 3),
                t(new float[] {1, 2, -1}, 3, 1), t(new float[] {0.25f}, 1)));
        // x = [1, 1]:    h = [3, −0.5, −0.4] → relu [3, 0, 0]    → 3 + 0.25 = 3.25
        // x = [0.5, −1]: h = [−1.5, 0, 1.35] → relu [0, 0, 1.35] → −1.35 + 0.25 = −1.1
        Tensor y = mlp.forward(p, t(new float[] {1, 1, 0.5f, -1}, 2, 2));
        assertArrayEquals(new int[] {2, 1}, y.shape());
        assertArrayEquals(new float[] {3.25f, -1.1f}, y.toArray(), 1e-6f);
        // sigmoid output head: σ(3.25), σ(−1.1)
        Mlp head = new Mlp("mlp", new int[] {2, 3, 1}, Activation.RELU, Activation.SIGMOID);
        assertArrayEquals(new float[] {(float) (1 / (1 + Math.exp(-3.25))), (float) (1 / (1 + Math.exp(1.1)))},
                head.forward(p, t(new float[] {1, 1, 0.5f, -1}, 2, 2)).toArray(), 1e-6f);
    }

    @Test
    void mlpInitNamesShapesAndInitialisers() {
        Mlp mlp = new Mlp("net", new int[] {4, 8, 6, 1}, Activation.TANH);
        Params p = mlp.init(9);
        assertEquals(List.of("net.fc1.weight", "net.fc1.bias", "net.fc2.weight", "net.fc2.bias", "net.fc3.weight", "net.fc3.bias"), p.names());
        assertArrayEquals(new int[] {8, 6}, p.get("net.fc2.weight").shape());
        assertEquals(4 * 8 + 8 + 8 * 6 + 6 + 6 + 1, p.count());
        assertEquals(Init.XAVIER_NORMAL, mlp.layers().get(0).weightInit(), "tanh layers use Xavier");
        assertEquals(Init.HE_NORMAL, new Mlp("r", new int[] {4, 8, 1}, Activation.RELU).layers().get(0).weightInit(), "relu layers use He");
    }

    @Test
    void losses() {
        assertEquals(2.5f, Functional.mse(t(new float[] {1, 2}, 2), t(new float[] {0, 0}, 2)).item(), 1e-7f);
        // bce: mean(softplus(x) − x·t) = (ln 2 + softplus(2)) / 2 for logits [0, 2], targets [1, 0]
        double bce = (Math.log(2) + Math.log1p(Math.exp(2))) / 2;
        assertEquals(bce, Functional.bceWithLogits(t(new float[] {0, 2}, 2), t(new float[] {1, 0}, 2)).item(), 1e-6);
        assertEquals(100f, Functional.bceWithLogits(t(new float[] {100}, 1), t(new float[] {0}, 1)).item(), 1e-4f, "no overflow at large logits");
        // cross-entropy: −log softmax([1, 2, 3])[2] = log(1 + e⁻¹ + e⁻²)
        assertEquals(Math.log(1 + Math.exp(-1) + Math.exp(-2)), Functional.softmaxCrossEntropy(t(new float[] {1, 2, 3}, 1, 3), Indices.of(2)).item(), 1e-6);
        float ce = Functional.softmaxCrossEntropy(t(new float[] {1000, 0}, 1, 2), Indices.of(1)).item();
        assertEquals(1000f, ce, 1e-3f, "stable at large logits");
        float[] sm = Functional.softmax(t(new float[] {1, 2, 3, 1000, 0, -1000}, 2, 3), 1).toArray();
        assertEquals(1f, sm[0] + sm[1] + sm[2], 1e-6f);
        assertEquals(1f, sm[3], 0f);
        assertTrue(Float.isFinite(sm[5]));
    }

    // ---- Init ---------------------------------------------------------------------------------------

    static double[] meanStd(float[] v) {
        double s = 0, q = 0;
        for (float x : v) {
            s += x;
            q += (double) x * x;
        }
        double m = s / v.length;
        return new double[] {m, Math.sqrt(q / v.length - m * m)};
    }

    @Test
    void initStatistics() {
        int in = 256, out = 512, n = in * out;
        double tolStd = 0.01; // relative: the sample std of 131,072 draws has a relative sd of ~0.2%
        Object[][] cases = {
                {Init.HE_NORMAL, Math.sqrt(2.0 / in), Double.NaN},
                {Init.XAVIER_NORMAL, Math.sqrt(2.0 / (in + out)), Double.NaN},
                {Init.STANDARD_NORMAL, 1.0, Double.NaN},
                {Init.HE_UNIFORM, Math.sqrt(6.0 / in) / Math.sqrt(3), Math.sqrt(6.0 / in)},
                {Init.XAVIER_UNIFORM, Math.sqrt(6.0 / (in + out)) / Math.sqrt(3), Math.sqrt(6.0 / (in + out))},
                {Init.TORCH_DEFAULT, 1 / Math.sqrt(in) / Math.sqrt(3), 1 / Math.sqrt(in)}};
        for (Object[] c : cases) {
            Init init = (Init) c[0];
            double std = (double) c[1], bound = (double) c[2];
            float[] w = init.draw(42, "layer.weight", in, in, out).toArray();
            assertEquals(n, w.length);
            double[] ms = meanStd(w);
            assertEquals(0, ms[0], 5 * std / Math.sqrt(n), init + " mean");
            assertEquals(std, ms[1], tolStd * std, init + " std");
            if (!Double.isNaN(bound)) {
                float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
                for (float x : w) {
                    lo = Math.min(lo, x);
                    hi = Math.max(hi, x);
                }
                assertTrue(lo >= -bound && hi <= bound, init + ": values within ±" + bound + ", got " + lo + " … " + hi);
                assertTrue(hi > 0.99 * bound && lo < -0.99 * bound, init + ": the whole range is used");
            }
        }
        assertArrayEquals(new float[6], Init.ZEROS.draw(1, "b", 3, 2, 3).toArray());
    }

    @Test
    void initIsSeededPerName() {
        float[] a = Init.HE_NORMAL.draw(7, "mlp.fc1.weight", 64, 64, 32).toArray();
        float[] again = Init.HE_NORMAL.draw(7, "mlp.fc1.weight", 64, 64, 32).toArray();
        float[] otherName = Init.HE_NORMAL.draw(7, "mlp.fc2.weight", 64, 64, 32).toArray();
        float[] otherSeed = Init.HE_NORMAL.draw(8, "mlp.fc1.weight", 64, 64, 32).toArray();
        assertArrayEquals(a, again, "same seed and name: same bits");
        assertTrue(correlation(a, otherName) < 0.05, "another name draws independent numbers");
        assertTrue(correlation(a, otherSeed) < 0.05, "another seed draws independent numbers");
        assertNotEquals(Init.stream("a.b"), Init.stream("a.c"));
        // the same on both CPU backends, and across Mlp instances
        Backends.use(new io.metarec.backend.cpu.VectorBackend());
        assertArrayEquals(a, Init.HE_NORMAL.draw(7, "mlp.fc1.weight", 64, 64, 32).toArray());
        Mlp m = new Mlp("mlp", new int[] {3, 4, 1}, Activation.RELU);
        assertArrayEquals(m.init(5).get("mlp.fc1.weight").toArray(), m.init(5).get("mlp.fc1.weight").toArray());
        assertFalse(java.util.Arrays.equals(m.init(5).get("mlp.fc1.weight").toArray(), m.init(6).get("mlp.fc1.weight").toArray()));
    }

    static double correlation(float[] a, float[] b) {
        double[] ma = meanStd(a), mb = meanStd(b);
        double c = 0;
        for (int i = 0; i < a.length; i++) c += (a[i] - ma[0]) * (b[i] - mb[0]);
        return Math.abs(c / a.length / (ma[1] * mb[1]));
    }

    // ---- Params ---------------------------------------------------------------------------------------

    @Test
    void paramsAreImmutableAndOrdered() {
        Params p = Params.empty().with("a.x", t(new float[] {1}, 1)).with("b.y", t(new float[] {2}, 1)).with("a.z", t(new float[] {3}, 1));
        Params q = p.with("a.x", t(new float[] {9}, 1));
        assertEquals(1f, p.get("a.x").item(), "with() returns a copy");
        assertEquals(9f, q.get("a.x").item());
        assertEquals(List.of("a.x", "b.y", "a.z"), q.names(), "replacing keeps the position");
        assertEquals(List.of("a.x", "a.z"), p.select(List.of("a")).names());
        assertTrue(Params.inGroup("a.x", "a") && !Params.inGroup("ab.x", "a"));
        Params v = p.requiringGrad();
        assertTrue(v.get("b.y").requiresGrad() && !p.get("b.y").requiresGrad());
        assertFalse(v.detach().get("b.y").requiresGrad());
        org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class, () -> p.asMap().put("c", t(new float[] {0}, 1)));
    }
}
