package io.metarec.bench;

import io.metarec.backend.Backend;
import io.metarec.backend.Backends;
import io.metarec.backend.Buffer;
import io.metarec.backend.Indices;
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
 * Embedding-style indexing per CPU backend: gather {@code rows} random rows of a table with
 * {@code cols} columns (Embedding forward), scatter-add them back (its gradient), and the segment
 * mean over bags of 1–3 consecutive rows (EmbeddingBag mean, as MeLU's genre/actor features).
 * Score: microseconds per call; odd widths measure the scalar tails.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class IndexBench {
    @Param({"cpu-scalar", "cpu"})
    public String backend;

    /** Rows looked up per call. */
    @Param({"100", "3200"})
    public int rows;

    /** Embedding width. */
    @Param({"32", "33", "256"})
    public int cols;

    /** Rows in the table (MeLU's actor vocabulary). */
    static final int TABLE = 8030;

    Backend be;
    Buffer table, gathered, grad, bags;
    Indices ids, offsets;

    @Setup(Level.Trial)
    public void setUp() {
        be = Backends.select(backend);
        SplittableRandom rnd = new SplittableRandom(42);
        table = be.upload(Data.uniform(TABLE * cols, rnd));
        int[] idx = new int[rows];
        for (int i = 0; i < rows; i++) idx[i] = rnd.nextInt(TABLE);
        ids = Indices.wrap(idx);
        gathered = be.allocate(rows * cols);
        grad = be.zeros(TABLE * cols);
        // Bags of 1..3 consecutive gathered rows, like a multi-valued feature per example.
        int[] off = new int[rows + 1];
        int s = 0;
        for (int r = 0; r < rows; s++) {
            off[s] = r;
            r = Math.min(rows, r + 1 + rnd.nextInt(3));
        }
        off[s] = rows;
        offsets = Indices.wrap(java.util.Arrays.copyOf(off, s + 1));
        bags = be.allocate(s * cols);
        be.gatherRows(table, cols, ids, gathered);
    }

    @Benchmark
    public float[] gatherRows() {
        be.gatherRows(table, cols, ids, gathered);
        return HeapBuffer.of(gathered);
    }

    @Benchmark
    public float[] scatterAddRows() {
        be.scatterAddRows(gathered, cols, ids, grad); // accumulates across calls; only the time matters
        return HeapBuffer.of(grad);
    }

    @Benchmark
    public float[] segmentMean() {
        be.segmentMean(gathered, cols, offsets, bags);
        return HeapBuffer.of(bags);
    }
}
