// Meta-steps per second on Spark (local[1], local[2]) against the plain single-machine trainer, on
// the same workload, and the per-step time Spark adds. Run through bench/spark.sh (which builds the
// jar and puts Spark's jars on the classpath); the figures are in docs/spark.md.
//
//   bench/spark.sh [--users N] [--items N] [--batches 32,256] [--steps N] [--warmup N] [--more-partitions 8,…]
//
// Workload: a synthetic dataset calibrated to MovieLens (6,000 users × 3,000 items by default, the
// size of ML-1M), the default configuration (MeLU model with identities, MAML, 1 inner step),
// epoch 1's training tasks in one seeded order. Every engine runs the same meta-steps from the
// same θ: `warmup` steps untimed, then `steps` timed ones.

import io.metarec.meta.MetaLearner;
import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import io.metarec.rec.model.Examples;
import io.metarec.rec.split.MeluProtocol;
import io.metarec.rec.train.Experiment;
import io.metarec.rec.train.Feedback;
import io.metarec.rec.train.RecConfig;
import io.metarec.rec.train.RecTrainer;
import io.metarec.spark.HostParams;
import io.metarec.spark.Recipe;
import io.metarec.spark.SparkRun;
import io.metarec.spark.SparkTraining;
import org.apache.spark.api.java.JavaSparkContext;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

public class SparkBench {
    public static void main(String[] args) {
        int users = 6000, items = 3000, steps = 8, warmup = 2;
        List<Integer> batches = List.of(32, 256);
        List<Integer> morePartitions = List.of(); // extra local[2] runs with more partitions than cores (the driver's cost per partition)
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--users" -> users = Integer.parseInt(args[i + 1]);
                case "--items" -> items = Integer.parseInt(args[i + 1]);
                case "--steps" -> steps = Integer.parseInt(args[i + 1]);
                case "--warmup" -> warmup = Integer.parseInt(args[i + 1]);
                case "--batches" -> batches = java.util.Arrays.stream(args[i + 1].split(",")).map(Integer::parseInt).toList();
                case "--more-partitions" -> morePartitions = java.util.Arrays.stream(args[i + 1].split(",")).map(Integer::parseInt).toList();
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Dataset d = Synthetic.generate(SyntheticConfig.of(users, items, 7)).dataset();
        Experiment e = Experiment.of(d, MeluProtocol.defaults().split(d), Feedback.explicit(), 0.1, 1);
        int n = e.trainValidation().train().size();
        RecConfig base = RecConfig.defaults();
        System.out.printf(Locale.ROOT, "workload: %d users, %d items, %d training tasks; θ = %d floats; %d cores%n", users, items, n,
                HostParams.of(e.newLearner(base).metaParams()).count(), Runtime.getRuntime().availableProcessors());
        int[] order = io.metarec.util.Shuffle.permutation(n, new SplittableRandom(1));
        List<String> rows = new ArrayList<>();
        rows.add("| meta-batch | engine | steps/s | tasks/s | ms/step | broadcast | Spark job | slowest partition's work | Spark's overhead per step |");
        rows.add("|---|---|---|---|---|---|---|---|---|");
        for (int b : batches) {
            RecConfig c = new RecConfig(base.model(), base.embeddingDim(), base.hidden(), base.feedback(), base.algo(), base.innerSteps(), base.innerLr(),
                    base.outerLr(), b, 1, 0, base.validation(), base.execution(), base.seed(), base.identity(), base.lslr(), base.variedSupport(),
                    base.foldIn(), base.resplit());
            if ((warmup + steps) * b > n) throw new IllegalArgumentException("too few tasks for " + (warmup + steps) + " steps of " + b);
            // The plain trainer: MetaLearner.metaStep on the engine pool (all cores). A first run warms the JIT up
            // (the Spark runs come after it and find it warm), the second is timed.
            MetaLearner<Examples> jit = e.newLearner(c);
            RecTrainer.Engine warm = RecTrainer.local(jit, ep -> e.epochTasks(c, ep, IntStream.range(0, n).toArray()), List.of());
            warm.epoch(1);
            time(warm, order, b, warmup, steps);
            MetaLearner<Examples> plain = e.newLearner(c);
            RecTrainer.Engine local = RecTrainer.local(plain, ep -> e.epochTasks(c, ep, IntStream.range(0, n).toArray()), List.of());
            local.epoch(1);
            double ms = time(local, order, b, warmup, steps);
            rows.add(row(b, "plain trainer (" + io.metarec.util.EnginePool.threads() + " threads)", ms, b, null));
            HostParams reference = HostParams.of(plain.metaParams());
            List<String[]> runs = new ArrayList<>(List.of(new String[][] {{"local[1]", "1", "1", ""}, {"local[2]", "2", "1", ""},
                    {"local[2]", "2", "1", "barrier"}, {"local[2]", "2", "4", ""}}));
            for (int p : morePartitions) runs.add(new String[] {"local[2]", Integer.toString(p), "1", ""});
            for (String[] run : runs) {
                boolean barrier = run[3].equals("barrier");
                JavaSparkContext sc = SparkRun.context(run[0]);
                try {
                    MetaLearner<Examples> l = e.newLearner(c);
                    Recipe r = SparkRun.recipe(sc, e, c, null, Path.of("unused"), null, null);
                    int k = Integer.parseInt(run[2]);
                    int w = (warmup + k - 1) / k * k, timed = (steps + k - 1) / k * k; // whole rounds of k local steps
                    if ((w + timed) * b > n) continue;
                    try (SparkTraining engine = new SparkTraining(sc, r, l, Integer.parseInt(run[1]), k, b, 0, barrier)) {
                        engine.epoch(1);
                        for (int s = 0; s < w; s++) engine.step(order, s * b, (s + 1) * b);
                        SparkTraining.Timings t0 = copy(engine.timings());
                        long start = System.nanoTime();
                        for (int s = w; s < w + timed; s++) engine.step(order, s * b, (s + 1) * b);
                        double msSpark = (System.nanoTime() - start) / 1e6 / timed;
                        SparkTraining.Timings t = diff(engine.timings(), t0);
                        String name = "Spark " + run[0] + ", " + run[1] + " partition" + (run[1].equals("1") ? "" : "s") + (k > 1 ? ", " + k + " local steps" : "") + (barrier ? ", barrier" : "");
                        rows.add(row(b, name, msSpark, b, t));
                        if (k == 1 && !reference.sameBits(HostParams.of(l.metaParams())))
                            throw new IllegalStateException(name + ": not the plain trainer's parameters");
                    } finally {
                        Recipe.forget(r.id());
                    }
                } finally {
                    sc.stop();
                }
            }
        }
        rows.forEach(System.out::println);
    }

