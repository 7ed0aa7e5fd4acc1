package io.metarec.rec.train;

import io.metarec.rec.data.Interactions;
import io.metarec.rec.split.Scenario;
import io.metarec.rec.split.UserTask;

import java.util.List;

/**
 * The explicit ratings the rating baselines ({@link BiasBaseline}, {@link BiasedMf}) fit: every
 * interaction of scenario {@code train} except those of the held-out users (the validation users
 * while hyper-parameters are chosen), as parallel arrays; their mean μ, and their range
 * [min, max], the rating scale predictions are clamped to.
 */
record TrainRatings(int[] users, int[] items, float[] ratings, double mean, float min, float max) {

    /** The training ratings of every user but those of {@code heldOut}'s tasks. */
    static TrainRatings of(TaskFactory tasks, List<UserTask> heldOut, String who) {
        if (tasks.feedback().implicit())
            throw new IllegalArgumentException(who + " predicts ratings: it has no implicit-feedback version");
        boolean[] out = new boolean[tasks.data().numUsers()];
        for (UserTask t : heldOut) out[t.user()] = true;
        Interactions x = tasks.data().interactions();
        int n = 0;
        for (int k = 0; k < x.size(); k++) if (tasks.split().scenarioOf(k) == Scenario.TRAIN && !out[x.user(k)]) n++;
        if (n == 0) throw new IllegalArgumentException(who + ": the split has no training ratings to fit on");
        int[] users = new int[n], items = new int[n];
        float[] ratings = new float[n];
        double sum = 0;
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (int k = 0, j = 0; k < x.size(); k++) {
            if (tasks.split().scenarioOf(k) != Scenario.TRAIN || out[x.user(k)]) continue;
            users[j] = x.user(k);
            items[j] = x.item(k);
            ratings[j] = x.rating(k);
            sum += ratings[j];
            min = Math.min(min, ratings[j]);
            max = Math.max(max, ratings[j]);
            j++;
        }
        return new TrainRatings(users, items, ratings, sum / n, min, max);
    }

    int size() { return ratings.length; }

    /** A prediction clamped to the rating scale. */
    float clamp(double prediction) {
        return (float) Math.min(max, Math.max(min, prediction));
    }
}
