package io.metarec.bench;

import io.metarec.backend.Backends;
import io.metarec.meta.Batch;
import io.metarec.meta.LearnerConfig;
import io.metarec.meta.Maml;
import io.metarec.meta.MlpRegression;
import io.metarec.meta.Order;
import io.metarec.meta.Task;
import io.metarec.meta.sinusoid.SinusoidTasks;
import io.metarec.nn.Activation;
import io.metarec.util.EnginePool;
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
 * One second-order MAML meta-step on the sinusoid workload of Finn et al. 2017 per invocation,
 * mirroring {@code melu_torch.py sinusoid} (RESULTS.md): MLP 1-40-40-1 ReLU, 10 support and 10
 * query points per task, meta-batch 25, one inner SGD step (α = 0.01), Adam 1e-3; a pool of 4
 * meta-batches, step i uses batch i mod 4. Score in ops/s = meta-steps/s; secondary results as
 * {@link MeluMamlBench} ({@code steps}, {@code cpuSeconds}, {@code peakRssMiB}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 7, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class SinusoidMamlBench {
    @Param({"PER_TASK", "BATCHED"}) String execution;
    @Param({"1", "2"}) int threads;
    @Param({"cpu"}) String backend;

    private Maml<Batch> maml;
    private List<List<Task<Batch>>> pool;
    private long step;

    @Setup(Level.Trial)
    public void setup() {
        Backends.use(Backends.select(backend));
        EnginePool.setThreads(threads);
        SinusoidTasks tasks = new SinusoidTasks(0);
        pool = List.of(tasks.next(25, 10, 10), tasks.next(25, 10, 10), tasks.next(25, 10, 10), tasks.next(25, 10, 10));
        LearnerConfig cfg = LearnerConfig.defaults().withInnerSteps(1).withInnerLr(0.01f).withOuterLr(1e-3f)
                .withOrder(Order.SECOND_ORDER).withExecution(LearnerConfig.Execution.valueOf(execution));
        maml = new Maml<>(new MlpRegression(new int[] {1, 40, 40, 1}, Activation.RELU), cfg);
        step = 0;
        MeluMamlBench.CpuClock.resetPeakRss();
    }

    @Benchmark
    public double metaStep(MeluMamlBench.CpuClock clock) {
        clock.steps++;
        return maml.metaStep(pool.get((int) (step++ % 4))).loss();
    }
}
