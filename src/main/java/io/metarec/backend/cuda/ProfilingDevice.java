package io.metarec.backend.cuda;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A {@link Device} that times every call on the device it wraps (-Dmetarec.cuda.profile=true or =FILE):
 * each launch, GEMM and copy waits for the stream, so its time is the call's own (launch overhead
 * included; the GPU no longer overlaps with the host). {@link #report} lists the calls by total
 * time, per kernel and grid. For finding where a step's time goes, not for measuring throughput.
 */
final class ProfilingDevice implements Device {
    private final Device inner;
    private final Map<String, long[]> calls = new HashMap<>(); // key -> {count, total ns, max ns}

    ProfilingDevice(Device inner) {
        this.inner = inner;
    }

    private void record(String key, long startNanos) {
        long ns = System.nanoTime() - startNanos;
        long[] c = calls.computeIfAbsent(key, k -> new long[3]);
        c[0]++;
        c[1] += ns;
        c[2] = Math.max(c[2], ns);
    }

    /**
     * Wraps {@code device} and prints the report when the JVM exits: to {@code file}, or to stderr
     * where it is null (a JMH fork's stderr is closed by then: give it a file).
     */
    static ProfilingDevice reportingAtExit(Device device, Path file) {
        ProfilingDevice profiled = new ProfilingDevice(device);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (file == null) {
                profiled.report(System.err);
                return;
            }
            try (PrintStream out = new PrintStream(Files.newOutputStream(file), true, StandardCharsets.UTF_8)) {
                profiled.report(out);
            } catch (IOException e) {
                System.err.println("metarec.cuda.profile: cannot write " + file + ": " + e.getMessage());
            }
        }));
        return profiled;
    }

    /** The calls by total time, one line each, with each one's share of the timed total. */
    synchronized void report(PrintStream out) {
        List<Map.Entry<String, long[]>> rows = new ArrayList<>(calls.entrySet());
        rows.sort((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]));
        long total = rows.stream().mapToLong(e -> e.getValue()[1]).sum();
        out.printf(Locale.ROOT, "cuda profile: %d calls, %.1f ms timed (each call waited for)%n",
                rows.stream().mapToLong(e -> e.getValue()[0]).sum(), total / 1e6);
        out.printf(Locale.ROOT, "%8s %10s %6s %10s %10s  %s%n", "calls", "total ms", "share", "mean µs", "max µs", "call (grid)");
        for (var e : rows) {
            long[] c = e.getValue();
            out.printf(Locale.ROOT, "%8d %10.2f %5.1f%% %10.1f %10.1f  %s%n", c[0], c[1] / 1e6, 100.0 * c[1] / Math.max(1, total),
                    c[1] / 1e3 / c[0], c[2] / 1e3, e.getKey());
        }
    }

    @Override public String describe() { return inner.describe(); }

    @Override public int multiprocessors() { return inner.multiprocessors(); }

    @Override public int gridLimit() { return inner.gridLimit(); }

    @Override public synchronized Allocation allocate(long bytes) {
        long t = System.nanoTime();
        Allocation a = inner.allocate(bytes);
        record("cuMemAlloc", t);
        return a;
    }

    @Override public synchronized void free(Allocation memory) {
        long t = System.nanoTime();
        inner.free(memory);
        record("cuMemFree", t);
    }

    @Override public synchronized void upload(Allocation dst, float[] src, int count) {
        long t = System.nanoTime();
        inner.upload(dst, src, count);
        inner.synchronize(); // uploads are queued on the stream like launches
        record("upload", t);
    }

    @Override public synchronized void upload(Allocation dst, int[] src, int count) {
        long t = System.nanoTime();
        inner.upload(dst, src, count);
        inner.synchronize(); // uploads are queued on the stream like launches
        record("upload", t);
    }

    @Override public synchronized void download(Allocation src, float[] dst, int count) {
        inner.synchronize();
        long t = System.nanoTime();
        inner.download(src, dst, count);
        record("download", t);
    }

    @Override public synchronized void fill(Allocation dst, int bits, int count) {
        long t = System.nanoTime();
        inner.fill(dst, bits, count);
        inner.synchronize();
        record("fill", t);
    }

    @Override public synchronized void launch(String kernel, CudaLaunch.Grid g, Object... args) {
        long t = System.nanoTime();
        inner.launch(kernel, g, args);
        inner.synchronize();
        record(kernel + " (" + g.gx() + "×" + g.gy() + "×" + g.gz() + ")", t);
    }

    @Override public String blasUnavailable() { return inner.blasUnavailable(); }

    @Override public synchronized void blasGemm(boolean ta, boolean tb, int batch, int m, int n, int k, Allocation a, Allocation b, Allocation c) {
        long t = System.nanoTime();
        inner.blasGemm(ta, tb, batch, m, n, k, a, b, c);
        inner.synchronize();
        record("cuBLAS " + (ta ? "T" : "N") + (tb ? "T" : "N") + " " + batch + "×" + m + "×" + n + "×" + k, t);
    }

    @Override public void synchronize() { inner.synchronize(); }

    @Override public void close() { inner.close(); }
}
