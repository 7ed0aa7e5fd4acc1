package io.metarec.bench;

import io.metarec.backend.Backend;
import io.metarec.backend.Buffer;
import io.metarec.backend.Fused;
import io.metarec.backend.cpu.ScalarBackend;
import io.metarec.backend.cpu.VectorBackend;
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
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One fused dense Adam step over MeLU's 458,401 parameters as one tensor (µs per call): the scalar
 * kernel (cpu-scalar) against the vector one (cpu, split over {@code threads} engine threads).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class AdamBench {
    @Param({"cpu-scalar", "cpu"}) String backend;
    @Param({"1", "2"}) int threads;
    @Param({"458401"}) int n;

    private Backend be;
    private Buffer p, g, m, v;
    private Fused.AdamCoefficients c;

    @Setup(Level.Trial)
    public void setup() {
        EnginePool.setThreads(threads);
        be = backend.equals("cpu") ? new VectorBackend() : new ScalarBackend();
        SplittableRandom r = new SplittableRandom(1);
        float[] x = new float[n], y = new float[n], z = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextDouble(-1, 1);
            y[i] = (float) r.nextDouble(-1e-2, 1e-2);
            z[i] = (float) r.nextDouble(0, 1e-4);
        }
        p = be.upload(x);
        g = be.upload(y);
        m = be.upload(y);
        v = be.upload(z);
        c = Fused.AdamCoefficients.of(1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 10);
    }

    @Benchmark
    public Fused.AdamResult step() {
        return be.adamStep(p, g, m, v, c);
    }
}
