package io.metarec.bench;

import io.metarec.backend.Backend;
import io.metarec.backend.Backends;
import io.metarec.backend.Buffer;
import io.metarec.backend.Distribution;
import io.metarec.backend.cuda.CudaBackend;
import io.metarec.util.EnginePool;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Backend.gemm on the CPU and on CUDA, ops/s = products/s (GFLOP/s = ops/s · 2·batch·m·n·k / 1e9).
 * {@code shape} is batch×m×n×k: a large square, MeLU's fc1 forward for one task, and the same
 * stacked over a meta-batch of 32 and 1024 tasks (one batched launch), plus its weight gradient
 * (transposed A). {@code gemm}: on CUDA, "auto" (cuBLAS when JCublas loads) or "kernel" (ours);
 * every param combination runs in its own JVM, so the setting takes effect. Operands are drawn on
 * the device; each invocation queues {@value #REPS} products and waits for them.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class CudaGemmBench {
    static final int REPS = 10;

    @Param({"1x1024x1024x1024", "1x20x64x256", "32x20x64x256", "1024x20x64x256", "1024x256x64x20t"}) String shape;
    @Param({"cpu", "cuda"}) String backend;
    @Param({"auto"}) String gemm;
    @Param({"1"}) int threads;

    private Backend be;
    private Buffer a, b, c;
    private int batch, m, n, k;
    private boolean ta;

    @Setup(Level.Trial)
    public void setup() {
        String[] s = shape.split("x");
        ta = s[3].endsWith("t"); // A stored transposed ([k, m]), as in a weight gradient Xᵀ·G
        batch = Integer.parseInt(s[0]);
        m = Integer.parseInt(s[1]);
        n = Integer.parseInt(s[2]);
        k = Integer.parseInt(s[3].replace("t", ""));
        System.setProperty("metarec.cuda.gemm", gemm);
        EnginePool.setThreads(threads);
        be = Backends.select(backend);
        a = be.allocate(batch * m * k);
        b = be.allocate(batch * k * n);
        c = be.allocate(batch * m * n);
        be.random(Distribution.UNIFORM, 1, 1, -1f, 1f, a);
        be.random(Distribution.UNIFORM, 1, 2, -1f, 1f, b);
        System.err.println("backend: " + be.describe());
    }

    @Benchmark
    @OperationsPerInvocation(REPS)
    public Buffer product() {
        for (int i = 0; i < REPS; i++) be.gemm(ta, false, batch, m, n, k, a, b, c);
        if (be instanceof CudaBackend cuda) cuda.synchronize();
        return c;
    }
}
