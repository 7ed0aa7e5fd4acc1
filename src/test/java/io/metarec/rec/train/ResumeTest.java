package io.metarec.rec.train;

import io.metarec.meta.LearnerConfig;
import io.metarec.meta.MetaLearner;
import io.metarec.nn.Params;
import io.metarec.optim.Optimizer;
import io.metarec.optim.OuterOptimizer;
import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import io.metarec.rec.model.Examples;
import io.metarec.rec.split.MeluProtocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Resuming meta-training from a {@link Checkpoint}: a run interrupted after epoch k and continued
 * from the checkpoint file by a new learner (on a freshly generated copy of the data) ends with
 * bitwise the parameters and history of the run that was never interrupted — for every k, with
 * Adam's moments, LEO's step-keyed noise, per-epoch varied supports and early stopping in play.
 * Controls show the comparison catches a resume that forgets a part of the state.
 */
class ResumeTest {
    @TempDir Path dir;

    static Experiment experiment(long dataSeed) {
        Dataset d = Synthetic.generate(SyntheticConfig.of(120, 100, dataSeed)).dataset();
        return Experiment.of(d, MeluProtocol.defaults().split(d), Feedback.explicit(), 0.1, 3);
    }

    static RecConfig config(String algo, float outerLr, int epochs, int patience, boolean varied) {
        return new RecConfig("melu", 4, List.of(8), Feedback.explicit(), algo, 1, 0.01f, outerLr, 8, epochs, patience, 0.1,
                LearnerConfig.Execution.PER_TASK, 3, true, false, varied, false, true);
    }

    /** Every meta-parameter's values. */
    static Map<String, float[]> values(MetaLearner<Examples> l) {
        Params p = l.metaParams();
        Map<String, float[]> out = new LinkedHashMap<>();
        for (String n : p.names()) out.put(n, p.get(n).toArray());
        return out;
    }

    static boolean sameBits(Map<String, float[]> a, Map<String, float[]> b) {
        if (!a.keySet().equals(b.keySet())) return false;
        for (String n : a.keySet()) if (!java.util.Arrays.equals(a.get(n), b.get(n))) return false;
        return true;
    }

    static void assertSameBits(Map<String, float[]> expected, Map<String, float[]> actual, String what) {
        assertEquals(expected.keySet(), actual.keySet(), what);
        for (String n : expected.keySet()) assertArrayEquals(expected.get(n), actual.get(n), 0f, what + ": " + n);
    }

    /** The same history but for timings (epochs before the resume keep theirs; later ones are measured anew). */
    static void assertSameHistory(RecTrainer.History expected, RecTrainer.History actual, String what) {
        assertEquals(expected.bestEpoch(), actual.bestEpoch(), what);
        assertEquals(expected.bestValidationLoss(), actual.bestValidationLoss(), 0.0, what);
        assertEquals(expected.initialValidationLoss(), actual.initialValidationLoss(), 0.0, what);
        assertEquals(expected.stoppedEarly(), actual.stoppedEarly(), what);
        assertEquals(expected.epochs().size(), actual.epochs().size(), what);
        for (int k = 0; k < expected.epochs().size(); k++) {
            RecTrainer.Epoch a = expected.epochs().get(k), b = actual.epochs().get(k);
            assertEquals(a.epoch(), b.epoch(), what);
            assertEquals(a.trainLoss(), b.trainLoss(), 0.0, what + ", epoch " + a.epoch());
            assertEquals(a.validationLoss(), b.validationLoss(), 0.0, what + ", epoch " + a.epoch());
            assertEquals(a.skipped(), b.skipped(), what);
        }
    }

    /** Stops a run right after the checkpoint of {@code epoch} is written, as a kill at that moment would. */
    static final class Interrupted extends RuntimeException {
        Interrupted() {
            super("interrupted", null, false, false);
        }
    }

