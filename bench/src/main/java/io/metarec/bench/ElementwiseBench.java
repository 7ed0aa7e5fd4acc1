package io.metarec.bench;

import io.metarec.backend.Backend;
import io.metarec.backend.Backends;
import io.metarec.backend.Binary;
import io.metarec.backend.Broadcast;
import io.metarec.backend.Buffer;
import io.metarec.backend.Unary;
import io.metarec.backend.cpu.HeapBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
 * Elementwise kernels per CPU backend on a [rows, cols] activation: unary exp / relu / tanh /
 * sigmoid, binary mul of equal shapes, and the broadcast bias add [rows, cols] + [cols] of every
 * Linear layer. Score: microseconds per call (lower is better); sizes include odd ones so the
 * scalar tails are measured too.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 8, time = 1) // tanh has a slow phase of ~2 s about 5 s into a fork (C1-compiled callers), then runs at full speed
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class ElementwiseBench {
    @Param({"cpu-scalar", "cpu"})
    public String backend;

    /** rows x cols: MeLU activations (support 20/100, 32 tasks × 100) and an odd size. */
    @Param({"20x64", "100x256", "3200x64", "1023x129"})
    public String size;

    Backend be;
    Buffer x, y, bias, out;
    Broadcast same, biasPlan;

    @Setup(Level.Trial)
    public void setUp() {
        be = Backends.select(backend);
        int[] d = Data.dims("size", size);
        SplittableRandom rnd = new SplittableRandom(42);
        x = be.upload(Data.uniform(d[0] * d[1], rnd));
        y = be.upload(Data.uniform(d[0] * d[1], rnd));
        bias = be.upload(Data.uniform(d[1], rnd));
        out = be.allocate(d[0] * d[1]);
        same = Broadcast.of("mul", d, d);
        biasPlan = Broadcast.of("add", d, new int[] {d[1]});
    }

    private float[] unary(Unary op) {
        be.unary(op, x, out, 0f, 0f);
        return HeapBuffer.of(out);
    }

    @Benchmark public float[] exp() { return unary(Unary.EXP); }

    @Benchmark public float[] relu() { return unary(Unary.RELU); }

    @Benchmark public float[] tanh() { return unary(Unary.TANH); }

    @Benchmark public float[] sigmoid() { return unary(Unary.SIGMOID); }

    @Benchmark
    public float[] mul() {
        be.binary(Binary.MUL, x, y, out, same);
        return HeapBuffer.of(out);
    }

    @Benchmark
    public float[] biasAdd() {
        be.binary(Binary.ADD, x, bias, out, biasPlan);
        return HeapBuffer.of(out);
    }
}
