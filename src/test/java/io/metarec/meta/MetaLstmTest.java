package io.metarec.meta;

import io.metarec.autograd.Tensor;
import io.metarec.backend.Distribution;
import io.metarec.nn.Activation;
import io.metarec.nn.Init;
import io.metarec.nn.Params;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Meta-LSTM's equations, checked against a hand computation in double precision. */
class MetaLstmTest {

    @Test
    void preprocessingFollowsAndrychowiczEtAl() {
        float tiny = 1e-6f; // below e^−10 ≈ 4.54e-5
        float[] x = {1f, (float) -Math.exp(-5), tiny, 0f, -20f};
        float[] out = MetaLstm.preprocess(Tensor.of(x, 5, 1)).toArray();
        double[][] expected = {{0, 1}, {-0.5, -1}, {-1, Math.exp(10) * tiny}, {-1, 0}, {Math.log(20) / 10, -1}};
        for (int i = 0; i < x.length; i++) {
            assertEquals(expected[i][0], out[2 * i], 1e-6, "magnitude of " + x[i]);
            assertEquals(expected[i][1], out[2 * i + 1], 1e-5, "direction of " + x[i]);
        }
    }

    @Test
    void initialisationMatchesThePaper() {
        MetaLstm<Batch> l = new MetaLstm<>(Fixtures.smallMlp(), LearnerConfig.defaults().withSeed(3));
        Params p = l.metaParams();
        for (float b : p.get(MetaLstm.BF).toArray()) assertTrue(b >= 4 && b < 5, "forget bias " + b);
        for (float b : p.get(MetaLstm.BI).toArray()) assertTrue(b >= -5 && b < -4, "input bias " + b);
        assertEquals(List.of(4 + 20, 80), List.of(p.get(MetaLstm.LSTM_W).dim(0), p.get(MetaLstm.LSTM_W).dim(1)));
        // seeded: the same seed draws the same optimizer
        MetaLstm<Batch> again = new MetaLstm<>(Fixtures.smallMlp(), LearnerConfig.defaults().withSeed(3));
        for (String n : p.names()) org.junit.jupiter.api.Assertions.assertArrayEquals(p.get(n).toArray(), again.metaParams().get(n).toArray(), n);
        assertThrows(IllegalArgumentException.class, () -> new MetaLstm<>(Fixtures.smallMlp(), LearnerConfig.defaults(), 0, null));
    }

    static double sigmoid(double x) { return 1 / (1 + Math.exp(-x)); }

    static double[] pre(double x) {
        return Math.abs(x) >= Math.exp(-10) ? new double[] {Math.log(Math.abs(x)) / 10, Math.signum(x)} : new double[] {-1, Math.exp(10) * x};
    }

    @Test
    void twoStepsMatchTheEquationsComputedByHand() {
        // y = w·x + b: two coordinates, θ = (w, b)
        MlpRegression model = new MlpRegression(new int[] {1, 1}, Activation.IDENTITY, LossKind.MSE, Init.TORCH_DEFAULT);
        MetaLstm<Batch> l = new MetaLstm<>(model, LearnerConfig.defaults().withSeed(5).withOrder(Order.FIRST_ORDER));
        float[] xs = {-1.5f, 0.5f, 2f}, ys = {1f, -0.3f, 2.5f};
        Batch support = new Batch(Tensor.of(xs, 3, 1), Tensor.of(ys, 3, 1));
        // The paper's cell starts almost blind to layer 1 (weights ±0.01, gates near 0 or 1); make every
        // path matter so that a swapped gate or input shows up.
        Params p = l.metaParams()
                .with(MetaLstm.WI, Init.sample(Distribution.NORMAL, 1, "wi", 0f, 0.7f, 22, 1))
                .with(MetaLstm.WF, Init.sample(Distribution.NORMAL, 1, "wf", 0f, 0.7f, 22, 1))
                .with(MetaLstm.BI, Tensor.of(new float[] {-1f}, 1)).with(MetaLstm.BF, Tensor.of(new float[] {1f}, 1));
        l.load(p);
        float[] w = p.get(MetaLstm.LSTM_W).toArray(), bias = p.get(MetaLstm.LSTM_B).toArray();
        float[] wi = p.get(MetaLstm.WI).toArray(), wf = p.get(MetaLstm.WF).toArray();
        double bi = p.get(MetaLstm.BI).item(), bf = p.get(MetaLstm.BF).item();
        int H = MetaLstm.HIDDEN;
        double[] theta = {p.get("mlp.fc1.weight").item(), p.get("mlp.fc1.bias").item()};
        double[][] h = new double[2][H], c = new double[2][H];
        double[] iPrev = new double[2], fPrev = new double[2];
        for (int step = 0; step < 2; step++) {
            double loss = 0, gw = 0, gb = 0;
            for (int n = 0; n < 3; n++) {
                double r = theta[0] * xs[n] + theta[1] - ys[n];
                loss += r * r / 3;
                gw += 2 * r * xs[n] / 3;
                gb += 2 * r / 3;
            }
            double[] grad = {gw, gb};
            double[] next = new double[2];
            for (int j = 0; j < 2; j++) {
                double[] in = new double[4 + H];
                double[] pg = pre(grad[j]), pl = pre(loss);
                in[0] = pg[0]; in[1] = pg[1]; in[2] = pl[0]; in[3] = pl[1];
                System.arraycopy(h[j], 0, in, 4, H);
                double[] z = new double[4 * H];
                for (int o = 0; o < 4 * H; o++) {
                    z[o] = bias[o];
                    for (int q = 0; q < in.length; q++) z[o] += in[q] * w[q * 4 * H + o];
                }
                for (int u = 0; u < H; u++) { // gates in the order i, f, g, o
                    c[j][u] = sigmoid(z[H + u]) * c[j][u] + sigmoid(z[u]) * Math.tanh(z[2 * H + u]);
                    h[j][u] = sigmoid(z[3 * H + u]) * Math.tanh(c[j][u]);
                }
                double fa = bf, ia = bi;
                for (int u = 0; u < H; u++) {
                    fa += h[j][u] * wf[u];
                    ia += h[j][u] * wi[u];
                }
                fa += theta[j] * wf[H] + fPrev[j] * wf[H + 1];
                ia += theta[j] * wi[H] + iPrev[j] * wi[H + 1];
                fPrev[j] = sigmoid(fa);
                iPrev[j] = sigmoid(ia);
                next[j] = fPrev[j] * theta[j] - iPrev[j] * grad[j];
            }
            theta = next;
        }
        Params adapted = l.adaptTo(support, 2);
        assertEquals(theta[0], adapted.get("mlp.fc1.weight").item(), 1e-5);
        assertEquals(theta[1], adapted.get("mlp.fc1.bias").item(), 1e-5);
    }
}
