package io.metarec.cli;

import io.metarec.rec.train.RecConfig;
import io.metarec.rec.train.SavedModel;
import io.metarec.rec.train.UserRecommender;
import io.metarec.serve.RecommendServer;
import picocli.CommandLine.Option;

/**
 * How {@code recommend} and {@code serve} adapt a user and rank the catalogue: one definition of
 * {@code --steps} and {@code --rarity-shrink}, so both rank exactly alike.
 */
public final class RankingOptions {
    @Option(names = "--steps", paramLabel = "N", description = "inner steps when adapting (default: the model's)")
    Integer steps;

    @Option(names = "--rarity-shrink", paramLabel = "K", defaultValue = "5",
            description = "rank a rarely rated item as if its predicted rating were pulled towards the mean by K pseudo-ratings (0: by prediction; default ${DEFAULT-VALUE})")
    double rarityShrink = 5;

    /** The recommender for a loaded model under these options (errors name the flag). */
    UserRecommender recommender(SavedModel m) {
        return recommender(m, steps, rarityShrink);
    }

    /** Loads a model file into a recommender under these options (the server's loader, also on reload). */
    RecommendServer.Loader loader() {
        check(rarityShrink);
        return loader(steps, rarityShrink);
    }

    /** The same for given values ({@code steps} null: the model's). */
    public static RecommendServer.Loader loader(Integer steps, double rarityShrink) {
        return file -> recommender(SavedModel.load(file), steps, rarityShrink);
    }

    private static UserRecommender recommender(SavedModel m, Integer steps, double rarityShrink) {
        check(rarityShrink);
        return new UserRecommender(m, steps(steps, m.config()), rarityShrink);
    }

    private static void check(double rarityShrink) {
        if (!(rarityShrink >= 0)) throw new IllegalArgumentException("--rarity-shrink must be ≥ 0, got " + rarityShrink);
    }

    /** --steps, else the model's inner steps; at most {@link RecConfig#MAX_INNER_STEPS}. */
    static int steps(Integer steps, RecConfig c) {
        int n = steps != null ? steps : c.innerSteps();
        if (n < 0 || n > RecConfig.MAX_INNER_STEPS) throw new IllegalArgumentException("--steps must be in 0.." + RecConfig.MAX_INNER_STEPS + ", got " + n);
        return n;
    }
}
