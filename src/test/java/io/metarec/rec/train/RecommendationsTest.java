package io.metarec.rec.train;

import io.metarec.rec.model.CatalogueScorer;
import io.metarec.rec.model.FeatureEncoder;
import io.metarec.rec.split.Scenario;
import io.metarec.rec.split.UserTask;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A user's catalogue ranking scored through the {@link CatalogueScorer} (the items' side embedded
 * once per model, the user's share of the first layer computed once) is the ranking of every row
 * embedded per request, scores equal up to float rounding; and the primitive sort orders as the
 * comparator it replaced.
 */
class RecommendationsTest {
    static final Experiment experiment = TinyExperiment.mamlRun().experiment();
    static final Experiment.Trained trained = TinyExperiment.mamlRun().trained();

    @Test
    void catalogueScorerRanksAsTheFullRows() {
        FeatureEncoder encoder = experiment.encoder();
        int n = encoder.numItems();
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        CatalogueScorer scorer = CatalogueScorer.of(trained.learner(), encoder.encode(encoder.profile(Map.of()), all, new float[n]));
        assertNotNull(scorer, "the default MeLU model adapts no embedding");
        RarityShrink rarity = new RarityShrink(experiment.tasks().trainingCounts(), experiment.tasks().meanRating(), RarityShrink.DEFAULT_KAPPA);
        float[] scale = experiment.tasks().ratingScale();
        List<UserTask> users = experiment.split().tasks(Scenario.USER_COLD);
        for (int u = 0; u < Math.min(5, users.size()); u++) {
            UserTask t = users.get(u);
            FeatureEncoder.UserProfile profile = experiment.tasks().profile(t.user());
            int[] items = experiment.data().interactions().itemsOf(t.support());
            float[] targets = experiment.data().interactions().ratingsOf(t.support());
            for (boolean exclude : new boolean[] {true, false}) {
                var full = Recommendations.topK(trained.learner(), encoder, null, profile, items, targets, 2, n, scale, rarity, exclude);
                var fast = Recommendations.topK(trained.learner(), encoder, scorer, profile, items, targets, 2, n, scale, rarity, exclude);
                assertSameRanking(full, fast, "user " + t.user());
                assertEquals(exclude ? n - (int) Arrays.stream(items).distinct().count() : n, fast.size());
            }
            // No ratings: θ itself, through the scorer too.
            assertSameRanking(Recommendations.topK(trained.learner(), encoder, null, profile, new int[0], new float[0], 2, 10, scale, null, true),
                    Recommendations.topK(trained.learner(), encoder, scorer, profile, new int[0], new float[0], 2, 10, scale, null, true), "no ratings");
        }
    }

    /** The same items in the same order, each score within float rounding (1e-5 on a 1–5 scale). */
    static void assertSameRanking(List<Recommendations.Scored> full, List<Recommendations.Scored> fast, String what) {
        assertEquals(full.stream().map(Recommendations.Scored::item).toList(), fast.stream().map(Recommendations.Scored::item).toList(), what);
        for (int i = 0; i < full.size(); i++) assertEquals(full.get(i).score(), fast.get(i).score(), 1e-5f, what + ", rank " + i);
    }

    /** A ranking key: ±0, small integers (ties), one of two special values, or a Gaussian. */
    private static float awkwardKey(SplittableRandom r, float special, float other) {
        return switch (r.nextInt(6)) {
            case 0 -> 0f;
            case 1 -> -0f;
            case 2 -> r.nextInt(4); // ties
            case 3 -> special;
            case 4 -> other;
            default -> (float) r.nextGaussian() * 100;
        };
    }

    /** Indices by key, highest first (NaN above all, −0 tying +0), ties by index: a comparator sort of boxed indices. */
    private static int[] comparatorOrder(float[] keys) {
        Integer[] boxed = new Integer[keys.length];
        for (int i = 0; i < boxed.length; i++) boxed[i] = i;
        Arrays.sort(boxed, (a, b) -> keys[b] != keys[a] ? Float.compare(keys[b], keys[a]) : Integer.compare(a, b)); // stable: NaN ties keep index order
        return Arrays.stream(boxed).mapToInt(Integer::intValue).toArray();
    }

    @Test
    void theBestKAreTheComparatorsFirstKWithoutTheSkipped() {
        SplittableRandom r = new SplittableRandom(5);
        for (int trial = 0; trial < 200; trial++) {
            float[] keys = new float[1 + r.nextInt(120)];
            boolean[] skip = new boolean[keys.length];
            for (int i = 0; i < keys.length; i++) {
                keys[i] = awkwardKey(r, Float.NaN, Float.NEGATIVE_INFINITY);
                skip[i] = r.nextInt(4) == 0;
            }
            int k = 1 + r.nextInt(keys.length + 5);
            int[] want = Arrays.stream(comparatorOrder(keys)).filter(i -> !skip[i]).limit(k).toArray();
            assertArrayEquals(want, Recommendations.best(keys, skip, k), "trial " + trial + ", k " + k);
        }
    }

    @Test
    void theBestOfAllIsTheComparatorsOrder() {
        SplittableRandom r = new SplittableRandom(3);
        for (int trial = 0; trial < 50; trial++) {
            float[] keys = new float[1 + r.nextInt(300)];
            for (int i = 0; i < keys.length; i++) {
                keys[i] = awkwardKey(r, Float.NEGATIVE_INFINITY, Float.MAX_VALUE);
            }
            assertArrayEquals(comparatorOrder(keys), Recommendations.best(keys, new boolean[keys.length], keys.length));
        }
    }
}
