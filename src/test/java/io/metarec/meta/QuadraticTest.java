package io.metarec.meta;

import io.metarec.autograd.Tensor;
import io.metarec.nn.Init;
import io.metarec.nn.Params;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Learners on a model whose loss is a quadratic, so their updates are known in closed form: a
 * linear regressor y = x·w with mean squared error, L(w) = ½wᵀAw − bᵀw + c with A = (2/N)XᵀX and
 * b = (2/N)Xᵀy, ∇L(w) = Aw − b.
 */
class QuadraticTest {
    static final int D = 3, N = 6;

    /** y = x·w, w [D, 1] called "lin.w" (a stacked head takes per-task weights [T, D, 1]). */
    static final class Linear implements MetaModel<Batch> {
        @Override public Params init(long seed) {
            return Params.empty().with("lin.w", Init.STANDARD_NORMAL.draw(seed, "lin.w", D, D, 1));
        }

        @Override public List<String> embeddingGroups() { return List.of(); }

        @Override public Batch embed(Params params, Batch data) { return data; }

        @Override public int examples(Batch data) { return data.rows(); }

        @Override public Tensor head(Params params, Tensor features) { return features.matmul(params.get("lin.w")); }

        @Override public LossKind loss() { return LossKind.MSE; }
    }

    static List<Task<Batch>> tasks(int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Task<Batch>> out = new ArrayList<>();
        for (int t = 0; t < count; t++) out.add(new Task<>(batch(r), batch(r)));
        return out;
    }

    static Batch batch(SplittableRandom r) {
        float[] x = new float[N * D], y = new float[N];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian() * 0.5f;
        for (int i = 0; i < y.length; i++) y[i] = (float) r.nextGaussian();
        return new Batch(Tensor.of(x, N, D), Tensor.of(y, N, 1));
    }

    /** A = (2/N)XᵀX and b = (2/N)Xᵀy in double. */
    record Quadratic(double[][] a, double[] b) {
        static Quadratic of(Batch set) {
            float[] x = set.features().toArray(), y = set.targets().toArray();
            double[][] a = new double[D][D];
            double[] b = new double[D];
            for (int n = 0; n < N; n++)
                for (int i = 0; i < D; i++) {
                    b[i] += 2.0 / N * x[n * D + i] * y[n];
                    for (int j = 0; j < D; j++) a[i][j] += 2.0 / N * x[n * D + i] * x[n * D + j];
                }
            return new Quadratic(a, b);
        }

        double[] grad(double[] w) {
            double[] g = new double[D];
            for (int i = 0; i < D; i++) {
                g[i] = -b[i];
                for (int j = 0; j < D; j++) g[i] += a[i][j] * w[j];
            }
            return g;
        }

        /** (I − αA)·v */
        double[] through(double alpha, double[] v) {
            double[] out = v.clone();
            for (int i = 0; i < D; i++)
                for (int j = 0; j < D; j++) out[i] -= alpha * a[i][j] * v[j];
            return out;
        }
    }

    static double[] sgd(Quadratic q, double[] w0, double alpha, int steps) {
        double[] w = w0.clone();
        for (int k = 0; k < steps; k++) {
            double[] g = q.grad(w);
            for (int i = 0; i < D; i++) w[i] -= alpha * g[i];
        }
        return w;
    }

    static double[] doubles(Tensor t) {
        float[] f = t.toArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    static void assertClose(String what, double[] expected, Tensor got, double tol) {
        float[] g = got.toArray();
        double diff = 0, ref = 0;
        for (int i = 0; i < expected.length; i++) {
            diff += (g[i] - expected[i]) * (g[i] - expected[i]);
            ref += expected[i] * expected[i];
        }
        double e = Math.sqrt(diff / Math.max(ref, 1e-30));
        assertTrue(e < tol, what + ": relative error " + e);
    }

    @ParameterizedTest
    @EnumSource(value = LearnerConfig.Execution.class, names = {"PER_TASK", "BATCHED"})
    void reptileMovesThetaTowardsTheClosedFormSgdIterates(LearnerConfig.Execution ex) {
        float alpha = 0.1f, epsilon = 0.25f;
        int k = 4;
        List<Task<Batch>> tasks = tasks(3, 1);
        Reptile<Batch> r = Reptile.withEpsilon(new Linear(), LearnerConfig.defaults().withInnerSteps(k).withInnerLr(alpha).withExecution(ex), epsilon);
        double[] theta = doubles(r.modelParams().get("lin.w"));
        double[] expected = theta.clone();
        for (Task<Batch> t : tasks) {
            double[] phi = sgd(Quadratic.of(t.support()), theta, alpha, k);
            for (int i = 0; i < D; i++) expected[i] += epsilon * (phi[i] - theta[i]) / tasks.size();
        }
        r.metaStep(tasks);
        assertClose("θ after one Reptile step", expected, r.modelParams().get("lin.w"), 1e-5);
    }

    @ParameterizedTest
    @EnumSource(value = LearnerConfig.Execution.class, names = {"PER_TASK", "BATCHED"})
    void mamlMetaGradientsMatchTheClosedForm(LearnerConfig.Execution ex) {
        float alpha = 0.2f;
        List<Task<Batch>> tasks = tasks(2, 2);
        LearnerConfig c = LearnerConfig.defaults().withInnerSteps(1).withInnerLr(alpha).withExecution(ex);
        Maml<Batch> second = new Maml<>(new Linear(), c.withOrder(Order.SECOND_ORDER));
        Maml<Batch> first = new Maml<>(new Linear(), c.withOrder(Order.FIRST_ORDER));
        double[] theta = doubles(second.modelParams().get("lin.w"));
        double[] so = new double[D], fo = new double[D];
        for (Task<Batch> t : tasks) {
            Quadratic s = Quadratic.of(t.support()), q = Quadratic.of(t.query());
            double[] adapted = sgd(s, theta, alpha, 1);        // θ′ = θ − α(A_s θ − b_s)
            double[] gq = q.grad(adapted);                      // ∇L_q(θ′)
            double[] gso = s.through(alpha, gq);                // (I − αA_s)∇L_q(θ′)
            for (int i = 0; i < D; i++) {
                so[i] += gso[i] / tasks.size();
                fo[i] += gq[i] / tasks.size();
            }
        }
        assertClose("second order", so, second.metaGradient(tasks).grads().get("lin.w"), 1e-5);
        assertClose("first order", fo, first.metaGradient(tasks).grads().get("lin.w"), 1e-5);
        double diff = 0, ref = 0;
        for (int i = 0; i < D; i++) {
            diff += (so[i] - fo[i]) * (so[i] - fo[i]);
            ref += so[i] * so[i];
        }
        assertTrue(Math.sqrt(diff / ref) > 1e-2, "the closed forms of second and first order should differ here");
    }

    @Test
    void reptileWithAdamUsesThePseudoGradientThetaMinusPhi() {
        float alpha = 0.1f;
        List<Task<Batch>> tasks = tasks(2, 3);
        Reptile<Batch> r = new Reptile<>(new Linear(), LearnerConfig.defaults().withInnerSteps(3).withInnerLr(alpha), null);
        double[] theta = doubles(r.modelParams().get("lin.w"));
        double[] pseudo = new double[D];
        for (Task<Batch> t : tasks) {
            double[] phi = sgd(Quadratic.of(t.support()), theta, alpha, 3);
            for (int i = 0; i < D; i++) pseudo[i] += (theta[i] - phi[i]) / tasks.size();
        }
        assertClose("Reptile's pseudo-gradient", pseudo, r.metaGradient(tasks).grads().get("lin.w"), 1e-5);
    }
}
