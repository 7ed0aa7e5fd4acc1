package io.metarec.util;

import java.util.concurrent.ForkJoinPool;

/**
 * The engine's worker pool, shared by task parallelism (the tasks of a meta-batch, users under
 * evaluation) and by a CPU backend's intra-op parallelism (large GEMMs, big elementwise passes).
 * It lives outside any backend so that the layers above choose parallelism without naming one.
 * Size: {@code -Dmetarec.threads=N}, else {@code METAREC_THREADS}, else the number of cores.
 * Fork/join lets a kernel split inside a task that already runs on a worker.
 */
public final class EnginePool {
    private static volatile ForkJoinPool pool;

    private EnginePool() {}

    public static int threads() {
        return pool().getParallelism();
    }

    public static ForkJoinPool pool() {
        ForkJoinPool p = pool;
        if (p == null) {
            synchronized (EnginePool.class) {
                if (pool == null) pool = new ForkJoinPool(configured());
                p = pool;
            }
        }
        return p;
    }

    /** Replaces the pool (benchmarks and tests compare thread counts in one JVM). */
    public static synchronized void setThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        ForkJoinPool old = pool;
        pool = new ForkJoinPool(threads);
        if (old != null) old.shutdown();
    }

    /**
     * Runs {@code body(i)} for every i in [0, n) on the pool and waits; each index is computed alone,
     * so results stored by index do not depend on the thread count. An exception in a body is
     * rethrown as it is (the first one, if several).
     */
    public static void forEach(int n, java.util.function.IntConsumer body) {
        try {
            pool().submit(() -> java.util.stream.IntStream.range(0, n).parallel().forEach(body)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        }
    }

    private static int configured() {
        String s = System.getProperty("metarec.threads");
        if (s == null || s.isBlank()) s = System.getenv("METAREC_THREADS");
        if (s != null && !s.isBlank()) {
            try {
                int n = Integer.parseInt(s.trim());
                if (n >= 1) return n;
            } catch (NumberFormatException ignored) {
                // fall through to the error below
            }
            throw new IllegalArgumentException("metarec.threads / METAREC_THREADS must be a positive integer, got '" + s + "'");
        }
        return Runtime.getRuntime().availableProcessors();
    }
}
