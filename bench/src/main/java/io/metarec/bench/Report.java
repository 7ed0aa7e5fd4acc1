package io.metarec.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Summarises a JMH JSON result file as a Markdown table: one row per benchmark and parameters,
 * the median, min and max over all measured iterations (all forks), of the {@code gflop} secondary
 * result when present (GFLOP/s), else of the primary score; for one-thread GEMM runs a second row
 * "GFLOP/cpu-s" divides the work by the benchmark thread's CPU time, the figure that holds still
 * on a machine shared with other jobs. The min column is where a JIT cliff shows: one fork that
 * never reached C2 drags it far below the median.
 *
 * <pre>
 *   ./metarec bench GemmBench -rf json -rff gemm.json
 *   java -cp bench/target/benchmarks.jar io.metarec.bench.Report gemm.json
 * </pre>
 */
public final class Report {
    private Report() {}

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: java -cp bench/target/benchmarks.jar io.metarec.bench.Report RESULT.json...");
            System.exit(2);
        }
        System.out.println("| benchmark | params | metric | median | min | max | iterations |");
        System.out.println("|---|---|---|---|---|---|---|");
        ObjectMapper json = new ObjectMapper();
        for (String path : args) {
            JsonNode root;
            try {
                root = json.readTree(new File(path));
            } catch (IOException e) {
                throw new IOException(path + ": not a JMH JSON result file (" + e.getMessage() + ")", e);
            }
            if (!root.isArray()) throw new IOException(path + ": expected a JSON array of JMH results (run JMH with -rf json)");
            for (JsonNode r : root) row(r);
        }
    }

    private static void row(JsonNode r) {
        String bench = r.path("benchmark").asText();
        bench = bench.substring(bench.lastIndexOf('.', bench.lastIndexOf('.') - 1) + 1);
        List<String> params = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = r.path("params").properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            params.add(e.getKey() + "=" + e.getValue().asText());
        }
        JsonNode secondary = r.path("secondaryMetrics"), metric = secondary.path("gflop");
        String name = "GFLOP/s";
        if (metric.isMissingNode()) {
            metric = r.path("primaryMetric");
            name = metric.path("scoreUnit").asText();
        }
        print(bench, params, name, raw(metric));
        // GFLOP per CPU-second of the benchmark thread: the speed while it ran (one engine thread only).
        List<Double> done = raw(secondary.path("gflopDone")), cpu = raw(secondary.path("cpuSeconds"));
        if (!done.isEmpty() && done.size() == cpu.size() && "1".equals(r.path("params").path("threads").asText("1"))) {
            List<Double> perCpu = new ArrayList<>();
            for (int i = 0; i < done.size(); i++) if (cpu.get(i) > 0) perCpu.add(done.get(i) / cpu.get(i));
            print(bench, params, "GFLOP/cpu-s", perCpu);
        }
    }

    /** All iteration values of a metric, over all forks (rawData is [fork][iteration]). */
    private static List<Double> raw(JsonNode metric) {
        List<Double> v = new ArrayList<>();
        for (JsonNode fork : metric.path("rawData")) for (JsonNode x : fork) v.add(x.asDouble());
        return v;
    }

    private static void print(String bench, List<String> params, String name, List<Double> values) {
        if (values.isEmpty()) return;
        List<Double> v = new ArrayList<>(values);
        v.sort(null);
        double median = v.size() % 2 == 1 ? v.get(v.size() / 2) : (v.get(v.size() / 2 - 1) + v.get(v.size() / 2)) / 2;
        System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %d |%n", bench, String.join(" ", params), name,
                fmt(median), fmt(v.get(0)), fmt(v.get(v.size() - 1)), v.size());
    }

    private static String fmt(double x) {
        return x >= 100 ? String.format(Locale.ROOT, "%.0f", x) : x >= 10 ? String.format(Locale.ROOT, "%.1f", x)
                : String.format(Locale.ROOT, "%.3g", x);
    }
}
