package io.metarec.rec.train;

import io.metarec.meta.LearnerConfig;
import io.metarec.meta.LearnerKind;
import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import io.metarec.rec.eval.Summary;
import io.metarec.rec.split.MeluProtocol;
import io.metarec.rec.split.Scenario;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every learner trains both model families, explicit and implicit, and yields finite metrics on every scenario. */
class EveryLearnerTest {
    static Experiment explicit, implicit;

    @BeforeAll
    static void data() {
        Dataset d = Synthetic.generate(SyntheticConfig.of(300, 200, 9)).dataset();
        var split = MeluProtocol.defaults().split(d);
        explicit = Experiment.of(d, split, Feedback.explicit(), 0.1, 2);
        implicit = Experiment.of(d, split, Feedback.implicit(4f, 1), 0.1, 2);
    }

    /** Every learner of {@link LearnerKind} with every model family. */
    static Stream<Arguments> learnersAndModels() {
        return RecConfig.MODELS.stream().flatMap(m -> LearnerKind.all().stream().map(k -> Arguments.of(k.cliName(), m)));
    }

    @ParameterizedTest
    @MethodSource("learnersAndModels")
    void trainsAndEvaluates(String algo, String model) {
        // Without and with identities (and then LSLR and varied supports): every combination runs.
        for (boolean identity : new boolean[] {false, true})
        for (Experiment e : List.of(explicit, implicit)) {
            RecConfig c = new RecConfig(model, 8, List.of(16, 16), e.tasks().feedback(), algo, 2, 0.01f, 1e-3f, 16, 1, 0, 0.1,
                    LearnerConfig.Execution.AUTO, 2, identity, identity, identity, identity, identity);
            Experiment.Trained t = e.train(c, new RecTrainer.Listener() {});
            assertTrue(Double.isFinite(t.history().bestValidationLoss()), algo + "/" + model + ": validation loss " + t.history().bestValidationLoss());
            Evaluator ev = new Evaluator(e.tasks(), false);
            for (Recommender r : e.recommenders(t)) {
                for (Scenario s : Scenario.evaluation()) {
                    Map<String, Summary> m = ev.evaluate(r, e.split().tasks(s));
                    String key = e.tasks().feedback().implicit() ? "auc" : "mae";
                    assertTrue(m.get(key).n() > 0 && Double.isFinite(m.get(key).mean()),
                            r.name() + (identity ? " (identity)" : "") + " " + s.label() + " " + key + ": " + m.get(key));
                }
            }
        }
    }
}