    static double time(RecTrainer.Engine engine, int[] order, int b, int warmup, int steps) {
        for (int s = 0; s < warmup; s++) engine.step(order, s * b, (s + 1) * b);
        long start = System.nanoTime();
        for (int s = warmup; s < warmup + steps; s++) engine.step(order, s * b, (s + 1) * b);
        return (System.nanoTime() - start) / 1e6 / steps;
    }

    static String row(int b, String engine, double ms, int tasks, SparkTraining.Timings t) {
        String spark = t == null ? "– | – | – | –" : t.computeNanos == 0 // local steps: the round's work is not split out
                ? String.format(Locale.ROOT, "%.1f ms | %.0f ms | – | –", t.perStep(t.broadcastNanos), t.perStep(t.jobNanos))
                : String.format(Locale.ROOT, "%.1f ms | %.0f ms | %.0f ms | %.0f ms", t.perStep(t.broadcastNanos),
                t.perStep(t.jobNanos), t.perStep(t.computeNanos), ms - t.perStep(t.computeNanos));
        String line = String.format(Locale.ROOT, "| %d | %s | %.2f | %.0f | %.0f | %s |", b, engine, 1000 / ms, tasks * 1000 / ms, ms, spark);
        System.out.println(line);
        return line;
    }

    static SparkTraining.Timings copy(SparkTraining.Timings t) {
        return diff(t, new SparkTraining.Timings());
    }

    static SparkTraining.Timings diff(SparkTraining.Timings a, SparkTraining.Timings b) {
        SparkTraining.Timings d = new SparkTraining.Timings();
        d.steps = a.steps - b.steps;
        d.broadcastNanos = a.broadcastNanos - b.broadcastNanos;
        d.jobNanos = a.jobNanos - b.jobNanos;
        d.computeNanos = a.computeNanos - b.computeNanos;
        d.combineNanos = a.combineNanos - b.combineNanos;
        d.applyNanos = a.applyNanos - b.applyNanos;
        d.shardNanos = a.shardNanos - b.shardNanos;
        return d;
    }
}
