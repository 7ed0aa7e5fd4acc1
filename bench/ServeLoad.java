import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Load test for {@code metarec serve}: closed-loop clients (each sends its next request when the
 * last is answered) at 1, 8 and 64 concurrent clients, each level for a few seconds after a short
 * warm-up; reports throughput, p50/p99 latency and errors (any non-200 or failed request).
 * A single-file program (no build, no dependencies):
 *
 * <pre>java bench/ServeLoad.java [URL (default http://127.0.0.1:8080)] [--seconds S (5)] [--warmup S (2)]
 *     [--ratings N (5, per user)] [--k K (10)] [--levels 1,8,64]</pre>
 *
 * Each request is a new user with N random ratings (1..5) of items 1..items, the item count read
 * from /healthz (numeric ids, as MovieLens and the synthetic data have). Exit code 1 when any
 * request failed.
 */
public class ServeLoad {
    public static void main(String[] args) throws Exception {
        String url = "http://127.0.0.1:8080";
        double seconds = 5, warmup = 2;
        int ratings = 5, k = 10;
        int[] levels = {1, 8, 64};
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--warmup" -> warmup = Double.parseDouble(args[++i]);
                case "--ratings" -> ratings = Integer.parseInt(args[++i]);
                case "--k" -> k = Integer.parseInt(args[++i]);
                case "--levels" -> levels = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                default -> url = args[i].replaceAll("/+$", "");
            }
        }
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        String health = client.send(HttpRequest.newBuilder(URI.create(url + "/healthz")).build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("\"items\":(\\d+)").matcher(health);
        if (!m.find()) throw new IllegalStateException("no item count in /healthz: " + health);
        int items = Integer.parseInt(m.group(1));
        System.out.println("server: " + health);
        System.out.printf(Locale.ROOT, "load: %d random ratings per user, k = %d, %.0f s per level after %.0f s warm-up%n", ratings, k, seconds, warmup);
        System.out.printf(Locale.ROOT, "%8s  %10s  %9s  %9s  %9s  %7s%n", "clients", "requests", "req/s", "p50 ms", "p99 ms", "errors");
        int failed = 0;
        for (int clients : levels) {
            run(client, url, clients, warmup, items, ratings, k, null);
            List<Long> latencies = new ArrayList<>();
            AtomicLong errors = new AtomicLong();
            long t0 = System.nanoTime();
            run(client, url, clients, seconds, items, ratings, k, new Sink(latencies, errors));
            double elapsed = (System.nanoTime() - t0) / 1e9;
            long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
            System.out.printf(Locale.ROOT, "%8d  %10d  %9.1f  %9.2f  %9.2f  %7d%n", clients, sorted.length, sorted.length / elapsed,
                    percentile(sorted, 0.50) / 1e6, percentile(sorted, 0.99) / 1e6, errors.get());
            failed += (int) errors.get();
        }
        System.exit(failed == 0 ? 0 : 1);
    }

    record Sink(List<Long> latencies, AtomicLong errors) {}

    /** {@code clients} closed-loop clients for {@code seconds}; records into {@code sink} unless null (warm-up). */
    static void run(HttpClient client, String url, int clients, double seconds, int items, int ratings, int k, Sink sink) throws Exception {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<List<Long>>> futures = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                SplittableRandom rnd = new SplittableRandom(31L * c + clients);
                futures.add(pool.submit(() -> {
                    List<Long> mine = new ArrayList<>();
                    while (System.nanoTime() < end) {
                        HttpRequest req = HttpRequest.newBuilder(URI.create(url + "/v1/recommend")).timeout(Duration.ofSeconds(60))
                                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body(rnd, items, ratings, k))).build();
                        long t = System.nanoTime();
                        try {
                            HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() != 200) {
                                if (sink != null) sink.errors().incrementAndGet();
                                System.err.println("HTTP " + r.statusCode() + ": " + r.body());
                                continue;
                            }
                        } catch (java.io.IOException e) {
                            if (sink != null) sink.errors().incrementAndGet();
                            System.err.println("failed: " + e);
                            continue;
                        }
                        mine.add(System.nanoTime() - t);
                    }
                    return mine;
                }));
            }
            for (Future<List<Long>> f : futures) {
                List<Long> l = f.get();
                if (sink != null) sink.latencies().addAll(l);
            }
        }
    }

    static String body(SplittableRandom rnd, int items, int ratings, int k) {
        StringBuilder b = new StringBuilder("{\"ratings\":[");
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        while (seen.size() < Math.min(ratings, items)) {
            int item = 1 + rnd.nextInt(items);
            if (!seen.add(item)) continue;
            if (seen.size() > 1) b.append(',');
            b.append("{\"item\":\"").append(item).append("\",\"rating\":").append(1 + rnd.nextInt(5)).append('}');
        }
        return b.append("],\"k\":").append(k).append('}').toString();
    }

    static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) return Double.NaN;
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }
}
