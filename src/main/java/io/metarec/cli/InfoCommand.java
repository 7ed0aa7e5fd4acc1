package io.metarec.cli;

import io.metarec.autograd.Autograd;
import io.metarec.autograd.OpRegistry;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Backend;
import io.metarec.backend.Backends;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Java version, backends found, op count, and a one-second second-order self-check. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Print the Java version, the backends found, and run a second-order gradient self-check.")
public final class InfoCommand implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Override public Integer call() {
        var out = System.out;
        out.println("metarec — meta-learning recommender engine");
        out.println("java:     " + Runtime.version() + " (" + System.getProperty("java.vendor") + "), "
                + Runtime.getRuntime().availableProcessors() + " cores");
        long start = java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getInit();
        out.println("heap:     " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB at most, "
                + (start < 0 ? "unknown" : start / (1 << 20) + " MiB") + " at start (METAREC_JAVA_OPTS=-Xmx…, -Xms… set them; docs/cli.md)");
        out.println("gc:       " + collectors());
        out.println("backends:");
        for (String line : Backends.survey()) out.println("  " + line);
        Backend be = common.backend();
        out.println("selected: " + be.name());
        out.println("ops:      " + OpRegistry.names().size() + " registered (" + OpRegistry.primitives().size() + " primitives)");
        boolean ok = selfCheck(be, out);
        return ok ? 0 : 1;
    }

    /** The collectors and their GC time ratio (the launcher sets 4, docs/cli.md), e.g. "G1 Young Generation, G1 Old Generation; time ratio 4". */
    static String collectors() {
        java.util.List<String> names = new java.util.ArrayList<>();
        for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) names.add(gc.getName());
        String ratio;
        try {
            ratio = java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                    .getVMOption("GCTimeRatio").getValue();
        } catch (RuntimeException | LinkageError e) { // not HotSpot
            ratio = "unknown";
        }
        return String.join(", ", names) + "; time ratio " + ratio + " (METAREC_JAVA_OPTS=-XX:GCTimeRatio=… sets it)";
    }

    /**
     * f(x) = Σ tanh(x·w)² over a small vector: compares the analytic Hessian-vector product (grad of
     * grad) with central differences of the analytic gradient.
     */
    static boolean selfCheck(Backend be, java.io.PrintStream out) {
        long t0 = System.nanoTime();
        float[] x0 = {0.3f, -0.7f, 1.1f, 0.05f}, w = {0.9f, -0.4f, 0.25f, 1.3f}, v = {1f, -2f, 0.5f, 0.7f};
        float[] hv = hvp(be, x0, w, v, true);
        double eps = 1e-2, maxErr = 0;
        float[] xp = x0.clone(), xm = x0.clone();
        for (int i = 0; i < 4; i++) {
            xp[i] += (float) (eps * v[i]);
            xm[i] -= (float) (eps * v[i]);
        }
        float[] gp = hvp(be, xp, w, v, false), gm = hvp(be, xm, w, v, false);
        double norm = 0;
        for (int i = 0; i < 4; i++) {
            double fd = (gp[i] - gm[i]) / (2 * eps);
            maxErr = Math.max(maxErr, Math.abs(fd - hv[i]));
            norm = Math.max(norm, Math.abs(fd));
        }
        double rel = maxErr / Math.max(norm, 1e-6);
        boolean ok = rel < 1e-2;
        out.printf(Locale.ROOT, "self-check: Hessian-vector product of Σ tanh(x·w)² vs finite differences: rel. error %.1e — %s (%.0f ms)%n",
                rel, ok ? "ok" : "FAILED", (System.nanoTime() - t0) / 1e6);
        return ok;
    }

    /** With second=true the HVP at x; with second=false the gradient at x. */
    private static float[] hvp(Backend be, float[] x0, float[] w, float[] v, boolean second) {
        Tensor x = Tensor.of(be, x0, 4).requiringGrad();
        Tensor f = x.mul(Tensor.of(be, w, 4)).tanh().square().sum();
        Tensor g = Autograd.grad(f, List.of(x), second).get(0);
        if (!second) return g.toArray();
        Tensor gv = g.mul(Tensor.of(be, v, 4)).sum();
        return Autograd.grad(gv, List.of(x), false).get(0).toArray();
    }
}
