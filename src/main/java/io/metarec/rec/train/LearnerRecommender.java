package io.metarec.rec.train;

import io.metarec.meta.MetaLearner;
import io.metarec.nn.Params;
import io.metarec.rec.model.Examples;
import io.metarec.rec.model.FeatureEncoder;
import io.metarec.rec.split.UserTask;

/**
 * A meta-learner (or the pretrained model) as a recommender: adapt θ to the user's support
 * examples with {@code steps} inner steps (0: θ as it is), then score items with the adapted model;
 * predicted ratings are clamped to the dataset's rating scale, as a user would be shown them.
 */
public final class LearnerRecommender implements Recommender {
    private final String name;
    private final MetaLearner<Examples> learner;
    private final TaskFactory tasks;
    private final int steps;
    /** Predicted ratings are clamped to the rating scale (explicit feedback); null for logits. */
    private final float[] scale;
    /** How catalogue rankings treat rarely rated items (explicit feedback); null: by score. */
    private final RarityShrink rarity;

    public LearnerRecommender(String name, MetaLearner<Examples> learner, TaskFactory tasks, int steps) {
        this(name, learner, tasks, steps, RarityShrink.DEFAULT_KAPPA);
    }

    /** @param kappa κ of the {@link RarityShrink} applied to catalogue rankings (0: by score) */
    public LearnerRecommender(String name, MetaLearner<Examples> learner, TaskFactory tasks, int steps, double kappa) {
        this.name = name;
        this.learner = learner;
        this.tasks = tasks;
        this.steps = steps;
        this.scale = tasks.feedback().implicit() ? null : tasks.ratingScale();
        this.rarity = tasks.feedback().implicit() ? null : new RarityShrink(tasks.trainingCounts(), tasks.meanRating(), kappa);
    }

    @Override public String name() { return name; }

    public MetaLearner<Examples> learner() { return learner; }

    @Override public boolean predictsRatings() { return !tasks.feedback().implicit(); }

    /** A user without support ratings (a split may have one in a test scenario) is scored by θ itself, as {@code recommend} scores one. */
    @Override public Scorer adapt(UserTask task) {
        Params adapted = task.supportSize() == 0 ? learner.modelParams() : learner.adaptTo(tasks.support(task), steps);
        FeatureEncoder.UserProfile profile = tasks.profile(task.user());
        return new Scorer() {
            @Override public float[] score(int[] items) {
                float[] out = learner.predict(adapted, tasks.encoder().encode(profile, items, new float[items.length])).toArray();
                Recommendations.requireFinite(learner.name(), task.user(), out);
                if (scale != null) for (int k = 0; k < out.length; k++) out[k] = Math.min(scale[1], Math.max(scale[0], out[k]));
                return out;
            }

            @Override public float[] rank(int[] items) {
                float[] s = score(items);
                return rarity == null ? s : rarity.keys(items, s);
            }
        };
    }
}
