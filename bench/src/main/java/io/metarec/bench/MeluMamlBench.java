package io.metarec.bench;

import io.metarec.backend.Backends;
import io.metarec.meta.LearnerConfig;
import io.metarec.meta.Maml;
import io.metarec.meta.Order;
import io.metarec.meta.Task;
import io.metarec.rec.model.Examples;
import io.metarec.util.EnginePool;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One MeLU MAML meta-step (meta-batch 32, Adam on all 458,401 parameters) per invocation, so the
 * score in ops/s is meta-steps/s, comparable with melu_torch.py maml (RESULTS.md, "JMH mirror").
 * Only the MLP adapts (MeLU's local update). {@code execution}: PER_TASK = one graph per task on
 * the worker pool (what the "loop" reference does), BATCHED = all tasks stacked in the same
 * kernels (the "batched" reference). {@code backend}: cpu or cuda. {@code optimizer}: adam (exact,
 * the default) or lazy-adam (only the embedding rows the meta-batch touched step).
 * {@code backend=cuda-host-only}: the CUDA backend on a device that does nothing
 * ({@link io.metarec.backend.cuda.HostOnlyDevice}), the host's share of a CUDA step, no GPU needed.
 *
 * <p>Secondary results per iteration ({@link CpuClock}): {@code steps} and {@code cpuSeconds}, the
 * process's CPU time (every engine thread, GC and JIT included). Their ratio, meta-steps per
 * CPU-second, holds still on a machine shared with other work, where wall-clock steps/s do not.
 * {@code peakRssMiB}: the fork's peak resident set at the end of each iteration (bench/compare.sh).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 7, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MeluMamlBench {
    @Param({"20", "100"}) int support;
    @Param({"1", "5"}) int inner;
    @Param({"2", "1"}) int order;
    @Param({"1", "2"}) int threads;
    @Param({"PER_TASK", "BATCHED"}) String execution;
    @Param({"cpu"}) String backend;
    @Param({"32"}) int metaBatch;
    /** Batched execution: the most tasks a stack holds (0: LearnerConfig's automatic size, 8 on the CPU). */
    @Param({"0"}) int stackSize;
    /** The outer optimizer: exact Adam, or lazy Adam (embedding rows untouched by the meta-batch do not step). */
    @Param({"adam"}) String optimizer;

    private Maml<Examples> maml;
    private List<Task<Examples>> pool;
    private long step;

    @Setup(Level.Trial)
    public void setup() {
        Backends.use(backend.equals("cuda-host-only") ? io.metarec.backend.cuda.HostOnlyDevice.backend() : Backends.select(backend));
        EnginePool.setThreads(threads);
        pool = MeluWorkload.pool(metaBatch, support);
        LearnerConfig cfg = LearnerConfig.defaults().withInnerSteps(inner).withInnerLr(5e-3f).withOuterLr(5e-5f)
                .withOrder(order == 2 ? Order.SECOND_ORDER : Order.FIRST_ORDER).withAdaptedGroups(List.of("mlp"))
                .withExecution(LearnerConfig.Execution.valueOf(execution)).withStackSize(stackSize);
        maml = new Maml<>(MeluWorkload.model(), cfg, io.metarec.optim.Adam.withDefaults(cfg.outerLr(), optimizer.equals("lazy-adam")));
        step = 0;
        MeluMamlBench.CpuClock.resetPeakRss();
    }

    @Benchmark
    public double metaStep(CpuClock clock) {
        clock.steps++;
        return maml.metaStep(MeluWorkload.batch(pool, step++)).loss();
    }

    /** Meta-steps and process CPU seconds per iteration (not normalised by JMH). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class CpuClock {
        private static final com.sun.management.OperatingSystemMXBean OS =
                (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        public double steps;
        private long start;

        @Setup(Level.Iteration)
        public void start() {
            steps = 0;
            start = OS.getProcessCpuTime();
        }

        public double cpuSeconds() { return (OS.getProcessCpuTime() - start) / 1e9; }

        /**
         * Restarts the kernel's peak-RSS count (Linux >= 4.0), called at the end of the trial set-up so
         * that {@link #peakRssMiB} covers the steps (with the JVM, model and data resident), not the
         * set-up's transients: as bench/melu_torch.py does per row. Silently nothing where refused.
         */
        static void resetPeakRss() {
            try {
                java.nio.file.Files.writeString(java.nio.file.Path.of("/proc/self/clear_refs"), "5");
            } catch (java.io.IOException | RuntimeException e) {
                // not Linux, or not allowed: the peak then includes the set-up
            }
        }

        /** The fork's peak resident set so far (VmHWM of /proc/self/status), MiB; NaN where unreadable. */
        public double peakRssMiB() {
            try {
                for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status")))
                    if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            } catch (java.io.IOException | RuntimeException e) {
                // not Linux: no figure
            }
            return Double.NaN;
        }
    }
}
