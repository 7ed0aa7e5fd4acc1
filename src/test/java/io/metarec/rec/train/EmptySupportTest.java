package io.metarec.rec.train;

import io.metarec.rec.split.Scenario;
import io.metarec.rec.split.UserTask;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A user in a test scenario with no support ratings (a split file may have one: a new user who has
 * rated nothing yet) is scored, not refused: a learner by θ itself, unadapted — as {@code recommend}
 * scores a user without ratings —, the baselines by their fit without the user's offset.
 * ({@code SplitFileTest} checks which tasks a split file may hold.)
 */
class EmptySupportTest {
    @Test
    void aNewUserWithNothingRatedIsScoredUnadapted() {
        Experiment experiment = TinyExperiment.mamlRun().experiment();
        Experiment.Trained trained = TinyExperiment.mamlRun().trained();
        UserTask rated = experiment.split().tasks(Scenario.USER_COLD).get(0);
        UserTask none = new UserTask(rated.user(), Scenario.USER_COLD, new int[0], rated.query());
        int[] items = {0, 1, 2, 3, 4};
        float[] scores = new LearnerRecommender("maml", trained.learner(), experiment.tasks(), 2).adapt(none).score(items);
        TaskFactory tasks = experiment.tasks();
        float[] theta = trained.learner().predict(trained.learner().modelParams(),
                tasks.encoder().encode(tasks.profile(none.user()), items, new float[items.length])).toArray();
        float[] scale = tasks.ratingScale();
        for (int k = 0; k < theta.length; k++) theta[k] = Math.min(scale[1], Math.max(scale[0], theta[k]));
        assertArrayEquals(theta, scores, 0f, "θ's clamped predictions");
        for (Recommender baseline : new Recommender[] {BiasBaseline.fit(tasks, 5, 2), BiasedMf.fit(tasks, 4, 5, 3)})
            for (float s : baseline.adapt(none).score(items)) assertTrue(Float.isFinite(s) && s >= scale[0] && s <= scale[1], baseline.name() + ": " + s);
    }
}
