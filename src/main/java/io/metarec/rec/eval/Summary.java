package io.metarec.rec.eval;

import java.util.Collection;
import java.util.Locale;

/**
 * Mean of per-task (per-user) values with their spread:
 * <pre>
 *   mean = (1/n) Σ x_j          std = sqrt( Σ (x_j − mean)² / (n − 1) )   (0 when n = 1)
 *   ci95 = t_{0.975, n−1} · std / sqrt(n)     (half-width of the 95% confidence interval of the mean)
 * </pre>
 * NaN values (tasks where the metric is undefined) are skipped and counted in {@code skipped}.
 */
public record Summary(int n, double mean, double std, double ci95, int skipped) {

    public static Summary of(double[] values) {
        int n = 0, skipped = 0;
        double sum = 0;
        for (double v : values) {
            if (Double.isNaN(v)) skipped++;
            else {
                n++;
                sum += v;
            }
        }
        if (n == 0) return new Summary(0, Double.NaN, Double.NaN, Double.NaN, skipped);
        double mean = sum / n, ss = 0;
        for (double v : values) if (!Double.isNaN(v)) ss += (v - mean) * (v - mean);
        double std = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
        double ci = n > 1 ? tQuantile975(n - 1) * std / Math.sqrt(n) : Double.NaN;
        return new Summary(n, mean, std, ci, skipped);
    }

    public static Summary of(Collection<? extends Number> values) {
        return of(values.stream().mapToDouble(Number::doubleValue).toArray());
    }

    private static final double[] T975 = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
            2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};

    /**
     * The 97.5% quantile of Student's t with {@code df} degrees of freedom: a table up to 30, then
     * the Cornish–Fisher expansion z + (z³ + z)/(4 df) + (5z⁵ + 16z³ + 3z)/(96 df²), z = 1.959964
     * (error below 10⁻³).
     */
    static double tQuantile975(int df) {
        if (df < 1) throw new IllegalArgumentException("df must be ≥ 1");
        if (df <= T975.length) return T975[df - 1];
        double z = 1.959964, z3 = z * z * z, z5 = z3 * z * z;
        return z + (z3 + z) / (4.0 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96.0 * df * df);
    }

    /** "0.7854 ± 0.0123" (mean ± 95% CI half-width), or "–" when there are no values. */
    public String format(int decimals) {
        if (n == 0) return "–";
        String f = "%." + decimals + "f";
        return Double.isNaN(ci95) ? String.format(Locale.ROOT, f, mean) : String.format(Locale.ROOT, f + " ± " + f, mean, ci95);
    }

    @Override public String toString() {
        return format(4) + " (n=" + n + (skipped > 0 ? ", skipped " + skipped : "") + ")";
    }
}
