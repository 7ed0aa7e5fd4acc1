package io.metarec.rec.train;

/**
 * One small ridge regression with a bias, as ALS and a new user's fit need it: the weights
 * w = (p, b) ∈ ℝ^{k+1} minimising Σ_j (y_j − p·f_j − b)² + λ (‖p‖² + b²), for feature vectors
 * f_j ∈ ℝ^k, from the normal equations (Σ x_j x_jᵀ + λI) w = Σ y_j x_j with x_j = (f_j, 1),
 * solved by Cholesky. Not thread-safe: one per user or item being solved.
 */
final class Ridge {
    private final int n;
    private final double[] a, rhs; // a: lower triangle of Σ x xᵀ, row-major n×n

    Ridge(int k) {
        this.n = k + 1;
        this.a = new double[n * n];
        this.rhs = new double[n];
    }

    /** Adds the example x = (f[off .. off+k), 1) with target y. */
    void add(double[] f, int off, double y) {
        int k = n - 1;
        for (int r = 0; r < k; r++) {
            double fr = f[off + r];
            int row = r * n;
            for (int c = 0; c <= r; c++) a[row + c] += fr * f[off + c];
            rhs[r] += fr * y;
        }
        int last = k * n;
        for (int c = 0; c < k; c++) a[last + c] += f[off + c];
        a[last + k] += 1;
        rhs[k] += y;
    }

    /** w = (p, b): p in w[0 .. k), the bias in w[k]. λ must be positive unless the examples determine w. */
    double[] solve(double lambda) {
        double[] l = a.clone();
        for (int d = 0; d < n; d++) l[d * n + d] += lambda;
        // Cholesky: l = L Lᵀ in place (lower triangle).
        for (int j = 0; j < n; j++) {
            double s = l[j * n + j];
            for (int m = 0; m < j; m++) s -= l[j * n + m] * l[j * n + m];
            if (!(s > 0)) throw new IllegalStateException("ridge normal equations are not positive definite (λ = " + lambda + ")");
            double ljj = Math.sqrt(s);
            l[j * n + j] = ljj;
            for (int i = j + 1; i < n; i++) {
                double t = l[i * n + j];
                for (int m = 0; m < j; m++) t -= l[i * n + m] * l[j * n + m];
                l[i * n + j] = t / ljj;
            }
        }
        double[] w = rhs.clone();
        for (int i = 0; i < n; i++) { // L z = rhs
            double t = w[i];
            for (int m = 0; m < i; m++) t -= l[i * n + m] * w[m];
            w[i] = t / l[i * n + i];
        }
        for (int i = n - 1; i >= 0; i--) { // Lᵀ w = z
            double t = w[i];
            for (int m = i + 1; m < n; m++) t -= l[m * n + i] * w[m];
            w[i] = t / l[i * n + i];
        }
        return w;
    }
}
