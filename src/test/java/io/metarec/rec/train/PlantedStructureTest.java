package io.metarec.rec.train;

import io.metarec.meta.LearnerConfig;
import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import io.metarec.rec.eval.Summary;
import io.metarec.rec.split.MeluProtocol;
import io.metarec.rec.split.Scenario;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The synthetic data's planted structure is recovered: a short, seeded MAML run adapts to new
 * users' few ratings and beats the same model trained without adaptation (the global model), and
 * the item-mean baseline, on user-cold by a clear margin. Written for the features profile, where an
 * item's quality is visible in its features; on the realistic profile items carry a quality of their
 * own that the feature-only MeLU model cannot see, so only the first comparison is asserted there.
 */
class PlantedStructureTest {

    @Test
    void mamlBeatsNoAdaptationOnUserCold() {
        double[] mae = userColdMae(SyntheticConfig.Profile.FEATURES);
        assertTrue(mae[0] < mae[1] - 0.03 && mae[0] < mae[2] - 0.03, message(mae));
    }

    @Test
    void onRealisticDataMamlStillBeatsNoAdaptation() {
        double[] mae = userColdMae(SyntheticConfig.Profile.REALISTIC);
        assertTrue(mae[0] < mae[1] - 0.03, message(mae));
    }

    private static String message(double[] mae) {
        return String.format("user-cold MAE (%d users): maml %.4f, global model %.4f, item mean %.4f", (int) mae[3], mae[0], mae[1], mae[2]);
    }

    /** {MAML, global model, item mean, users} on user-cold. */
    private static double[] userColdMae(SyntheticConfig.Profile profile) {
        Dataset d = Synthetic.generate(SyntheticConfig.of(2500, 800, 11, profile)).dataset();
        Experiment e = Experiment.of(d, MeluProtocol.defaults().split(d), Feedback.explicit(), 0.1, 1);
        RecConfig base = new RecConfig("melu", 16, List.of(32, 32), Feedback.explicit(), "maml", 3, 0.01f, 2e-3f, 32, 6, 0, 0.1,
                LearnerConfig.Execution.AUTO, 1);
        Experiment.Trained maml = e.train(base, new RecTrainer.Listener() {});
        Experiment.Trained global = e.train(base.withAlgo("pretrained"), new RecTrainer.Listener() {});
        Evaluator ev = new Evaluator(e.tasks(), false);
        var users = e.split().tasks(Scenario.USER_COLD);
        double mamlMae = mae(ev.evaluate(new LearnerRecommender("maml", maml.learner(), e.tasks(), 3), users));
        double globalMae = mae(ev.evaluate(new LearnerRecommender("global-model", global.learner(), e.tasks(), 0), users));
        double itemMae = mae(ev.evaluate(Baselines.itemMean(e.tasks()), users));
        double[] mae = {mamlMae, globalMae, itemMae, users.size()};
        System.out.println(profile.label() + " " + message(mae));
        return mae;
    }

    private static double mae(Map<String, Summary> m) {
        return m.get("mae").mean();
    }
}
