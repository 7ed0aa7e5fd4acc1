package io.metarec.backend.cpu;

import io.metarec.util.EnginePool;

import java.util.concurrent.ForkJoinPool;

/**
 * The former home of the engine pool, kept as a forwarder to {@link EnginePool} for callers not
 * yet moved (the layers above the backends should use {@code EnginePool} directly).
 *
 * @deprecated use {@link EnginePool}
 */
@Deprecated
public final class CpuParallel {
    private CpuParallel() {}

    public static int threads() { return EnginePool.threads(); }

    public static ForkJoinPool pool() { return EnginePool.pool(); }

    public static void setThreads(int threads) { EnginePool.setThreads(threads); }

    public static void forEach(int n, java.util.function.IntConsumer body) { EnginePool.forEach(n, body); }
}
