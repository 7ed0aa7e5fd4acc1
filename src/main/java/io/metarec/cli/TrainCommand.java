package io.metarec.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metarec.rec.split.Scenario;
import io.metarec.rec.train.Experiment;
import io.metarec.rec.train.RecConfig;
import io.metarec.rec.train.RecTrainer;
import io.metarec.rec.train.SavedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Meta-trains one learner on a dataset's training users and saves the model. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false, defaultValueProvider = LearnerNames.Defaults.class,
        description = {"Meta-train a recommender on a dataset and save the model.",
                "Trains on the training users of the split (--split, else DIR/split.csv, else the MeLU protocol),",
                "with early stopping on held-out training users; saves the model (checkpointed at every better epoch) and a learning curve."})
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

    @Option(names = "--force", description = "replace an existing model file (and its learning curve)")
    boolean force;

    @Mixin RecOptions rec;
    @Mixin ProgressOptions progress;
    @Mixin CommonOptions common;

    @Override public Integer call() throws IOException {
        common.backend();
        RecConfig c = rec.config(algo);
        Path file = out != null ? out : Path.of("runs", c.algo() + "-" + c.model() + ".metarec");
        Path curve = curveOf(file);
        Outputs.newFile("--out", file, force); // before any work: a directory, an unwritable folder or an existing model fail now
        Outputs.file("--out", curve);
        Experiment e = Experiment.prepare(data, split, c.feedback(), c.validation(), c.seed());
        System.out.printf(Locale.ROOT, "%s: %d users, %d items, %d interactions; %d training users, %d for validation%n",
                e.data().name(), e.data().numUsers(), e.data().numItems(), e.data().interactions().size(),
                e.trainTasks().size(), e.validationTasks().size());
        ObjectNode info = new ObjectMapper().createObjectNode();
        var learner = e.newLearner(c);
        Experiment.Trained t;
        try (Progress p = new Progress(c.algo(), progress.quiet) {
            @Override public void epoch(RecTrainer.Epoch ep, boolean best) {
                super.epoch(ep, best);
                if (best) save(file, c, e, learner, info); // checkpoint: the best so far, atomically
            }
        }) {
            t = e.train(c, learner, p);
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
        System.out.printf(Locale.ROOT, "model written to %s (best epoch %d of %d, %.0f s); learning curve %s%n", file,
                t.history().bestEpoch(), t.history().epochs().size(), t.seconds(), curve);
        System.out.println("next: metarec evaluate --model " + file + " --data " + data + "   (cold-start users: "
                + e.split().tasks(Scenario.USER_COLD).size() + ")");
        return 0;
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
