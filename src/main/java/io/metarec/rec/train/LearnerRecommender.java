package io.metarec.rec.train;

import io.metarec.meta.MetaLearner;
import io.metarec.nn.Params;
import io.metarec.rec.model.Examples;
import io.metarec.rec.model.FeatureEncoder;
import io.metarec.rec.split.UserTask;

/**
 * A meta-learner (or the pretrained model) as a recommender: adapt θ to the user's support
 * examples with {@code steps} inner steps (0: θ as it is), then score items with the adapted model.
 */
public final class LearnerRecommender implements Recommender {
    private final String name;
    private final MetaLearner<Examples> learner;
    private final TaskFactory tasks;
    private final int steps;

    public LearnerRecommender(String name, MetaLearner<Examples> learner, TaskFactory tasks, int steps) {
        this.name = name;
        this.learner = learner;
        this.tasks = tasks;
        this.steps = steps;
    }

    @Override public String name() { return name; }

    public MetaLearner<Examples> learner() { return learner; }

    @Override public boolean predictsRatings() { return !tasks.feedback().implicit(); }

    @Override public Scorer adapt(UserTask task) {
        Params adapted = learner.adaptTo(tasks.support(task), steps);
        FeatureEncoder.UserProfile profile = tasks.profile(task.user());
        return items -> learner.predict(adapted, tasks.encoder().encode(profile, items, new float[items.length])).toArray();
    }
}
