package io.metarec.rec.train;

import io.metarec.rec.data.Dataset;
import io.metarec.rec.model.CatalogueScorer;
import io.metarec.rec.model.FeatureEncoder;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A saved model ready to recommend for new users: what the {@code recommend} command and the
 * {@code serve} server share — the rating checks, ratings turned into the model's targets, the
 * adaptation and ranking, and the score shown. Thread-safe (adaptation never changes the model).
 */
public final class UserRecommender {
    private final SavedModel model;
    private final int steps;
    private final RarityShrink rarity;
    /** The catalogue's item side, embedded once for every request (null: the model embeds rows per request). */
    private final CatalogueScorer catalogue;

    /** {@code steps} inner steps per user; rare items ranked with {@code rarityShrink} pseudo-ratings (see {@link RarityShrink}). */
    public UserRecommender(SavedModel model, int steps, double rarityShrink) {
        if (steps < 0 || steps > RecConfig.MAX_INNER_STEPS)
            throw new IllegalArgumentException("steps must be in 0.." + RecConfig.MAX_INNER_STEPS + ", got " + steps);
        if (!(rarityShrink >= 0)) throw new IllegalArgumentException("rarity shrink must be ≥ 0, got " + rarityShrink);
        this.model = model;
        this.steps = steps;
        this.rarity = model.rarity(rarityShrink);
        this.catalogue = catalogue(model);
    }

    /** Every catalogue item paired with a user without features (their user side is never read). */
    private static CatalogueScorer catalogue(SavedModel model) {
        FeatureEncoder encoder = model.encoder();
        int n = encoder.numItems();
        if (n == 0) return null;
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        return CatalogueScorer.of(model.learner(), encoder.encode(encoder.profile(Map.of()), all, new float[n]));
    }

    public SavedModel model() { return model; }

    /** Inner steps a user with ratings is adapted with. */
    public int steps() { return steps; }

    /** Whether scores are P(like) (implicit feedback) rather than predicted ratings. */
    public boolean implicit() { return model.config().feedback().implicit(); }

    /** An item of a ranking: catalogue index, id, title and the score shown (predicted rating, or P(like)). */
    public record Ranked(int index, String item, String title, double score) {}

    /** Why {@code r} cannot be a rating for this model (not finite, outside its training ratings' scale), or null when it can. */
    public String ratingProblem(float r) {
        if (!Float.isFinite(r)) return "is not a finite number";
        float[] range = model.ratingRange();
        if (range != null && !(r >= range[0] && r <= range[1]))
            return "is outside the model's rating scale " + number(range[0]) + " to " + number(range[1]) + " (its training ratings')";
        if (!(Math.abs(r) <= Dataset.MAX_RATING)) return "is out of range (ratings must be within ±" + (long) Dataset.MAX_RATING + ")";
        return null;
    }

    /**
     * The top {@code k} for a user with a profile and ratings (catalogue index → rating, checked
     * with {@link #ratingProblem}); no ratings: the unadapted model for the profile.
     * @throws ArithmeticException when the model gives non-finite values
     */
    public List<Ranked> recommend(FeatureEncoder.UserProfile profile, Map<Integer, Float> rated, int k, boolean excludeRated) {
        int[] items = rated.keySet().stream().mapToInt(Integer::intValue).toArray();
        float[] targets = new float[items.length];
        Feedback fb = model.config().feedback();
        for (int i = 0; i < items.length; i++) {
            float r = rated.get(items[i]);
            targets[i] = fb.implicit() ? (r >= fb.positiveThreshold() ? 1f : 0f) : r;
        }
        List<Recommendations.Scored> top = Recommendations.topK(model.learner(), model.encoder(), catalogue, profile, items, targets, steps, k,
                model.ratingScale(), rarity, excludeRated);
        List<Ranked> out = new ArrayList<>(top.size());
        for (Recommendations.Scored s : top)
            out.add(new Ranked(s.item(), model.itemIds().get(s.item()), model.title(s.item()),
                    implicit() ? 1 / (1 + Math.exp(-s.score())) : s.score()));
        return out;
    }

    /** Inner steps a user with {@code ratings} ratings is adapted with (none without ratings). */
    public int stepsFor(int ratings) {
        return ratings == 0 ? 0 : steps;
    }

    static String number(float v) {
        return v == Math.rint(v) && Math.abs(v) < 1e9 ? Long.toString((long) v) : Float.toString(v);
    }
}
