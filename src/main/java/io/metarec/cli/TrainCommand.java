package io.metarec.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metarec.rec.split.Scenario;
import io.metarec.rec.train.Checkpoint;
import io.metarec.rec.train.Experiment;
import io.metarec.rec.train.MemoryEstimate;
import io.metarec.rec.train.RecConfig;
import io.metarec.rec.train.RecTrainer;
import io.metarec.rec.train.SavedModel;
import io.metarec.rec.train.TrainingDivergedException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/** Meta-trains one learner on a dataset's training users and saves the model. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false, defaultValueProvider = LearnerNames.Defaults.class,
        description = {"Meta-train a recommender on a dataset and save the model.",
                "Trains on the training users of the split (--split, else DIR/split.csv, else the MeLU protocol),",
                "with early stopping on held-out training users; saves the model (at every better epoch) and a learning curve.",
                "After every epoch it writes a checkpoint, FILE.ckpt beside the model; --resume continues an interrupted run from it,",
                "ending with the parameters an uninterrupted run gives. The checkpoint is removed when training completes."})
public final class TrainCommand implements Callable<Integer> {
    @Option(names = "--data", required = true, paramLabel = "DIR", description = "dataset directory (generic layout or MovieLens)")
    Path data;

    @Option(names = "--split", paramLabel = "FILE", description = "split file (default: DIR/split.csv when present, else the MeLU protocol)")
    Path split;

    @Option(names = "--algo", paramLabel = "NAME", completionCandidates = LearnerNames.All.class,
            description = "the learner: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
    String algo;

    @Option(names = {"--out", "-o"}, paramLabel = "FILE", description = "model file (default: runs/<algo>-<model>.metarec); refused if it exists, unless --force")
    Path out;

    @Option(names = "--force", description = "replace an existing model file (and its learning curve); start afresh over an unfinished run's checkpoint")
    boolean force;

    @Option(names = "--resume", description = "continue the interrupted run whose checkpoint is FILE.ckpt (same options and data; refused otherwise)")
    boolean resume;

    @Option(names = "--local-steps", paramLabel = "K",
            description = "with --spark: K meta-steps on each partition's own tasks, then the partitions' parameters are averaged "
                    + "(fewer rounds, Reptile-like; not the single machine's result). Default 1: gradients summed every step, bitwise the single machine's")
    Integer localSteps;

    @Option(names = "--barrier", description = "with --spark: run each step's stage in barrier mode (all partitions start together; needs a task slot per partition)")
    boolean barrier;

    @Mixin RecOptions rec;
    @Mixin SparkOptions spark;
    @Mixin ProgressOptions progress;
    @Mixin CommonOptions common;

    @Override public Integer call() throws IOException {
        common.backend();
        spark.check(localSteps == null ? null : "--local-steps", barrier ? "--barrier" : null);
        if (localSteps != null && localSteps < 1) throw new IllegalArgumentException("--local-steps must be at least 1, got " + localSteps);
        RecConfig c = rec.config(algo);
        if (spark.on() && c.outerOptimizer() == io.metarec.optim.OuterOptimizer.LAZY_ADAM)
            throw new IllegalArgumentException("--spark sums dense gradients, so every embedding row would count as touched: "
                    + "--outer-optimizer lazy-adam runs without --spark (docs/spark.md)");
        Path file = out != null ? out : Path.of("runs", c.algo() + "-" + c.model() + ".metarec");
        Path curve = curveOf(file);
        Path ckpt = Checkpoint.fileFor(file);
        // Before any work: a directory, an unwritable folder, an existing model or checkpoint fail now.
        Checkpoint.Saved from = resume ? resumable(file, ckpt) : null;
        if (!resume) {
            if (!force && Files.exists(ckpt, LinkOption.NOFOLLOW_LINKS))
                throw new IllegalArgumentException("--out: " + ckpt + " holds the checkpoint of an unfinished run into " + file
                        + " (use --resume to continue it, or --force to start afresh)");
            Outputs.newFile("--out", file, force);
        }
        Outputs.file("--out", curve);
        Outputs.file("--out", ckpt);
        Experiment e = Experiment.prepare(data, split, c.feedback(), c.validation(), c.seed());
        System.out.printf(Locale.ROOT, "%s: %d users, %d items, %d interactions; %d training users, %d for validation (%d validation tasks)%n",
                e.data().name(), e.data().numUsers(), e.data().numItems(), e.data().interactions().size(),
                e.trainTasks().size(), e.trainValidation().validation().size(), e.validationTasks().size());
        ObjectNode info = new ObjectMapper().createObjectNode();
        var learner = e.newLearner(c);
        // Before the first step (and before --force removes an older checkpoint): a job far larger than the heap fails now.
        if (!spark.on()) memoryCheck("this job", c, e, learner);
        Checkpoint.Fingerprint fingerprint = Checkpoint.Fingerprint.of(c, e, learner.backend().name());
        if (from != null) {
            String different = from.fingerprint().difference(fingerprint);
            if (different != null)
                throw new IllegalArgumentException("--resume: " + ckpt + " is of a run with " + different
                        + "; resume with the options and data it was started with, or start afresh with --force");
            Checkpoint s = from.state();
            System.out.printf(Locale.ROOT, "resuming from %s: epoch %d of %d done, best epoch %d%s%n", ckpt, s.epoch(), c.epochs(), s.bestEpoch(),
                    s.finished() ? "; training had finished, writing the model" : "");
            info.put("resumed_from_epoch", s.epoch());
        } else {
            Checkpoint.delete(ckpt); // --force: an older run's checkpoint must not outlive this start
        }
        Experiment.Trained t;
        try (Progress p = new Progress(c.algo(), progress.quiet) {
            @Override public void epoch(RecTrainer.Epoch ep, boolean best) {
                super.epoch(ep, best);
                if (best) save(file, c, e, learner, info); // the best so far, atomically
            }

            @Override public void checkpoint(Supplier<Checkpoint> state) {
                try {
                    state.get().save(ckpt, fingerprint); // where the run stands, atomically: what --resume continues from
                } catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
            }
        }) {
            Checkpoint state = from == null ? null : from.state();
            if (spark.on()) {
                info.put("spark_master", spark.master);
                info.put("spark_local_steps", localSteps == null ? 1 : localSteps);
                t = io.metarec.spark.SparkRun.train(new io.metarec.spark.SparkRun.Options(spark.master, spark.partitions, localSteps == null ? 1 : localSteps, barrier),
                        e, c, learner, p, state, data, split, System.out);
            } else {
                t = e.train(c, learner, p, state);
            }
        } catch (TrainingDivergedException x) {
            Checkpoint.delete(ckpt); // nothing better than the start: resuming would only diverge again
            throw x;
        }
        if (!Double.isNaN(t.history().initialValidationLoss()))
            System.out.printf(Locale.ROOT, "  epoch  0  (initial)     validation %.4f%s%n", t.history().initialValidationLoss(),
                    t.history().bestEpoch() == 0 ? "  ← kept" : "");
        for (RecTrainer.Epoch ep : t.history().epochs())
            System.out.printf(Locale.ROOT, "  epoch %2d  train %.4f  validation %.4f  %.0f tasks/s%s%n", ep.epoch(), ep.trainLoss(),
                    ep.validationLoss(), ep.tasksPerSecond(), ep.epoch() == t.history().bestEpoch() ? "  ← kept" : "");
        if (t.history().diverged()) {
            System.err.println("metarec train: note: " + divergenceNote(t));
            info.put("diverged_epoch", t.history().divergedEpoch());
        }
        info.put("trained_at", Instant.now().toString());
        info.put("best_epoch", t.history().bestEpoch());
        info.put("validation_loss", t.history().bestValidationLoss());
        info.put("epochs", t.history().epochs().size());
        info.put("seconds", t.seconds());
        info.put("train_users", e.trainTasks().size());
        info.put("split", e.split().description());
        save(file, c, e, t.learner(), info);
        Charts.learningCurve(c.algo() + " on " + e.data().name(), t.history(), curve);
        Checkpoint.delete(ckpt); // training completed: the model is the result, nothing is left to resume
        System.out.printf(Locale.ROOT, "model written to %s (best epoch %d of %d, %.0f s); learning curve %s%n", file,
                t.history().bestEpoch(), t.history().epochs().size(), t.seconds(), curve);
        System.out.println("next: metarec evaluate --model " + file + " --data " + data + "   (cold-start users: "
                + e.split().tasks(Scenario.USER_COLD).size() + ")");
        return 0;
    }

    /**
     * Estimates the heap meta-training {@code learner} needs ({@link MemoryEstimate}) and refuses a job
     * that cannot fit (exit 2, one line); {@code -Dmetarec.memory.verbose=true} prints the estimate.
     * Only on a backend whose buffers are heap arrays (a device's tapes are not on the heap).
     */
    static void memoryCheck(String what, RecConfig c, Experiment e, io.metarec.meta.MetaLearner<io.metarec.rec.model.Examples> learner) {
        if (!learner.backend().hostResident()) return;
        MemoryEstimate m = MemoryEstimate.of(c, e, learner, io.metarec.util.EnginePool.threads());
        if (Boolean.getBoolean("metarec.memory.verbose")) System.err.println("metarec: " + what + ": " + m.describe());
        m.check(what, Runtime.getRuntime().maxMemory());
    }

    /** The checkpoint {@code --resume} continues: it must exist and be readable ({@code --force} would contradict it). */
    private Checkpoint.Saved resumable(Path file, Path ckpt) throws IOException {
        if (force)
            throw new IllegalArgumentException("--resume and --force contradict each other: --resume continues the run checkpointed in " + ckpt
                    + ", --force starts afresh; give one of them");
        Outputs.file("--out", file);
        if (!Files.exists(ckpt, LinkOption.NOFOLLOW_LINKS))
            throw new IllegalArgumentException("--resume: no checkpoint " + ckpt + " to continue (train writes it after every epoch and removes it"
                    + " when training completes); run without --resume to start");
        if (!Files.isRegularFile(ckpt)) throw new IllegalArgumentException("--resume: " + ckpt + " is not a regular file");
        return Checkpoint.load(ckpt);
    }

    /** The line about a run that diverged after a better epoch: where, why, what was kept, what to change. */
    static String divergenceNote(Experiment.Trained t) {
        return String.format(Locale.ROOT, "training diverged in epoch %d (%s); kept epoch %d, the best before it; %s", t.history().divergedEpoch(),
                t.history().divergence(), t.history().bestEpoch(), Experiment.divergenceAdvice(t.config()));
    }

    /** The learning curve's file beside the model: m.metarec → m.curve.png. */
    static Path curveOf(Path model) {
        return Path.of(model.toString().replaceFirst("\\.metarec$", "") + ".curve.png");
    }

    private static void save(Path file, RecConfig c, Experiment e, io.metarec.meta.MetaLearner<io.metarec.rec.model.Examples> learner, ObjectNode info) {
        try {
            SavedModel.save(file, c, e, learner, info);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
