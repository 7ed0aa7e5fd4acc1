package io.metarec.rec.train;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RarityShrink: μ + (s − μ)·n/(n + κ) as ranking keys; κ = 0 and unrated items leave scores alone; rare items drop below well-rated ones. */
class RarityShrinkTest {

    @Test
    void keysAreTheBayesianAverageOnHandValues() {
        // items 0..3 rated 1, 5, 15, 95 times; μ = 3.5, κ = 5
        RarityShrink r = new RarityShrink(new int[] {1, 5, 15, 95}, 3.5f, 5);
        float[] keys = r.keys(new int[] {0, 1, 2, 3}, new float[] {5f, 5f, 2f, 4.5f});
        assertEquals(3.5 + 1.5 * 1 / 6.0, keys[0], 1e-6);    // 3.75
        assertEquals(3.5 + 1.5 * 5 / 10.0, keys[1], 1e-6);   // 4.25
        assertEquals(3.5 - 1.5 * 15 / 20.0, keys[2], 1e-6);  // 2.375: a low score is pulled up towards μ
        assertEquals(3.5 + 1.0 * 95 / 100.0, keys[3], 1e-6); // 4.45
        // a score at the mean stays there whatever the count
        assertEquals(3.5f, r.keys(new int[] {0}, new float[] {3.5f})[0], 1e-6);
        // items in any order, repeated: keys follow the items, not positions
        float[] again = r.keys(new int[] {3, 0, 3}, new float[] {4.5f, 5f, 4.5f});
        assertArrayEquals(new float[] {keys[3], keys[0], keys[3]}, again, 1e-6f);
        // a larger κ shrinks more
        float[] strong = new RarityShrink(new int[] {1, 5, 15, 95}, 3.5f, 50).keys(new int[] {1}, new float[] {5f});
        assertEquals(3.5 + 1.5 * 5 / 55.0, strong[0], 1e-6);
    }

    @Test
    void kappaZeroIsTheIdentityAndKeysAreANewArray() {
        float[] scores = {4.9f, 1.2f, 3.3f, 2.0f};
        RarityShrink r = new RarityShrink(new int[] {1, 0, 7, 300}, 3.1f, 0);
        float[] keys = r.keys(new int[] {0, 1, 2, 3}, scores);
        assertArrayEquals(scores, keys, 0f);
        assertNotSame(scores, keys);
        float[] before = scores.clone();
        new RarityShrink(new int[] {1, 0, 7, 300}, 3.1f, 5).keys(new int[] {0, 1, 2, 3}, scores);
        assertArrayEquals(before, scores, 0f, "the scores passed in are not modified");
    }

    @Test
    void itemsWithoutTrainingRatingsAreLeftAsScored() {
        RarityShrink r = new RarityShrink(new int[] {0, 10, 0}, 3f, 5);
        // item 0 and 2: no training ratings (new items); item 7 lies beyond the counts (also unrated)
        float[] keys = r.keys(new int[] {0, 1, 2, 7}, new float[] {4.8f, 4.8f, 1.3f, 4.1f});
        assertEquals(4.8f, keys[0], 0f);
        assertEquals(3 + 1.8 * 10 / 15.0, keys[1], 1e-6);
        assertEquals(1.3f, keys[2], 0f);
        assertEquals(4.1f, keys[3], 0f);
    }

    @Test
    void negativeOrNonFiniteKappaIsRejected() {
        for (double k : new double[] {-1, -1e-9, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RarityShrink(new int[] {1}, 3f, k), "κ = " + k);
            assertTrue(e.getMessage().contains("κ"), e.getMessage());
        }
        new RarityShrink(new int[] {1}, 3f, 0);
        new RarityShrink(new int[0], 3f, RarityShrink.DEFAULT_KAPPA);
        assertEquals(5.0, RarityShrink.DEFAULT_KAPPA);
    }

    /** Catalogue order best first by key (ties by index), as Recommendations and the evaluator rank. */
    static Integer[] ranking(float[] keys) {
        Integer[] order = new Integer[keys.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -keys[i]).thenComparingInt(i -> i));
        return order;
    }

    @Test
    void aOnceRatedItemWithAHigherPredictionRanksBelowAWellRatedOne() {
        // item 0: one training rating, predicted 4.9; item 1: 250 ratings, predicted 4.6; item 2: 40 ratings, 3.9;
        // item 3: a new item (no ratings), 4.0; μ = 3.6
        int[] counts = {1, 250, 40, 0};
        int[] items = {0, 1, 2, 3};
        float[] scores = {4.9f, 4.6f, 3.9f, 4.0f};
        Integer[] byScore = ranking(new RarityShrink(counts, 3.6f, 0).keys(items, scores));
        assertArrayEquals(new Integer[] {0, 1, 3, 2}, byScore, "κ = 0 ranks by predicted rating");
        float[] keys = new RarityShrink(counts, 3.6f, RarityShrink.DEFAULT_KAPPA).keys(items, scores);
        Integer[] shrunk = ranking(keys);
        assertEquals(1, shrunk[0], "the well-rated item comes first: " + Arrays.toString(keys));
        assertTrue(Arrays.asList(shrunk).indexOf(0) > Arrays.asList(shrunk).indexOf(1), Arrays.toString(shrunk));
        // 3.6 + 1.3/6 = 3.817 for the once-rated item: below the new item (4.0, unshrunk) and the 40-rating item (3.6 + 0.3·40/45 = 3.867)
        assertArrayEquals(new Integer[] {1, 3, 2, 0}, shrunk, Arrays.toString(keys));
    }
}