    /** Saves every epoch's checkpoint to {@code files} (index k − 1); throws {@link Interrupted} after epoch {@code stopAfter} (0: never). */
    static RecTrainer.Listener checkpointing(List<Path> files, Path dir, Checkpoint.Fingerprint fp, int stopAfter) {
        return new RecTrainer.Listener() {
            @Override public void checkpoint(java.util.function.Supplier<Checkpoint> state) {
                Checkpoint c = state.get();
                Path f = dir.resolve("epoch-" + c.epoch() + ".ckpt");
                try {
                    c.save(f, fp);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                files.add(f);
                if (c.epoch() == stopAfter) throw new Interrupted();
            }
        };
    }

    /** The experiment runs share (its factorised start is computed once); {@link #fingerprint} checks a fresh copy against it. */
    static final Experiment SHARED = experiment(5);

    /** Trains {@code c} from the start, or on from a checkpoint, with a new learner. */
    static Experiment.Trained run(RecConfig c, Checkpoint from, RecTrainer.Listener listener) {
        return SHARED.train(c, SHARED.newLearner(c), listener, from);
    }

    /** The fingerprint of {@code c} on a freshly generated copy of the data. */
    static Checkpoint.Fingerprint fingerprint(RecConfig c) {
        return Checkpoint.Fingerprint.of(c, experiment(5), io.metarec.backend.Backends.current().name());
    }

    /**
     * Resumes from the checkpoint files of the given epochs of an uninterrupted run, and from a run
     * interrupted after the first of them; returns the uninterrupted run.
     */
    Experiment.Trained resumesBitwise(RecConfig c, String what, int... from) throws IOException {
        Checkpoint.Fingerprint fp = fingerprint(c);
        assertNull(fp.difference(Checkpoint.Fingerprint.of(c, SHARED, fp.backend())), "a fresh copy of the same data and options has the same fingerprint");
        List<Path> files = new ArrayList<>();
        Experiment.Trained whole = run(c, null, checkpointing(files, Files.createDirectories(dir.resolve(what)), fp, 0));
        Map<String, float[]> expected = values(whole.learner());
        assertEquals(whole.history().epochs().size(), files.size(), "a checkpoint after every epoch");
        for (int e = 1; e <= files.size(); e++) {
            Checkpoint cp = Checkpoint.load(files.get(e - 1)).state();
            assertEquals(e, cp.epoch());
            assertEquals(e == files.size(), cp.finished(), "only the last checkpoint is of a finished run");
            assertEquals(e == files.size() && whole.history().stoppedEarly(), cp.stoppedEarly());
        }

        int k = from[0];
        List<Path> cut = new ArrayList<>();
        assertThrows(Interrupted.class, () -> run(c, null, checkpointing(cut, Files.createDirectories(dir.resolve(what + "-cut")), fp, k)));
        assertEquals(k, cut.size());
        List<Path> starts = new ArrayList<>(List.of(cut.get(k - 1)));
        for (int e : from) starts.add(files.get(e - 1));
        for (Path f : starts) {
            Checkpoint.Saved saved = Checkpoint.load(f);
            assertNull(saved.fingerprint().difference(fp));
            Experiment.Trained resumed = run(c, saved.state(), new RecTrainer.Listener() {});
            String at = what + " resumed after epoch " + saved.state().epoch() + " (" + f.getParent().getFileName() + ")";
            assertSameBits(expected, values(resumed.learner()), at);
            assertSameHistory(whole.history(), resumed.history(), at);
        }
        return whole;
    }

    @Test
    void mamlWithAdamResumesBitwiseAfterEveryEpoch() throws IOException {
        resumesBitwise(config("maml", 3e-3f, 5, 0, false), "maml", 2, 1, 3, 4, 5);
    }

    @Test
    void leoWithVariedSupportsResumesBitwise() throws IOException {
        // LEO's latent noise is keyed by the meta-step count; varied supports draw each epoch's tasks anew.
        RecConfig c = config("leo", 3e-3f, 2, 0, true);
        Map<String, float[]> expected = values(resumesBitwise(c, "leo", 1).learner());
        // The control: the same checkpoint with the meta-step count forgotten draws other noise in epoch 2.
        Checkpoint cp = Checkpoint.load(dir.resolve("leo").resolve("epoch-1.ckpt")).state();
        MetaLearner.TrainingState s = cp.learner();
        assertTrue(s.metaSteps() > 0);
        Checkpoint forgot = new Checkpoint(cp.epoch(), false, false, cp.curve(), cp.bestEpoch(), cp.bestLoss(), cp.smoothedLoss(), cp.sinceBest(),
                cp.initialLoss(), cp.referenceLoss(), cp.bestParams(), new MetaLearner.TrainingState(s.meta(), s.optimizer(), 0, s.skippedTasks()),
                cp.shuffles());
        assertFalse(sameBits(expected, values(run(c, forgot, new RecTrainer.Listener() {}).learner())), "LEO's noise follows the meta-step count");
    }

    @Test
    void earlyStoppingStateResumesBitwise() throws IOException {
        // An outer rate this large makes every epoch worse than the start: early stopping keeps epoch 0
        // and stops after MIN_EPOCHS epochs (patience 1) of the 8 asked; the last checkpoint is a finished one.
        Experiment.Trained whole = resumesBitwise(config("maml", 0.05f, 8, 1, false), "early", 3, RecTrainer.MIN_EPOCHS);
        assertTrue(whole.history().stoppedEarly(), "the run stops early");
        assertEquals(RecTrainer.MIN_EPOCHS, whole.history().epochs().size());
        assertEquals(0, whole.history().bestEpoch());
    }

    @Test
    void aResumeThatForgetsPartOfTheStateEndsElsewhere() throws IOException {
        RecConfig c = config("maml", 3e-3f, 4, 0, false);
        Checkpoint.Fingerprint fp = fingerprint(c);
        List<Path> files = new ArrayList<>();
        Map<String, float[]> expected = values(run(c, null, checkpointing(files, dir, fp, 0)).learner());
        Checkpoint cp = Checkpoint.load(files.get(1)).state(); // after epoch 2 of 4
        assertTrue(sameBits(expected, values(run(c, cp, new RecTrainer.Listener() {}).learner())), "the control itself resumes bitwise");

        Checkpoint noShuffles = new Checkpoint(cp.epoch(), false, false, cp.curve(), cp.bestEpoch(), cp.bestLoss(), cp.smoothedLoss(), cp.sinceBest(),
                cp.initialLoss(), cp.referenceLoss(), cp.bestParams(), cp.learner(), new int[0]);
        assertFalse(sameBits(expected, values(run(c, noShuffles, new RecTrainer.Listener() {}).learner())),
                "without replaying the task order's stream the order differs");
        MetaLearner.TrainingState s = cp.learner();
        Checkpoint freshAdam = new Checkpoint(cp.epoch(), false, false, cp.curve(), cp.bestEpoch(), cp.bestLoss(), cp.smoothedLoss(), cp.sinceBest(),
                cp.initialLoss(), cp.referenceLoss(), cp.bestParams(),
                new MetaLearner.TrainingState(s.meta(), new Optimizer.State("adam", 0, Params.empty()), s.metaSteps(), s.skippedTasks()), cp.shuffles());
        assertFalse(sameBits(expected, values(run(c, freshAdam, new RecTrainer.Listener() {}).learner())),
                "without Adam's moments and step count the updates differ");
    }

    @Test
    void lazyAdamTrainsElsewhereAndResumesBitwise() throws IOException {
        RecConfig exact = config("maml", 3e-3f, 3, 0, false), lazy = exact.withOuterOptimizer(OuterOptimizer.LAZY_ADAM);
        Map<String, float[]> withLazy = values(resumesBitwise(lazy, "lazy", 1, 2).learner());
        assertFalse(sameBits(values(run(exact, null, new RecTrainer.Listener() {}).learner()), withLazy),
                "the option reaches the learner: rows no task touched stay put under lazy Adam, not under Adam");
    }

    @Test
    void aCheckpointFromBeforeTheOuterOptimizerOptionContinuesWithAdam() {
        RecConfig c = config("maml", 3e-3f, 4, 0, false);
        Checkpoint.Fingerprint now = fingerprint(c);
        com.fasterxml.jackson.databind.node.ObjectNode old = (com.fasterxml.jackson.databind.node.ObjectNode) now.config().deepCopy();
        assertNotNull(old.remove("outerOptimizer"), "the field is written");
        try { // as a model file's header is read (SavedModel): the field's absence means exact Adam
            assertEquals(c, new com.fasterxml.jackson.databind.ObjectMapper().treeToValue(old, RecConfig.class));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError(e);
        }
        Checkpoint.Fingerprint before = new Checkpoint.Fingerprint(Checkpoint.Fingerprint.withAbsentDefaults(old), now.data(), now.split(), now.backend());
        assertNull(before.difference(now), "a checkpoint without the field was trained with exact Adam");
        assertEquals("config field outerOptimizer = \"ADAM\" (now \"LAZY_ADAM\")",
                before.difference(fingerprint(c.withOuterOptimizer(OuterOptimizer.LAZY_ADAM))));
    }

    @Test
    void aCheckpointFromBeforeTheStackSizeOptionContinuesWithTheAutomaticSize() throws com.fasterxml.jackson.core.JsonProcessingException {
        RecConfig c = config("maml", 3e-3f, 4, 0, false);
        Checkpoint.Fingerprint now = fingerprint(c);
        com.fasterxml.jackson.databind.node.ObjectNode old = (com.fasterxml.jackson.databind.node.ObjectNode) now.config().deepCopy();
        assertNotNull(old.remove("stackSize"), "the field is written");
        // as a model file's header is read (SavedModel): the field's absence means the automatic size
        assertEquals(c, new com.fasterxml.jackson.databind.ObjectMapper().treeToValue(old, RecConfig.class));
        assertEquals(io.metarec.meta.LearnerConfig.AUTO_STACK, c.stackSize());
        Checkpoint.Fingerprint before = new Checkpoint.Fingerprint(Checkpoint.Fingerprint.withAbsentDefaults(old), now.data(), now.split(), now.backend());
        assertNull(before.difference(now), "a checkpoint without the field ran with the automatic stack size");
        RecConfig four = new RecConfig(c.model(), c.embeddingDim(), c.hidden(), c.feedback(), c.algo(), c.innerSteps(), c.innerLr(), c.outerLr(),
                c.metaBatch(), c.epochs(), c.patience(), c.validation(), c.execution(), c.seed(), c.identity(), c.lslr(), c.variedSupport(),
                c.foldIn(), c.resplit(), c.outerOptimizer(), 4);
        assertEquals("config field stackSize = 0 (now 4)", before.difference(fingerprint(four)));
    }

    @Test
    void theFingerprintNamesWhatDiffers() {
        RecConfig c = config("maml", 3e-3f, 4, 0, false);
        Checkpoint.Fingerprint fp = fingerprint(c);
        String outer = fp.difference(fingerprint(config("maml", 1e-3f, 4, 0, false)));
        assertNotNull(outer);
        assertTrue(outer.startsWith("config field outerLr = 0.003 (now 0.001)"), outer);
        assertTrue(fp.difference(fingerprint(config("maml", 3e-3f, 5, 0, false))).startsWith("config field epochs = 4 (now 5)"));

        Experiment other = experiment(6);
        assertNull(fp.difference(Checkpoint.Fingerprint.of(c, SHARED, fp.backend())));
        assertTrue(fp.difference(Checkpoint.Fingerprint.of(c, other, fp.backend())).startsWith("other data"));
        Dataset d = SHARED.data();
        Experiment resplit = Experiment.of(d, MeluProtocol.withSeed(7).split(d), Feedback.explicit(), 0.1, 3);
        assertTrue(fp.difference(Checkpoint.Fingerprint.of(c, resplit, fp.backend())).startsWith("another split"));
        assertEquals("backend cpu-scalar (now " + fp.backend() + ")",
                new Checkpoint.Fingerprint(fp.config(), fp.data(), fp.split(), "cpu-scalar").difference(fp));
    }

    @Test
    void aDamagedOrForeignCheckpointIsOneLineNamingTheFile() throws IOException {
        RecConfig c = config("maml", 3e-3f, 1, 0, false);
        List<Path> files = new ArrayList<>();
        Experiment.Trained t = run(c, null, checkpointing(files, dir, fingerprint(c), 0));
        Path f = files.get(0);
        assertEquals(1, Checkpoint.load(f).state().epoch());
        byte[] bytes = Files.readAllBytes(f);
        bytes[bytes.length / 2] ^= 1;
        Path damaged = dir.resolve("damaged.ckpt");
        Files.write(damaged, bytes);
        IOException e = assertThrows(IOException.class, () -> Checkpoint.load(damaged));
        assertTrue(e.getMessage().startsWith(damaged + ": checksum mismatch"), e.getMessage());

        Path model = dir.resolve("m.metarec");
        SavedModel.save(model, c, SHARED, t.learner(), null);
        e = assertThrows(IOException.class, () -> Checkpoint.load(model));
        assertEquals(model + ": a metarec file, but not a training checkpoint (format 'metarec-recommender')", e.getMessage());
    }
}
