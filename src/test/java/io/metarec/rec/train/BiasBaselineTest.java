package io.metarec.rec.train;

import io.metarec.rec.split.Scenario;
import io.metarec.rec.split.UserTask;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bias baseline: its formula on a hand-computed fixture, the clamp, and λ chosen on validation. */
class BiasBaselineTest {
    @TempDir Path dir;

    /**
     * Training: a rates m1 5, m2 3; b rates m1 4, m2 1 (μ = 3.25, scale 1..5). User-cold: c (support
     * m1 = 5), e (support m2 = 5), f (support m1 = 1). Item-cold: d rates the new item m3, no support.
     */
    static final String TINY = """
            a,m1,5,train,support
            a,m2,3,train,query
            b,m1,4,train,support
            b,m2,1,train,query
            c,m1,5,user-cold,support
            c,m2,2,user-cold,query
            e,m2,5,user-cold,support
            e,m1,4,user-cold,query
            f,m1,1,user-cold,support
            f,m2,3,user-cold,query
            d,m3,4,item-cold,query
            """;

    private static UserTask task(Experiment e, Scenario s, String user) {
        int u = e.data().userIndex(user);
        return e.split().tasks(s).stream().filter(t -> t.user() == u).findFirst().orElseThrow();
    }

    private static float score(Experiment e, Recommender r, UserTask t, String item) {
        return r.adapt(t).score(new int[] {e.data().itemIndex(item)})[0];
    }

    @Test
    void predictionIsTheHandComputedValue() throws IOException {
        Experiment e = RatingFixtures.experiment(dir, TINY, 0);
        BiasBaseline b = BiasBaseline.fit(e.tasks(), 1, 1);
        // μ = 13/4; b_m1 = (1.75 + 0.75) / (2 + 1); b_m2 = (−0.25 − 2.25) / 3; b_m3 = 0 (new item)
        double mu = 3.25, bm1 = 2.5 / 3, bm2 = -2.5 / 3;
        assertEquals(mu, b.mean(), 1e-12);
        assertEquals(bm1, b.itemBias(e.data().itemIndex("m1")), 1e-12);
        assertEquals(bm2, b.itemBias(e.data().itemIndex("m2")), 1e-12);
        assertEquals(0, b.itemBias(e.data().itemIndex("m3")));
        UserTask c = task(e, Scenario.USER_COLD, "c");
        double bu = (5 - mu - bm1) / (1 + 1); // c's offset from its one support rating
        assertEquals(mu + bm2 + bu, score(e, b, c, "m2"), 1e-6); // 2.875
        assertEquals(2.875, score(e, b, c, "m2"), 1e-6);
        assertEquals(mu + bu, score(e, b, c, "m3"), 1e-6);
        assertEquals(mu + bm1 + bu, score(e, b, c, "m1"), 1e-6);
        // no support: no offset (and no 0/0 with λ_user = 0)
        assertEquals(mu, score(e, BiasBaseline.fit(e.tasks(), 0, 0), task(e, Scenario.ITEM_COLD, "d"), "m3"), 1e-6);
    }

    @Test
    void predictionsAreClampedToTheTrainingScale() throws IOException {
        Experiment e = RatingFixtures.experiment(dir, TINY, 0);
        BiasBaseline b = BiasBaseline.fit(e.tasks(), 0, 0);
        // b_m1 = 1.25, b_m2 = −1.25; e: b_u = 5 − 3.25 + 1.25 = 3, so m1 would be 7.5; f: b_u = 1 − 3.25 − 1.25 = −3.5, m2 would be −1.5
        assertEquals(5f, score(e, b, task(e, Scenario.USER_COLD, "e"), "m1"));
        assertEquals(1f, score(e, b, task(e, Scenario.USER_COLD, "f"), "m2"));
        assertEquals(3.25 + 1.25 - 3.5, score(e, b, task(e, Scenario.USER_COLD, "f"), "m1"), 1e-6); // inside the scale: as computed
    }

    @Test
    void shrinkageIsChosenOnValidation() throws IOException {
        // pure noise: every offset fitted is noise, so the largest shrinkages win
        Experiment noise = RatingFixtures.experiment(dir.resolve("noise"), RatingFixtures.planted(200, 0, 0, 1.2, 3), 0.25);
        List<UserTask> val = noise.trainValidation().validation();
        assertEquals(50, val.size());
        BiasBaseline n = BiasBaseline.tuned(noise.tasks(), val);
        assertTrue(n.lambdaItem() >= 25 && n.lambdaUser() >= 25, n.description());
        // strong item and user effects, little noise: (almost) no shrinkage
        Experiment signal = RatingFixtures.experiment(dir.resolve("signal"), RatingFixtures.planted(200, 1, 0.7, 0.2, 3), 0.25);
        BiasBaseline s = BiasBaseline.tuned(signal.tasks(), signal.trainValidation().validation());
        assertTrue(s.lambdaItem() <= 2 && s.lambdaUser() <= 2, s.description());
        assertTrue(s.description().contains("validation MAE"), s.description());
        System.out.println("noise: " + n.description() + "; signal: " + s.description());
    }

    @Test
    void badInputIsOneLine() throws IOException {
        Experiment e = RatingFixtures.experiment(dir, TINY, 0);
        var ex = assertThrows(IllegalArgumentException.class, () -> BiasBaseline.fit(e.tasks(), -1, 0));
        assertTrue(ex.getMessage().contains("λ_item = -1"), ex.getMessage());
        Experiment implicit = Experiment.prepare(dir, null, Feedback.implicit(4, 1), 0, 1);
        ex = assertThrows(IllegalArgumentException.class, () -> BiasBaseline.fit(implicit.tasks(), 1, 1));
        assertTrue(ex.getMessage().contains("implicit"), ex.getMessage());
        assertEquals(List.of("global-mean", "item-mean", "popularity"), Baselines.all(implicit.tasks(), List.of()).stream().map(Recommender::name).toList());
        assertEquals(List.of("global-mean", "item-mean", "bias", "mf", "popularity"), e.baselines().stream().map(Recommender::name).toList());
    }
}
