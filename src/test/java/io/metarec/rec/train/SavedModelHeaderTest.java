package io.metarec.rec.train;

import io.metarec.nn.Params;
import io.metarec.rec.model.FeatureEncoder;
import io.metarec.rec.split.Scenario;
import io.metarec.rec.split.UserTask;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The serving fields of a saved model with identities: rating scale, per-item training counts, mean
 * rating and the known items survive save and load, and the reloaded model (identity tables,
 * personal parameters, gains) predicts exactly what the trained one does.
 */
class SavedModelHeaderTest {
    static Experiment experiment;
    static Experiment.Trained trained;

    @BeforeAll
    static void train() {
        experiment = TinyExperiment.experiment();
        RecConfig c = new RecConfig("melu", 8, List.of(16, 16), Feedback.explicit(), "maml", 2, 0.01f, 1e-3f, 16, 1, 0, 0.1,
                io.metarec.meta.LearnerConfig.Execution.PER_TASK, 3, true, false, true, false, false);
        trained = experiment.train(c, new RecTrainer.Listener() {});
    }

    @Test
    void ratingScaleCountsMeanAndKnownItemsSurviveARoundTrip(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("m.metarec");
        SavedModel.save(f, trained.config(), experiment, trained.learner(), null);
        SavedModel m = SavedModel.load(f);
        assertTrue(m.config().identity());
        assertEquals(trained.config(), m.config());

        TaskFactory tasks = experiment.tasks();
        assertArrayEquals(tasks.ratingScale(), m.ratingScale(), 0f);
        assertArrayEquals(new float[] {1, 5}, m.ratingScale(), 0f);
        RarityShrink r = m.rarity(5);
        assertNotNull(r);
        assertEquals(5.0, r.kappa());
        assertArrayEquals(tasks.trainingCounts(), r.counts());
        assertEquals(tasks.meanRating(), r.mean(), 1e-6f);
        assertEquals(0.0, m.rarity(0).kappa());
        int rated = 0, total = 0;
        for (int n : r.counts()) {
            if (n > 0) rated++;
            total += n;
        }
        assertTrue(rated > 0 && rated < r.counts().length, "some items are rated in training, the new ones not: " + rated);
        assertTrue(total > 0);

        boolean[] known = experiment.encoder().knownItems();
        assertArrayEquals(known, m.encoder().knownItems());
        for (int i = 0; i < known.length; i++) assertEquals(r.counts()[i] > 0, known[i], "item " + i + ": known exactly when rated in training");
        assertArrayEquals(experiment.encoder().knownUsers(), m.encoder().knownUsers());
        assertEquals(experiment.encoder().numItems(), m.encoder().numItems());
        assertEquals(experiment.encoder().numUsers(), m.encoder().numUsers());
    }

    @Test
    void aModelWithIdentitiesPredictsTheSameAfterLoading(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("m.metarec");
        SavedModel.save(f, trained.config(), experiment, trained.learner(), null);
        SavedModel m = SavedModel.load(f);
        Params a = trained.learner().metaParams(), b = m.learner().metaParams();
        assertEquals(a.names(), b.names());
        assertTrue(a.names().stream().anyMatch(n -> n.startsWith("personal.")), "identity model has personal parameters: " + a.names());
        assertTrue(a.names().stream().anyMatch(n -> n.startsWith("gain.")), a.names().toString());
        for (String n : a.names()) assertArrayEquals(a.get(n).toArray(), b.get(n).toArray(), n);

        int[] all = new int[experiment.data().numItems()];
        for (int i = 0; i < all.length; i++) all[i] = i;
        for (Scenario s : List.of(Scenario.USER_COLD, Scenario.WARM, Scenario.ITEM_COLD)) {
            UserTask t = experiment.split().tasks(s).get(0);
            // a user the model knows by index (identity row) and the same user as a stranger
            for (FeatureEncoder.UserProfile p : List.of(experiment.tasks().profile(t.user()), experiment.tasks().profile(t.user()).anonymous())) {
                var support = experiment.tasks().support(t);
                float[] before = trained.learner().predict(trained.learner().adaptTo(support, 2), experiment.encoder().encode(p, all, new float[all.length])).toArray();
                var reSupport = m.encoder().encode(p, experiment.data().interactions().itemsOf(t.support()),
                        experiment.data().interactions().ratingsOf(t.support()));
                float[] after = m.learner().predict(m.learner().adaptTo(reSupport, 2), m.encoder().encode(p, all, new float[all.length])).toArray();
                assertArrayEquals(before, after, 0f, s + " user " + t.user());
            }
        }
        // and the clamped, rarity-ranked recommendations from the file equal those from memory
        UserTask t = experiment.split().tasks(Scenario.USER_COLD).get(1);
        int[] items = experiment.data().interactions().itemsOf(t.support());
        float[] ratings = experiment.data().interactions().ratingsOf(t.support());
        FeatureEncoder.UserProfile fresh = m.encoder().profile(Map.of());
        var mem = Recommendations.topK(trained.learner(), experiment.encoder(), fresh, items, ratings, 2, 20, experiment.tasks().ratingScale(),
                new RarityShrink(experiment.tasks().trainingCounts(), experiment.tasks().meanRating(), 5));
        var file = Recommendations.topK(m.learner(), m.encoder(), fresh, items, ratings, 2, 20, m.ratingScale(), m.rarity(5));
        assertEquals(mem, file);
    }

    @Test
    void theOlderSaveWithoutAnExperimentHasNoScaleOrCounts(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("old.metarec");
        SavedModel.save(f, trained.config(), experiment.data(), experiment.encoder(), experiment.meanTarget(), trained.learner(), null);
        SavedModel m = SavedModel.load(f);
        assertNull(m.ratingScale(), "no rating scale recorded: shown scores are not clamped");
        assertNull(m.rarity(5), "no counts recorded: rankings by score");
        assertArrayEquals(experiment.encoder().knownItems(), m.encoder().knownItems(), "known items are saved either way");
        assertFalse(m.encoder().numItems() == 0);
    }
}
