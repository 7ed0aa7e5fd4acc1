package io.metarec.spark;

import io.metarec.meta.MetaLearner;
import io.metarec.rec.model.Examples;
import io.metarec.rec.train.Experiment;
import io.metarec.rec.train.Checkpoint;
import io.metarec.rec.train.RecConfig;
import io.metarec.rec.train.RecTrainer;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * Starting a run on Spark: the context, and the {@link Recipe} that lets the executors rebuild the
 * driver's experiment. In local mode the driver's objects are registered for its executor threads;
 * on a cluster the data (and split and model files) are shipped with {@code addFile} unless the
 * executors see the same path.
 */
public final class SparkRun {
    private SparkRun() {}

    /** Whether Apache Spark's classes can be loaded here. */
    public static boolean available() {
        try {
            Class.forName("org.apache.spark.SparkContext", false, SparkRun.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * A Spark context for {@code master} ("local[2]", "spark://host:7077", "yarn", …; empty or null:
     * the master spark-submit set). The settings metarec relies on: a barrier stage that cannot get
     * all its slots fails at once instead of retrying for minutes; Spark's INFO log is quietened.
     */
    public static JavaSparkContext context(String master) {
        quiet();
        SparkConf conf = new SparkConf().setAppName("metarec");
        if (master != null && !master.isEmpty()) conf.setMaster(master);
        else if (!conf.contains("spark.master"))
            throw new IllegalArgumentException("--spark: no master given and none set by spark-submit; give one, e.g. --spark local[2]");
        conf.setIfMissing("spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures", "1");
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        conf.setIfMissing("spark.ui.enabled", "false");
        JavaSparkContext sc = new JavaSparkContext(conf);
        return sc;
    }

    /**
     * Spark logs at INFO by default; metarec's output is its own. Unless a log4j configuration is
     * given (-Dlog4j2.configurationFile), Spark's warnings and errors go to stderr, one line each
     * (-Dmetarec.spark.log=INFO shows more). Must run before anything logs.
     */
    private static void quiet() {
        if (System.getProperty("log4j2.configurationFile") == null && System.getProperty("log4j.configurationFile") == null) {
            var url = SparkRun.class.getResource("log4j2.properties");
            if (url != null) System.setProperty("log4j2.configurationFile", url.toString());
        }
    }

    /** Partitions: the ones asked for, else the context's default parallelism (its task slots). */
    public static int partitions(JavaSparkContext sc, Integer asked) {
        int p = asked != null ? asked : sc.defaultParallelism();
        if (p < 1) throw new IllegalArgumentException("--partitions must be at least 1, got " + p);
        return p;
    }

    /**
     * The recipe of a run (training: {@code saved} null; evaluation: the model's learner and file),
     * with the driver's objects registered (local mode) or the files shipped (a cluster).
     */
    public static Recipe recipe(JavaSparkContext sc, Experiment e, RecConfig c, MetaLearner<Examples> saved, Path data, Path split, Path model) {
        Recipe r = new Recipe(UUID.randomUUID().toString(), data.toString(), split == null ? null : split.toString(),
                model == null ? null : model.toString(), c);
        Recipe.register(r.id(), new Recipe.Context(e, c, saved));
        if (!sc.isLocal()) {
            ship(sc, data);
            if (split != null) ship(sc, split);
            if (model != null) ship(sc, model);
        }
        return r;
    }

    /** How a command runs on Spark (the CLI's options). */
    public record Options(String master, Integer partitions, int localSteps, boolean barrier) {}

    /**
     * Meta-trains {@code learner} on Spark ({@link SparkTraining}): starts the context, runs
     * {@link Experiment#train} with the Spark engine, stops the context.
     */
    public static Experiment.Trained train(Options o, Experiment e, RecConfig c, MetaLearner<Examples> learner, RecTrainer.Listener listener,
                                           Checkpoint from, Path data, Path split, java.io.PrintStream log) {
        JavaSparkContext sc = context(o.master());
        Recipe r = null;
        try {
            int parts = partitions(sc, o.partitions());
            log.printf(java.util.Locale.ROOT, "spark: %s, %d partitions%s%s%n", sc.master(), parts,
                    o.localSteps() > 1 ? ", " + o.localSteps() + " local steps then parameter averaging" : ", gradients summed per step",
                    o.barrier() ? ", barrier stages" : "");
            if (learner.batched())
                log.println("spark: note: batched execution sums a partition's tasks in one kernel: the result matches the single machine's only to "
                        + "rounding (per-task execution, the CPU's default, matches it bitwise)");
            r = recipe(sc, e, c, null, data, split, null);
            try (SparkTraining engine = new SparkTraining(sc, r, learner, parts, o.localSteps(), c.metaBatch(), e.validationTasks().size(), o.barrier())) {
                Experiment.Trained t = e.train(c, learner, engine, listener, from);
                log.println("spark: " + engine.timings());
                return t;
            }
        } finally {
            if (r != null) Recipe.forget(r.id());
            sc.stop();
        }
    }

    /** Evaluates a saved model on Spark ({@link SparkEvaluation}); with {@code topK} > 0 also the top-k lists. */
    public static SparkEvaluation.Result evaluate(Options o, Experiment e, RecConfig c, MetaLearner<Examples> saved, List<SparkEvaluation.Spec> specs,
                                                  boolean catalogue, int topK, Path data, Path split, Path model, java.io.PrintStream log) {
        JavaSparkContext sc = context(o.master());
        Recipe r = null;
        try {
            int parts = partitions(sc, o.partitions());
            log.printf(java.util.Locale.ROOT, "spark: %s, %d partitions%n", sc.master(), parts);
            r = recipe(sc, e, c, saved, data, split, model);
            return SparkEvaluation.evaluate(sc, r, e, specs, catalogue, parts, topK);
        } finally {
            if (r != null) Recipe.forget(r.id());
            sc.stop();
        }
    }

    private static void ship(JavaSparkContext sc, Path p) {
        sc.sc().addFile(p.toAbsolutePath().toString(), Files.isDirectory(p));
    }
}
