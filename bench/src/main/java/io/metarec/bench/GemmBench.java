package io.metarec.bench;

import io.metarec.backend.Backend;
import io.metarec.backend.Buffer;
import io.metarec.backend.cpu.HeapBuffer;
import io.metarec.backend.cpu.ScalarBackend;
import io.metarec.backend.cpu.VectorBackend;
import io.metarec.util.EnginePool;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * SGEMM C[M,N] = op(A)·op(B) through {@link Backend#gemm}: the scalar oracle against the Vector API
 * backend at 256- and 512-bit vectors (each width in its own JVM: the species is fixed at class load),
 * on 1 and 2 threads, at the MeLU shapes and squares.
 *
 * <p>Read the secondary result {@code :gflop}: it counts 2·M·K·N / 10⁹ per call, so its score is
 * GFLOP/s. The primary score is calls per second. Every (method, shape, threads) combination runs
 * in a fresh fork with its own warm-up, so a JIT cliff (a kernel that never reaches C2) shows up as
 * one low row, not as an average; {@code Report} prints the minimum iteration beside the median.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 6, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class GemmBench {

    /** One product (or a batch of them); shapes are "MxKxN" (C[M,N] = A[M,K]·B[K,N]), op is nn, nt, tn or tt (A then B transposed?). */
    @State(Scope.Benchmark)
    public static class Problem {
        @Param({"20x256x64", "100x256x64", "64x100x256", "100x64x256", "100x64x64", "3200x256x64", "10x40x40",
                "64x64x64", "128x128x128", "256x256x256", "512x512x512", "1024x1024x1024", "1023x67x129"})
        public String shape;

        @Param({"nn"})
        public String op;

        /** Products per call, each with its own A, B and C (a meta-batch of per-task products). */
        @Param({"1"})
        public int batch;

        int m, k, n;
        boolean ta, tb;
        Buffer a, b, c;
        double gflopPerCall;

        @Setup(Level.Trial)
        public void setUp() {
            String[] d = shape.split("x");
            if (d.length != 3) throw new IllegalArgumentException("shape must be MxKxN, got '" + shape + "'");
            m = Integer.parseInt(d[0]);
            k = Integer.parseInt(d[1]);
            n = Integer.parseInt(d[2]);
            if (!op.matches("[nt][nt]")) throw new IllegalArgumentException("op must be nn, nt, tn or tt, got '" + op + "'");
            ta = op.charAt(0) == 't';
            tb = op.charAt(1) == 't';
            SplittableRandom rnd = new SplittableRandom(42);
            if (batch < 1) throw new IllegalArgumentException("batch must be at least 1, got " + batch);
            a = new HeapBuffer(Data.uniform(batch * m * k, rnd));
            b = new HeapBuffer(Data.uniform(batch * k * n, rnd));
            c = new HeapBuffer(new float[batch * m * n]);
            gflopPerCall = 2.0 * batch * m * k * n / 1e9;
        }

        float[] run(Backend backend, Flops flops, CpuClock clock) {
            backend.gemm(ta, tb, batch, m, n, k, a, b, c);
            flops.gflop += gflopPerCall;
            clock.gflopDone += gflopPerCall;
            return HeapBuffer.of(c);
        }
    }

    /** Size of the engine's CPU pool (intra-op GEMM threads). */
    @State(Scope.Benchmark)
    public static class Threads {
        @Param({"1", "2"})
        public int threads;

        @Setup(Level.Trial)
        public void setUp() { EnginePool.setThreads(threads); }
    }

    /** Secondary result: GFLOP per call summed, normalised by JMH to GFLOP/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        public double gflop;
    }

    /**
     * Secondary results per iteration, not normalised: {@code gflopDone} and {@code cpuSeconds},
     * the CPU time of the benchmark thread. Their ratio ({@code Report} prints it as
     * "GFLOP/cpu-s") is the speed while the thread actually ran: on a machine shared with other
     * work it stays put where wall-clock GFLOP/s drops. Meaningful for one engine thread only
     * (helper threads' CPU time is not counted).
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class CpuClock {
        private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
        public double gflopDone;
        private long start;

        @Setup(Level.Iteration)
        public void start() { start = THREADS.getCurrentThreadCpuTime(); }

        public double cpuSeconds() { return (THREADS.getCurrentThreadCpuTime() - start) / 1e9; }
    }

    @State(Scope.Benchmark)
    public static class Backends {
        final Backend scalar = new ScalarBackend();
        final Backend vector = new VectorBackend();
    }

    @Benchmark
    public float[] scalar(Problem p, Backends be, Flops f, CpuClock clock) {
        return p.run(be.scalar, f, clock);
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Dmetarec.vectorBits=256"})
    public float[] vector256(Problem p, Threads t, Backends be, Flops f, CpuClock clock) {
        return p.run(be.vector, f, clock);
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Dmetarec.vectorBits=512"})
    public float[] vector512(Problem p, Threads t, Backends be, Flops f, CpuClock clock) {
        return p.run(be.vector, f, clock);
    }
}
