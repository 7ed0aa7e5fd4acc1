package io.metarec.autograd;

import io.metarec.backend.Backend;
import io.metarec.backend.cpu.ScalarBackend;
import io.metarec.backend.cpu.VectorBackend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The closed-form MAML test (STYLE.md). Support loss Lₛ(θ) = ½θᵀAθ − bᵀθ, query loss
 * L_q(θ) = ½θᵀCθ − dᵀθ (A, C symmetric positive definite). Inner SGD steps θₖ₊₁ = θₖ − α∇Lₛ(θₖ)
 * = (I − αA)θₖ + αb, so after k steps dθₖ/dθ = (I − αA)ᵏ and
 * <ul>
 *   <li>second-order meta-gradient = (I − αA)ᵏ ∇L_q(θₖ), with ∇L_q(θ) = Cθ − d;</li>
 *   <li>first-order meta-gradient (inner gradients treated as constants) = ∇L_q(θₖ).</li>
 * </ul>
 * Both are computed by composing Autograd.grad(…, createGraph) in a plain loop and compared with the
 * closed forms evaluated in double. With C = A, d = b this is exactly STYLE.md's (I − αA)∇L(θ').
 */
class QuadraticMamlTest {
    static final int N = 5;
    static final float ALPHA = 0.1f;

    static Stream<Object[]> configurations() {
        return Stream.of(new Object[] {new ScalarBackend(), 1, true}, new Object[] {new ScalarBackend(), 1, false},
                new Object[] {new ScalarBackend(), 2, false}, new Object[] {new VectorBackend(), 1, false},
                new Object[] {new VectorBackend(), 2, false}, new Object[] {new ScalarBackend(), 3, false});
    }

    @ParameterizedTest(name = "{0} {1} inner step(s), query = support: {2}")
    @MethodSource("configurations")
    void metaGradientsMatchTheClosedForm(Backend be, int steps, boolean sameLoss) {
        SplittableRandom r = new SplittableRandom(42 + steps);
        double[][] a = spd(r), c = sameLoss ? a : spd(r);
        double[] b = vec(r), d = sameLoss ? b : vec(r), theta0 = vec(r);

        double[] second = metaGradient(be, a, b, c, d, theta0, steps, true);
        double[] first = metaGradient(be, a, b, c, d, theta0, steps, false);

        // Closed forms, in double.
        double[] th = theta0.clone();
        for (int s = 0; s < steps; s++) th = sub(th, scale(ALPHA, sub(mul(a, th), b)));
        double[] gq = sub(mul(c, th), d);                  // ∇L_q(θₖ)
        double[] expectSecond = gq;
        for (int s = 0; s < steps; s++) expectSecond = sub(expectSecond, scale(ALPHA, mul(a, expectSecond))); // (I − αA)ᵏ·gq

        assertClose("second order", expectSecond, second);
        assertClose("first order", gq, first);
        double diff = norm(sub(expectSecond, gq)) / norm(gq);
        assertTrue(diff > 0.05, "the test is only meaningful when the two orders differ; relative difference " + diff);
        assertTrue(norm(sub(second, first)) / norm(gq) > 0.05, "second- and first-order meta-gradients must differ");
    }

    /** d L_q(θₖ) / dθ through {@code steps} inner SGD steps, second or first order, from the engine. */
    static double[] metaGradient(Backend be, double[][] a, double[] b, double[][] c, double[] d, double[] theta0, int steps, boolean secondOrder) {
        Tensor A = matrix(be, a), B = column(be, b), C = matrix(be, c), D = column(be, d);
        Tensor theta = column(be, theta0).requiringGrad();
        Tensor fast = theta;
        for (int s = 0; s < steps; s++) {
            Tensor g = Autograd.grad(quadratic(A, B, fast), List.of(fast), secondOrder).get(0);
            fast = fast.sub(g.mul(ALPHA));
        }
        Tensor metaLoss = quadratic(C, D, fast);
        float[] g = Autograd.grad(metaLoss, List.of(theta), false).get(0).toArray();
        double[] out = new double[g.length];
        for (int i = 0; i < g.length; i++) out[i] = g[i];
        return out;
    }

    /** ½θᵀAθ − bᵀθ for a column θ [n,1]. */
    static Tensor quadratic(Tensor a, Tensor b, Tensor theta) {
        return a.matmul(theta).mul(theta).sum().mul(0.5f).sub(b.mul(theta).sum());
    }

    static void assertClose(String what, double[] expected, double[] actual) {
        double err = norm(sub(expected, actual)) / norm(expected);
        // float32 arithmetic on O(1) values: a few ulps per operation, far below any missing term.
        assertTrue(err < 1e-5, what + ": relative error " + err + "; expected " + java.util.Arrays.toString(expected)
                + " got " + java.util.Arrays.toString(actual));
    }

    // ---- small dense linear algebra in double ----------------------------------------------------

    /** A random symmetric positive definite matrix MᵀM/N + I with eigenvalues well above 0. */
    static double[][] spd(SplittableRandom r) {
        double[][] m = new double[N][N], s = new double[N][N];
        for (double[] row : m) for (int j = 0; j < N; j++) row[j] = (float) r.nextDouble(-1, 1);
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                double acc = 0;
                for (int k = 0; k < N; k++) acc += m[k][i] * m[k][j];
                s[i][j] = (float) (acc / N * 3 + (i == j ? 1 : 0)); // float-representable, as the engine sees it
            }
        for (int i = 0; i < N; i++) for (int j = 0; j < i; j++) s[i][j] = s[j][i];
        return s;
    }

    static double[] vec(SplittableRandom r) {
        double[] v = new double[N];
        for (int i = 0; i < N; i++) v[i] = (float) r.nextDouble(-1, 1);
        return v;
    }

    static double[] mul(double[][] m, double[] v) {
        double[] out = new double[N];
        for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) out[i] += m[i][j] * v[j];
        return out;
    }

    static double[] sub(double[] x, double[] y) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] - y[i];
        return out;
    }

    static double[] scale(double s, double[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = s * x[i];
        return out;
    }

    static double norm(double[] x) {
        double s = 0;
        for (double v : x) s += v * v;
        return Math.sqrt(s);
    }

    static Tensor matrix(Backend be, double[][] m) {
        float[] f = new float[N * N];
        for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) f[i * N + j] = (float) m[i][j];
        return Tensor.of(be, f, N, N);
    }

    static Tensor column(Backend be, double[] v) {
        float[] f = new float[N];
        for (int i = 0; i < N; i++) f[i] = (float) v[i];
        return Tensor.of(be, f, N, 1);
    }
}
