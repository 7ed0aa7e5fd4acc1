package io.metarec.backend.cpu;

import io.metarec.util.EnginePool;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * Runs parts 0..n-1 of a job on the caller and on up to threads − 1 helpers of {@link EnginePool#pool()},
 * each thread claiming the next unclaimed part. The caller never waits for a helper to start: if
 * the pool is busy (or slow to wake, as on a loaded 2-core machine) it simply does every part
 * itself, so splitting costs a few hundred nanoseconds at worst. It only waits for parts a helper
 * has already claimed. Called from inside a pool worker (a task of a meta-batch), the helpers are
 * forked to that worker's queue, where idle workers steal them, and unforked again if nobody did.
 */
final class Parts {
    private Parts() {}

    static void run(int parts, IntConsumer body) {
        int threads = EnginePool.threads();
        if (parts <= 1 || threads <= 1) {
            for (int i = 0; i < parts; i++) body.accept(i);
            return;
        }
        AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable claim = () -> {
            for (int i; (i = next.getAndIncrement()) < parts; ) {
                try {
                    if (failure.get() == null) body.accept(i);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.incrementAndGet();
                }
            }
        };
        ForkJoinPool pool = EnginePool.pool();
        boolean inPool = ForkJoinTask.getPool() == pool;
        int helpers = Math.min(threads - 1, parts - 1);
        List<ForkJoinTask<?>> forked = new ArrayList<>(helpers);
        for (int h = 0; h < helpers; h++) {
            ForkJoinTask<?> task = ForkJoinTask.adapt(claim);
            if (inPool) forked.add(task.fork());
            else pool.execute(task);
        }
        claim.run();
        for (int h = forked.size() - 1; h >= 0; h--) forked.get(h).tryUnfork(); // not started: drop it (top of the queue first)
        for (int spins = 0; done.get() < parts; spins++) { // only parts already being computed remain
            if (spins < 1 << 14) Thread.onSpinWait();
            else Thread.yield();
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException e) throw e;
        if (t instanceof Error e) throw e;
        if (t != null) throw new IllegalStateException(t);
    }
}
