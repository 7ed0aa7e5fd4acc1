package io.metarec.rec.train;

import io.metarec.rec.data.Interactions;
import io.metarec.rec.split.ColdStartSplit;
import io.metarec.rec.split.Scenario;
import io.metarec.rec.split.UserTask;

import java.util.List;

/**
 * The baselines without meta-learning, fitted to the meta-training interactions only (scenario
 * {@code train}): what a system without any personalisation would do ({@code global-mean},
 * {@code item-mean}, {@code popularity}), and the simple personalised ones that fit a new user's
 * offset ({@code bias}: {@link BiasBaseline}) or offset and factors ({@code mf}: {@link BiasedMf})
 * on the support set. {@code bias} and {@code mf} are rating predictors and are left out for
 * implicit feedback: fitted by squared error to ratings, they have no like-logit to give for the
 * sampled unrated negatives that implicit tasks are scored on.
 */
public final class Baselines {
    private Baselines() {}

    /** Shrinkage of item means towards the global mean (a Bayesian average with this many pseudo-ratings). */
    static final double SHRINK = 5;

    /** Every item gets the mean training rating (for implicit feedback: the mean like rate). */
    public static Recommender globalMean(TaskFactory tasks) {
        double[] s = stats(tasks);
        float mean = (float) (s[0] / Math.max(1, s[1]));
        float score = tasks.feedback().implicit() ? logit(mean) : mean;
        return new Simple("global-mean", tasks.feedback().implicit(), items -> {
            float[] out = new float[items.length];
            java.util.Arrays.fill(out, score);
            return out;
        });
    }

    /**
     * An item's mean training rating, shrunk towards the global mean with {@value #SHRINK}
     * pseudo-ratings (a new item, never rated in training, gets the global mean).
     */
    public static Recommender itemMean(TaskFactory tasks) {
        float[] mean = itemMeans(tasks);
        boolean implicit = tasks.feedback().implicit();
        return new Simple("item-mean", implicit, items -> {
            float[] out = new float[items.length];
            for (int k = 0; k < items.length; k++) out[k] = implicit ? logit(mean[items[k]]) : mean[items[k]];
            return out;
        });
    }

    /** Ranks items by how often they were rated in training; not a rating predictor. */
    public static Recommender popularity(TaskFactory tasks) {
        float[] count = new float[tasks.data().numItems()];
        Interactions x = tasks.data().interactions();
        ColdStartSplit split = tasks.split();
        for (int k = 0; k < x.size(); k++) if (split.scenarioOf(k) == Scenario.TRAIN) count[x.item(k)]++;
        return new Recommender() {
            @Override public String name() { return "popularity"; }
            @Override public boolean predictsRatings() { return false; }
            @Override public Scorer adapt(UserTask task) {
                return items -> {
                    float[] out = new float[items.length];
                    for (int k = 0; k < items.length; k++) out[k] = count[items[k]];
                    return out;
                };
            }
        };
    }

    /** {@link BiasBaseline}, its shrinkages chosen on the validation users' tasks. */
    public static Recommender bias(TaskFactory tasks, List<UserTask> validation) {
        return BiasBaseline.tuned(tasks, validation);
    }

    /** {@link BiasedMf}, its factors and ridge λ chosen on the validation users' tasks, initialised from the run's seed. */
    public static Recommender mf(TaskFactory tasks, List<UserTask> validation) {
        return BiasedMf.tuned(tasks, validation, tasks.seed());
    }

    /**
     * Every baseline for this feedback: global-mean, item-mean, (explicit feedback) bias, mf, and
     * popularity; {@code validation} are the training users' tasks held out to choose
     * hyper-parameters (as the learners' early stopping uses them).
     */
    public static List<Recommender> all(TaskFactory tasks, List<UserTask> validation) {
        if (tasks.feedback().implicit()) return List.of(globalMean(tasks), itemMean(tasks), popularity(tasks));
        return List.of(globalMean(tasks), itemMean(tasks), bias(tasks, validation), mf(tasks, validation), popularity(tasks));
    }

    /** {sum, count} of training targets (ratings, or 1/0 likes for implicit feedback). */
    private static double[] stats(TaskFactory tasks) {
        Interactions x = tasks.data().interactions();
        double sum = 0, n = 0;
        for (int k = 0; k < x.size(); k++) {
            if (tasks.split().scenarioOf(k) != Scenario.TRAIN) continue;
            sum += target(tasks, x.rating(k));
            n++;
        }
        return new double[] {sum, n};
    }

    private static float[] itemMeans(TaskFactory tasks) {
        Interactions x = tasks.data().interactions();
        double[] s = stats(tasks);
        double global = s[0] / Math.max(1, s[1]);
        double[] sum = new double[tasks.data().numItems()], n = new double[sum.length];
        for (int k = 0; k < x.size(); k++) {
            if (tasks.split().scenarioOf(k) != Scenario.TRAIN) continue;
            sum[x.item(k)] += target(tasks, x.rating(k));
            n[x.item(k)]++;
        }
        float[] mean = new float[sum.length];
        for (int i = 0; i < mean.length; i++) mean[i] = (float) ((sum[i] + SHRINK * global) / (n[i] + SHRINK));
        return mean;
    }

    private static double target(TaskFactory tasks, float rating) {
        return tasks.feedback().implicit() ? (rating >= tasks.feedback().positiveThreshold() ? 1 : 0) : rating;
    }

    private static float logit(float p) {
        double q = Math.min(Math.max(p, 1e-4), 1 - 1e-4);
        return (float) Math.log(q / (1 - q));
    }

    private record Simple(String name, boolean implicit, Scorer scorer) implements Recommender {
        @Override public Scorer adapt(UserTask task) { return scorer; }
        @Override public boolean predictsRatings() { return !implicit; }
    }
}
