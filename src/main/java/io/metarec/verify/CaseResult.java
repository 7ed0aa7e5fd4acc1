package io.metarec.verify;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The outcome of one reference case: the relative error of the loss (or output) and of each
 * gradient, norm-wise: ‖ours − ref‖₂ / ‖ref‖₂ (the absolute difference when ‖ref‖₂ is 0).
 */
public record CaseResult(String name, Map<String, Double> errors, double tolerance, String failure) {

    public static CaseResult failed(String name, String why) {
        return new CaseResult(name, new LinkedHashMap<>(), 0, why);
    }

    /** The largest error over the loss and all gradients. */
    public double maxError() {
        return errors.values().stream().mapToDouble(Double::doubleValue).max().orElse(0);
    }

    public boolean passed() {
        return failure == null && errors.values().stream().allMatch(e -> e <= tolerance);
    }

    /** One line: name, PASS/FAIL, then each quantity's relative error. */
    public String line() {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-44s %s", name, passed() ? "PASS" : "FAIL"));
        if (failure != null) return sb.append("  ").append(failure).toString();
        sb.append(String.format(Locale.ROOT, "  max %.1e", maxError()));
        errors.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "  %s %.1e", k, v)));
        return sb.toString();
    }

    /** ‖a − b‖₂ / ‖b‖₂, or ‖a − b‖₂ when b is zero. */
    public static double relativeError(float[] a, double[] b) {
        if (a.length != b.length) return Double.POSITIVE_INFINITY;
        double diff = 0, ref = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            diff += d * d;
            ref += b[i] * b[i];
        }
        if (Double.isNaN(diff)) return Double.POSITIVE_INFINITY;
        return ref == 0 ? Math.sqrt(diff) : Math.sqrt(diff / ref);
    }
}
