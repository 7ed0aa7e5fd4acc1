package io.metarec.rec.train;

import io.metarec.meta.LearnerConfig;
import io.metarec.meta.MetaLearner;
import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import io.metarec.rec.model.Examples;
import io.metarec.rec.split.MeluProtocol;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Divergence stops training: with no better epoch before it, training fails with advice naming the
 * learning rate at fault; after a better epoch, that epoch is kept and the history says where it diverged.
 */
class DivergenceTest {
    static Experiment experiment;

    @BeforeAll
    static void prepare() {
        Dataset d = Synthetic.generate(SyntheticConfig.of(200, 120, 5)).dataset();
        experiment = Experiment.of(d, MeluProtocol.defaults().split(d), Feedback.explicit(), 0.1, 3);
    }

    static RecConfig config(String algo, float innerLr, float outerLr, int epochs) {
        return config(algo, 1, innerLr, outerLr, epochs);
    }

    static RecConfig config(String algo, int innerSteps, float innerLr, float outerLr, int epochs) {
        return new RecConfig("melu", 4, List.of(8), Feedback.explicit(), algo, innerSteps, innerLr, outerLr, 16, epochs, 0, 0.1,
                LearnerConfig.Execution.PER_TASK, 3, true, false, false, false, false);
    }

    @Test
    void aHugeOuterRateFailsAndBlamesTheOuterRate() {
        RecConfig c = config("pretrained", 0.01f, 1000f, 3);
        boolean[] checkpoint = {false};
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> experiment.train(c, new RecTrainer.Listener() {
            @Override public void epoch(RecTrainer.Epoch ep, boolean best) {
                checkpoint[0] |= best;
            }
        }));
        assertEquals(1, e.epoch());
        assertFalse(checkpoint[0], "no diverged epoch is offered as a checkpoint");
        assertTrue(e.getMessage().contains("diverged in epoch 1") && e.getMessage().contains("nothing is kept"), e.getMessage());
        assertTrue(e.getMessage().endsWith("lower --outer-lr (1000; the default is 0.0003)"), e.getMessage());
        assertFalse(e.getMessage().contains("--inner-lr") || e.getMessage().contains("SKIP"), e.getMessage());
        assertTrue(e instanceof IllegalArgumentException, "a bad hyper-parameter: exit code 2");
    }

    @Test
    void aHugeInnerRateFailsBeforeTrainingAndBlamesTheInnerRate() {
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                () -> experiment.train(config("maml", 3, 1e4f, 3e-4f, 2), new RecTrainer.Listener() {}));
        assertEquals(0, e.epoch());
        assertTrue(e.getMessage().startsWith("training cannot start") && e.getMessage().endsWith("lower --inner-lr (10000; the default is 0.01)"),
                e.getMessage());
    }

    @Test
    void adviceNamesWhatIsFarAboveTheDefaults() {
        assertEquals("lower --outer-lr (0.0003; the default is 0.0003) or --inner-lr (0.01; the default is 0.01)",
                Experiment.divergenceAdvice(config("maml", 0.01f, 3e-4f, 1)));
        assertEquals("lower --outer-lr (0.1; the default is 0.0003) and --inner-lr (1; the default is 0.01)",
                Experiment.divergenceAdvice(config("maml", 1f, 0.1f, 1)));
    }

    @Test
    void afterABetterEpochThatEpochIsKept() {
        RecConfig c = config("maml", 0.01f, 3e-3f, 6);
        MetaLearner<Examples> learner = experiment.newLearner(c);
        Map<String, float[]>[] kept = new Map[1];
        RecTrainer.History h = experiment.train(c, learner, new RecTrainer.Listener() {
            @Override public void epoch(RecTrainer.Epoch ep, boolean best) {
                if (best) kept[0] = InitialEpochTest.values(learner);
                if (ep.epoch() == 2) learner.load(learner.metaParams().map((n, t) -> t.mul(Float.NaN))); // training blows up from here
            }
        }).history();
        assertTrue(h.diverged(), "diverged");
        assertEquals(3, h.divergedEpoch());
        assertTrue(h.divergence().contains("not finite") || h.divergence().contains("NaN"), h.divergence());
        assertTrue(h.bestEpoch() >= 1 && h.bestEpoch() <= 2, "a trained epoch before it is kept: " + h.bestEpoch());
        assertEquals(2, h.epochs().size(), "the diverged epoch is not listed");
        assertFalse(h.stoppedEarly());
        InitialEpochTest.assertSameValues(kept[0], InitialEpochTest.values(learner));
        assertTrue(Double.isFinite(RecTrainer.validationLoss(learner, experiment.validationTasks(), c.innerSteps())));
    }

    @Test
    void divergenceIsNonFiniteOrFarAboveTheStart() {
        assertNull(RecTrainer.divergence(2.0, 1.0, "validation"), "worse is not diverged");
        assertNull(RecTrainer.divergence(9.9, 1.0, "validation"));
        assertTrue(RecTrainer.divergence(10.5, 1.0, "validation").contains("over 10× the initial"));
        assertTrue(RecTrainer.divergence(Double.NaN, 1.0, "validation").contains("NaN"));
        assertTrue(RecTrainer.divergence(Double.POSITIVE_INFINITY, Double.NaN, "training").contains("Infinity"));
        assertNull(RecTrainer.divergence(1e9, Double.NaN, "training"), "no reference, no explosion to measure");
    }
}
