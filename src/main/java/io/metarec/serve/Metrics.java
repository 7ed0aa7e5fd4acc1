package io.metarec.serve;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Request counters in the Prometheus text format (version 0.0.4): requests by endpoint and status,
 * a latency histogram per endpoint, and the requests that failed inside the server (5xx). Lock-free
 * (LongAdder), so counting never contends with serving.
 */
public final class Metrics {
    /** Latency bucket upper bounds in seconds: adaptation takes milliseconds to a second. */
    static final double[] BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final Map<String, Histogram> latency = new ConcurrentHashMap<>();
    private final LongAdder errors = new LongAdder();
    private final LongAdder reloads = new LongAdder(), failedReloads = new LongAdder();

    private static final class Histogram {
        final LongAdder[] counts = new LongAdder[BUCKETS.length + 1]; // the last: +Inf
        final java.util.concurrent.atomic.DoubleAdder sum = new java.util.concurrent.atomic.DoubleAdder();

        Histogram() {
            for (int i = 0; i < counts.length; i++) counts[i] = new LongAdder();
        }

        void observe(double seconds) {
            int b = 0;
            while (b < BUCKETS.length && seconds > BUCKETS[b]) b++;
            counts[b].increment();
            sum.add(seconds);
        }
    }

    /** One finished request: its endpoint (a route, never the raw path, to bound the label set), status and duration. */
    public void record(String endpoint, int status, long nanos) {
        requests.computeIfAbsent(endpoint + "\u0000" + status, x -> new LongAdder()).increment();
        latency.computeIfAbsent(endpoint, x -> new Histogram()).observe(nanos / 1e9);
        if (status >= 500) errors.increment();
    }

    public void reloaded(boolean ok) {
        (ok ? reloads : failedReloads).increment();
    }

    /** Requests answered with {@code status} on {@code endpoint} so far. */
    public long count(String endpoint, int status) {
        LongAdder a = requests.get(endpoint + "\u0000" + status);
        return a == null ? 0 : a.sum();
    }

    public long errors() { return errors.sum(); }

    /** The exposition text. */
    public String render() {
        StringBuilder b = new StringBuilder();
        b.append("# HELP metarec_requests_total HTTP requests by endpoint and status.\n# TYPE metarec_requests_total counter\n");
        for (var e : new TreeMap<>(requests).entrySet()) {
            String[] k = e.getKey().split("\u0000");
            b.append("metarec_requests_total{endpoint=\"").append(k[0]).append("\",status=\"").append(k[1]).append("\"} ")
                    .append(e.getValue().sum()).append('\n');
        }
        b.append("# HELP metarec_request_duration_seconds Request latency by endpoint.\n# TYPE metarec_request_duration_seconds histogram\n");
        for (var e : new TreeMap<>(latency).entrySet()) {
            Histogram h = e.getValue();
            String ep = "endpoint=\"" + e.getKey() + "\"";
            long cumulative = 0;
            for (int i = 0; i <= BUCKETS.length; i++) {
                cumulative += h.counts[i].sum();
                String le = i < BUCKETS.length ? String.format(Locale.ROOT, "%s", BUCKETS[i]) : "+Inf";
                b.append("metarec_request_duration_seconds_bucket{").append(ep).append(",le=\"").append(le).append("\"} ").append(cumulative).append('\n');
            }
            b.append("metarec_request_duration_seconds_sum{").append(ep).append("} ").append(String.format(Locale.ROOT, "%.6f", h.sum.sum())).append('\n');
            b.append("metarec_request_duration_seconds_count{").append(ep).append("} ").append(cumulative).append('\n'); // = the +Inf bucket
        }
        b.append("# HELP metarec_errors_total Requests that failed inside the server (status 5xx).\n# TYPE metarec_errors_total counter\n");
        b.append("metarec_errors_total ").append(errors.sum()).append('\n');
        b.append("# HELP metarec_model_reloads_total Model reloads by outcome.\n# TYPE metarec_model_reloads_total counter\n");
        b.append("metarec_model_reloads_total{outcome=\"ok\"} ").append(reloads.sum()).append('\n');
        b.append("metarec_model_reloads_total{outcome=\"failed\"} ").append(failedReloads.sum()).append('\n');
        return b.toString();
    }
}
