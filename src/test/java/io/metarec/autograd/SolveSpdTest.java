package io.metarec.autograd;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link Functional#solveSpd} against a double-precision Gaussian elimination on ridge systems. */
public class SolveSpdTest {

    /** Ridge normal equations XᵀX + λI of n rows with k columns whose scales differ by {@code spread}. */
    static double[][] ridge(SplittableRandom r, int n, int k, double lambda, double spread) {
        double[][] x = new double[n][k];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k; j++) x[i][j] = r.nextGaussian() * Math.pow(spread, (double) j / Math.max(1, k - 1)) + (j == 0 ? 1 : 0);
        double[][] a = new double[k][k];
        for (int p = 0; p < k; p++)
            for (int q = 0; q < k; q++) {
                double s = p == q ? lambda : 0;
                for (double[] row : x) s += row[p] * row[q];
                a[p][q] = s;
            }
        return a;
    }

    public static double[] gauss(double[][] a0, double[] b0) {
        int k = b0.length;
        double[][] a = new double[k][];
        for (int i = 0; i < k; i++) a[i] = a0[i].clone();
        double[] b = b0.clone();
        for (int c = 0; c < k; c++)
            for (int r = c + 1; r < k; r++) {
                double f = a[r][c] / a[c][c];
                for (int j = c; j < k; j++) a[r][j] -= f * a[c][j];
                b[r] -= f * b[c];
            }
        double[] x = new double[k];
        for (int r = k - 1; r >= 0; r--) {
            double s = b[r];
            for (int j = r + 1; j < k; j++) s -= a[r][j] * x[j];
            x[r] = s / a[r][r];
        }
        return x;
    }

    @Test
    void solvesBatchedRidgeSystemsToFloatPrecision() {
        SplittableRandom r = new SplittableRandom(7);
        int tasks = 3, k = 17;
        // a short support (n < k: XᵀX singular, only λ keeps it definite), a long one, columns 100× apart
        int[] rows = {1, 90, 12};
        double[] lambdas = {0.5, 10, 2};
        float[] a = new float[tasks * k * k], b = new float[tasks * k];
        double[][] expected = new double[tasks][];
        for (int t = 0; t < tasks; t++) {
            double[][] m = ridge(r, rows[t], k, lambdas[t], t == 2 ? 100 : 1);
            double[] rhs = new double[k];
            for (int i = 0; i < k; i++) {
                rhs[i] = r.nextGaussian();
                b[t * k + i] = (float) rhs[i];
                for (int j = 0; j < k; j++) a[(t * k + i) * k + j] = (float) m[i][j];
            }
            // the reference solves the float-rounded system, as the engine sees it
            double[][] rounded = new double[k][k];
            double[] rb = new double[k];
            for (int i = 0; i < k; i++) {
                rb[i] = b[t * k + i];
                for (int j = 0; j < k; j++) rounded[i][j] = a[(t * k + i) * k + j];
            }
            expected[t] = gauss(rounded, rb);
        }
        float[] x = Functional.solveSpd(Tensor.of(a, tasks, k, k), Tensor.of(b, tasks, k, 1)).toArray();
        for (int t = 0; t < tasks; t++) {
            double scale = 0;
            for (double v : expected[t]) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < k; i++)
                assertEquals(expected[t][i], x[t * k + i], 1e-4 * scale, "task " + t + " unknown " + i);
        }
    }

    @Test
    void singleSystemAndShapeErrors() {
        float[] x = Functional.solveSpd(Tensor.of(new float[] {4, 1, 1, 3}, 2, 2), Tensor.of(new float[] {1, 2}, 2, 1)).toArray();
        assertEquals(1.0 / 11, x[0], 1e-6); // [4 1; 1 3]⁻¹ [1 2] = [1/11, 7/11]
        assertEquals(7.0 / 11, x[1], 1e-6);
        assertThrows(io.metarec.backend.ShapeException.class, () -> Functional.solveSpd(Tensor.zeros(2, 3), Tensor.zeros(2, 1)));
    }
}
