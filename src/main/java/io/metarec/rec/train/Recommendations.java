package io.metarec.rec.train;

import io.metarec.meta.MetaLearner;
import io.metarec.meta.NonFiniteException;
import io.metarec.nn.Params;
import io.metarec.rec.model.CatalogueScorer;
import io.metarec.rec.model.Examples;
import io.metarec.rec.model.FeatureEncoder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Top-k recommendations for a new user, after adapting a meta-trained model to their few ratings. */
public final class Recommendations {
    private Recommendations() {}

    /** A NaN or infinite prediction is an error (a model out of range), not a score to rank. */
    static void requireFinite(String learner, int task, float[] scores) {
        for (int i = 0; i < scores.length; i++)
            if (!Float.isFinite(scores[i])) throw new NonFiniteException(learner, task, -1, "the predicted score of item " + i + " (" + scores[i] + ")");
    }

    /** An item (catalogue index) and its score (predicted rating, or like-logit for implicit feedback). */
    public record Scored(int item, float score) {}

    /**
     * Adapts the learner's model to the user's examples ({@code items} with {@code targets}: ratings,
     * or 1/0 for implicit feedback) with {@code steps} inner steps, scores every catalogue item and
     * returns the best {@code k} the user has not rated, best first (ties by catalogue order).
     */
    public static List<Scored> topK(MetaLearner<Examples> learner, FeatureEncoder encoder, FeatureEncoder.UserProfile user,
                                    int[] items, float[] targets, int steps, int k) {
        return topK(learner, encoder, user, items, targets, steps, k, null, null);
    }

    /**
     * The same, with scores clamped to {@code scale} ([min, max]; null: as predicted) and the order
     * given by {@code rarity} (null: by score); the returned scores are the clamped predictions.
     */
    public static List<Scored> topK(MetaLearner<Examples> learner, FeatureEncoder encoder, FeatureEncoder.UserProfile user,
                                    int[] items, float[] targets, int steps, int k, float[] scale, RarityShrink rarity) {
        return topK(learner, encoder, user, items, targets, steps, k, scale, rarity, true);
    }

    /**
     * The same, keeping the rated items in the ranking unless {@code excludeRated}. A user without
     * ratings gets the unadapted model θ for their profile (what every learner emits before any
     * support gradient: LEO's decoder is centred on θ).
     */
    public static List<Scored> topK(MetaLearner<Examples> learner, FeatureEncoder encoder, FeatureEncoder.UserProfile user,
                                    int[] items, float[] targets, int steps, int k, float[] scale, RarityShrink rarity, boolean excludeRated) {
        return topK(learner, encoder, null, user, items, targets, steps, k, scale, rarity, excludeRated);
    }

    /**
     * The same, scoring the catalogue with {@code catalogue} (the items' side embedded once per model,
     * see {@link CatalogueScorer}; null, or not valid for the adapted parameters: every row embedded
     * here): the same scores up to float rounding (within 1e-5 on a rating scale, see {@link CatalogueScorer}).
     */
    public static List<Scored> topK(MetaLearner<Examples> learner, FeatureEncoder encoder, CatalogueScorer catalogue,
                                    FeatureEncoder.UserProfile user, int[] items, float[] targets, int steps, int k, float[] scale,
                                    RarityShrink rarity, boolean excludeRated) {
        if (items.length != targets.length) throw new IllegalArgumentException(items.length + " items but " + targets.length + " targets");
        if (k < 1) throw new IllegalArgumentException("k must be at least 1, got " + k);
        try (var scope = learner.backend().openScope()) {
            Params adapted = items.length == 0 ? learner.modelParams() : learner.adaptTo(encoder.encode(user, items, targets), steps);
            int n = encoder.numItems();
            float[] scores;
            if (catalogue != null && catalogue.rows() == n && catalogue.validFor(adapted)) {
                scores = catalogue.score(adapted, encoder.encode(user, new int[] {0}, new float[1])).toArray();
            } else {
                scores = learner.predict(adapted, encoder.encode(user, identity(n), new float[n])).toArray();
            }
            requireFinite(learner.name(), 0, scores);
            if (scale != null) for (int i = 0; i < scores.length; i++) scores[i] = Math.min(scale[1], Math.max(scale[0], scores[i]));
            float[] keys = rarity == null ? scores : rarity.keys(identity(n), scores);
            boolean[] seen = new boolean[n];
            if (excludeRated) for (int i : items) seen[i] = true;
            List<Scored> out = new ArrayList<>(k);
            for (int i : best(keys, seen, k)) out.add(new Scored(i, scores[i]));
            return out;
        }
    }

    private static int[] identity(int n) {
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        return all;
    }

    /**
     * The first {@code k} indices by key, highest first (−0 ties with +0; NaN, which a ranking never
     * holds, above all), ties by index, among those {@code skip} does not mark (all of them when
     * fewer): a bounded selection, a max-heap of the k best (key, index) pairs packed into longs,
     * then one primitive sort of those k. A request ranks the whole catalogue for ten items;
     * sorting all of it (which had replaced a comparator sort of boxed indices) was O(n log n)
     * where this is O(n log k). The packed keys are distinct, so the result is the full sort's
     * prefix exactly.
     */
    static int[] best(float[] keys, boolean[] skip, int k) {
        long[] heap = new long[Math.min(k, keys.length)];
        int size = 0;
        for (int i = 0; i < keys.length; i++) {
            if (skip[i]) continue;
            long p = packed(keys[i], i);
            if (size < heap.length) { // sift up
                int c = size++;
                while (c > 0 && heap[(c - 1) / 2] < p) { heap[c] = heap[(c - 1) / 2]; c = (c - 1) / 2; }
                heap[c] = p;
            } else if (size > 0 && p < heap[0]) { // replace the worst kept, sift down
                int c = 0;
                while (true) {
                    int l = 2 * c + 1;
                    if (l >= size) break;
                    int m = l + 1 < size && heap[l + 1] > heap[l] ? l + 1 : l;
                    if (heap[m] <= p) break;
                    heap[c] = heap[m];
                    c = m;
                }
                heap[c] = p;
            }
        }
        long[] top = Arrays.copyOf(heap, size);
        Arrays.sort(top);
        int[] out = new int[size];
        for (int i = 0; i < size; i++) out[i] = (int) top[i];
        return out;
    }

    /** (key, index) as one long whose signed order is: highest key first (−0 = +0, NaN above all), then the lower index. */
    private static long packed(float key, int index) {
        int bits = Float.floatToIntBits(key == 0f ? 0f : key); // −0 → +0
        int ascending = bits ^ ((bits >> 31) & 0x7fffffff);   // signed-int order = Float.compare order
        return ((long) ~ascending << 32) | index;              // ~: highest key first; then the index
    }
}
