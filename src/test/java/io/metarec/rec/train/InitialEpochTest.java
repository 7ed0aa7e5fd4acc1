package io.metarec.rec.train;

import io.metarec.meta.LearnerConfig;
import io.metarec.meta.MetaLearner;
import io.metarec.meta.Task;
import io.metarec.nn.Params;
import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import io.metarec.rec.model.Examples;
import io.metarec.rec.split.MeluProtocol;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Epoch 0 of {@link RecTrainer}: the initial parameters' validation loss is recorded and competes
 * with the trained epochs, so a run whose every epoch is worse keeps the initial parameters.
 */
class InitialEpochTest {
    static Experiment experiment;

    @BeforeAll
    static void prepare() {
        Dataset d = Synthetic.generate(SyntheticConfig.of(300, 200, 5)).dataset();
        experiment = Experiment.of(d, MeluProtocol.defaults().split(d), Feedback.explicit(), 0.1, 3);
        assertFalse(experiment.validationTasks().isEmpty());
    }

    static RecConfig config(float outerLr, int epochs, int patience) {
        return new RecConfig("melu", 8, List.of(16, 16), Feedback.explicit(), "maml", 2, 0.01f, outerLr, 16, epochs, patience, 0.1,
                LearnerConfig.Execution.PER_TASK, 3, true, false, false, false, false);
    }

    static RecTrainer.Options options(RecConfig c) {
        return new RecTrainer.Options(c.epochs(), c.metaBatch(), c.patience(), c.innerSteps(), c.seed());
    }

    /** A copy of every parameter's values. */
    static Map<String, float[]> values(MetaLearner<Examples> l) {
        Params p = l.metaParams();
        Map<String, float[]> out = new HashMap<>();
        for (String n : p.names()) out.put(n, p.get(n).toArray());
        return out;
    }

    static void assertSameValues(Map<String, float[]> a, Map<String, float[]> b) {
        assertEquals(a.keySet(), b.keySet());
        for (String n : a.keySet()) assertArrayEquals(a.get(n), b.get(n), 0f, n);
    }

    @Test
    void theInitialValidationLossIsRecordedAndIsAFreshLearnersLoss() {
        RecConfig c = config(1e-3f, 2, 0);
        List<Task<Examples>> validation = experiment.validationTasks();
        double fresh = RecTrainer.validationLoss(experiment.newLearner(c), validation, c.innerSteps());
        assertTrue(Double.isFinite(fresh) && fresh > 0, "initial loss " + fresh);

        MetaLearner<Examples> learner = experiment.newLearner(c);
        assertSameValues(values(experiment.newLearner(c)), values(learner));
        RecTrainer.History h = RecTrainer.train(learner, experiment.trainTasks(), validation, options(c), new RecTrainer.Listener() {});
        assertTrue(Double.isFinite(h.initialValidationLoss()));
        assertEquals(fresh, h.initialValidationLoss(), 0.0, "epoch 0 is the untrained learner's validation loss");
        assertEquals(2, h.epochs().size());
        assertEquals(1, h.epochs().get(0).epoch(), "the epochs listed are the trained ones");
        assertTrue(h.bestValidationLoss() <= h.initialValidationLoss(), "the kept loss is never worse than epoch 0's");
        // the kept epoch's parameters are what the learner holds: its validation loss is the kept epoch's
        if (h.bestEpoch() > 0)
            assertEquals(h.epochs().get(h.bestEpoch() - 1).validationLoss(), RecTrainer.validationLoss(learner, validation, c.innerSteps()), 1e-9);
    }

    @Test
    void withoutValidationTasksThereIsNoEpochZero() {
        RecConfig c = config(1e-3f, 1, 0);
        RecTrainer.History h = RecTrainer.train(experiment.newLearner(c), experiment.trainTasks(), List.of(), options(c), new RecTrainer.Listener() {});
        assertTrue(Double.isNaN(h.initialValidationLoss()), "no validation, no initial loss: " + h.initialValidationLoss());
        assertEquals(1, h.bestEpoch(), "the training loss decides, and the one epoch is kept");
    }

    @Test
    void whenEveryEpochIsWorseTheInitialParametersAreKept() {
        // Adam at an outer learning rate of 0.05 knocks the model off its start (the factorised item rows) in
        // the first meta-steps: every epoch's validation loss is about twice the initial one (at 0.3 and more
        // the losses overflow and the learner stops with NonFiniteException).
        RecConfig c = config(0.05f, 8, 1);
        List<Task<Examples>> validation = experiment.validationTasks();
        MetaLearner<Examples> learner = experiment.newLearner(c);
        Map<String, float[]> initial = values(learner);
        double before = RecTrainer.validationLoss(learner, validation, c.innerSteps());
        boolean[] bestSeen = {false};
        RecTrainer.History h = RecTrainer.train(learner, experiment.trainTasks(), validation, options(c), new RecTrainer.Listener() {
            @Override public void epoch(RecTrainer.Epoch e, boolean best) {
                bestSeen[0] |= best;
            }
        });
        for (RecTrainer.Epoch e : h.epochs())
            assertTrue(!(e.validationLoss() <= before), "epoch " + e.epoch() + " should be worse than the start: " + e.validationLoss() + " vs " + before);
        assertFalse(bestSeen[0], "no epoch was reported as the best so far");
        assertEquals(0, h.bestEpoch(), "the kept epoch is the initial parameters");
        assertEquals(before, h.initialValidationLoss(), 0.0);
        assertEquals(before, h.bestValidationLoss(), 0.0);
        // patience 1, but never before MIN_EPOCHS epochs
        assertEquals(RecTrainer.MIN_EPOCHS, h.epochs().size());
        assertTrue(h.stoppedEarly());
        assertSameValues(initial, values(learner));
        assertEquals(before, RecTrainer.validationLoss(learner, validation, c.innerSteps()), 0.0, "the learner is back at its start");
    }
}
