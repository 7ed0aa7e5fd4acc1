package io.metarec.rec.train;

import io.metarec.rec.data.Interactions;
import io.metarec.rec.data.Seeds;
import io.metarec.rec.split.UserTask;
import io.metarec.util.EnginePool;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Biased matrix factorisation with the new user fitted on the support set ({@code mf}):
 * <pre>
 *   r̂(u, i) = clamp(μ + b_u + b_i + p_u·q_i)      to the training ratings' range [min, max], p_u, q_i ∈ ℝ^k
 * </pre>
 * μ is the mean training rating; the item factors and biases (q_i, b_i) are fitted on the training
 * ratings (scenario train) by {@value #SWEEPS} sweeps of alternating least squares on
 * Σ (r − μ − b_u − b_i − p_u·q_i)² + λ Σ_u (‖p_u‖² + b_u²) + λ Σ_i (‖q_i‖² + b_i²) — each sweep solves
 * every training user's (p_u, b_u) with the items fixed, then every item's (q_i, b_i) with the users
 * fixed, each a {@link Ridge} regression — starting from q_i ~ N(0, 0.1²) drawn from the seed. For a
 * task, the new user's (p_u, b_u) is the same ridge regression on the support ratings with the items
 * fixed (closed form: (k+1)×(k+1) normal equations). An item never rated in training has q_i = 0,
 * b_i = 0. The number of factors k ∈ {@link #FACTOR_GRID} and λ ∈ {@link #LAMBDA_GRID} are chosen
 * by the MAE of the validation users (fitted without them, each adapted to its support and scored
 * on its query, as {@link Evaluator} reports MAE; the first of equals in grid order), then refitted
 * on all training ratings; without validation users k = {@value #DEFAULT_FACTORS}, λ =
 * {@value #DEFAULT_LAMBDA}. Explicit feedback only. Users and items are solved in parallel, each alone,
 * so the result does not depend on the thread count.
 */
public final class BiasedMf implements Recommender {
    public static final int SWEEPS = 15;
    public static final int DEFAULT_FACTORS = 10;
    public static final double DEFAULT_LAMBDA = 10;
    static final int[] FACTOR_GRID = {8, 16};
    static final double[] LAMBDA_GRID = {1, 2, 5, 10, 25, 50};
    static final double INIT_STD = 0.1;

    private final TaskFactory tasks;
    private final TrainRatings train;
    private final int k;
    private final double lambda;
    private final double[] itemFactors; // numItems × k, row-major
    private final double[] itemBias;
    private final String chosen;

    BiasedMf(TaskFactory tasks, TrainRatings train, int k, double lambda, double[] itemFactors, double[] itemBias, String chosen) {
        this.tasks = tasks;
        this.train = train;
        this.k = k;
        this.lambda = lambda;
        this.itemFactors = itemFactors;
        this.itemBias = itemBias;
        this.chosen = chosen;
    }

    /** Fitted on all training ratings with k factors and ridge λ, initialised from {@code seed}. */
    public static BiasedMf fit(TaskFactory tasks, int k, double lambda, long seed) {
        return fit(tasks, TrainRatings.of(tasks, List.of(), "mf"), k, lambda, seed, "");
    }

    /** Fitted on the training ratings of every user but those of {@code exclude} (e.g. validation users). */
    public static BiasedMf fit(TaskFactory tasks, List<UserTask> exclude, int k, double lambda, long seed) {
        return fit(tasks, TrainRatings.of(tasks, exclude, "mf"), k, lambda, seed, "");
    }

    /** With k and λ chosen on the {@code validation} tasks (training users' tasks: support and query as in the split). */
    public static BiasedMf tuned(TaskFactory tasks, List<UserTask> validation, long seed) {
        if (validation.isEmpty()) return fit(tasks, TrainRatings.of(tasks, List.of(), "mf"), DEFAULT_FACTORS, DEFAULT_LAMBDA, seed,
                "no validation users: defaults");
        TrainRatings rest = TrainRatings.of(tasks, validation, "mf");
        Evaluator ev = new Evaluator(tasks, false);
        double bestMae = Double.POSITIVE_INFINITY, bestLambda = DEFAULT_LAMBDA;
        int bestK = DEFAULT_FACTORS;
        for (int k : FACTOR_GRID)
            for (double l : LAMBDA_GRID) {
                double mae = ev.evaluate(fit(tasks, rest, k, l, seed, ""), validation).get("mae").mean();
                if (mae < bestMae) {
                    bestMae = mae;
                    bestK = k;
                    bestLambda = l;
                }
            }
        return fit(tasks, TrainRatings.of(tasks, List.of(), "mf"), bestK, bestLambda, seed,
                String.format(Locale.ROOT, "validation MAE %.4f on %d users", bestMae, validation.size()));
    }

    private static BiasedMf fit(TaskFactory tasks, TrainRatings r, int k, double lambda, long seed, String chosen) {
        if (k < 1) throw new IllegalArgumentException("mf: the number of factors must be ≥ 1, got " + k);
        if (!(lambda > 0)) throw new IllegalArgumentException("mf: the ridge λ must be positive, got " + lambda);
        int numUsers = tasks.data().numUsers(), numItems = tasks.data().numItems();
        int[][] byUser = group(r.users(), numUsers), byItem = group(r.items(), numItems);
        double[] p = new double[numUsers * k], bu = new double[numUsers], q = new double[numItems * k], bi = new double[numItems];
        SplittableRandom rnd = new SplittableRandom(Seeds.derive(seed, 0x6D66, k));
        for (int i = 0; i < numItems; i++)
            if (byItem[i].length > 0) for (int f = 0; f < k; f++) q[i * k + f] = INIT_STD * rnd.nextGaussian();
        for (int sweep = 0; sweep < SWEEPS; sweep++) {
            solveSide(r, byUser, r.items(), q, bi, p, bu, k, lambda);
            solveSide(r, byItem, r.users(), p, bu, q, bi, k, lambda);
        }
        return new BiasedMf(tasks, r, k, lambda, q, bi, chosen);
    }

    /**
     * One half-sweep: for every row (user or item) with ratings, its (factors, bias) by ridge
     * regression on r − μ − (the other side's bias), features the other side's factors.
     */
    private static void solveSide(TrainRatings r, int[][] rows, int[] other, double[] otherF, double[] otherB,
                                  double[] f, double[] b, int k, double lambda) {
        EnginePool.forEach(rows.length, row -> {
            int[] js = rows[row];
            if (js.length == 0) return;
            Ridge ridge = new Ridge(k);
            for (int j : js) ridge.add(otherF, other[j] * k, r.ratings()[j] - r.mean() - otherB[other[j]]);
            double[] w = ridge.solve(lambda);
            System.arraycopy(w, 0, f, row * k, k);
            b[row] = w[k];
        });
    }

    /** For each key, the indices j with keys[j] == key, ascending. */
    private static int[][] group(int[] keys, int numKeys) {
        int[] count = new int[numKeys];
        for (int key : keys) count[key]++;
        int[][] out = new int[numKeys][];
        for (int i = 0; i < numKeys; i++) out[i] = new int[count[i]];
        int[] fill = new int[numKeys];
        for (int j = 0; j < keys.length; j++) out[keys[j]][fill[keys[j]]++] = j;
        return out;
    }

    /**
     * A new user's (p_u, b_u) from ratings of the given items, the items fixed: the ridge regression
     * of r − μ − b_i on (q_i, 1) with λ. Returns p_u in [0, k), b_u at [k].
     */
    double[] foldIn(int[] items, float[] ratings) {
        Ridge ridge = new Ridge(k);
        for (int j = 0; j < items.length; j++) ridge.add(itemFactors, items[j] * k, ratings[j] - train.mean() - itemBias[items[j]]);
        return ridge.solve(lambda);
    }

    /** The prediction for a user (p_u, b_u) as {@link #foldIn} returns it. */
    float predict(double[] user, int item) {
        double s = train.mean() + user[k] + itemBias[item];
        for (int f = 0; f < k; f++) s += user[f] * itemFactors[item * k + f];
        return train.clamp(s);
    }

    @Override public String name() { return "mf"; }

    @Override public String description() {
        return String.format(Locale.ROOT, "k = %d, λ = %s, %d ALS sweeps%s", k, BiasBaseline.num(lambda), SWEEPS, chosen.isEmpty() ? "" : " (" + chosen + ")");
    }

    public int factors() { return k; }

    public double lambda() { return lambda; }

    public double mean() { return train.mean(); }

    /** The item's bias b_i. */
    public double itemBias(int item) { return itemBias[item]; }

    /** Factor f of the item's vector q_i (0 for items without training ratings). */
    public double itemFactor(int item, int f) { return itemFactors[item * k + f]; }

    @Override public Scorer adapt(UserTask task) {
        Interactions x = tasks.data().interactions();
        double[] user = foldIn(x.itemsOf(task.support()), x.ratingsOf(task.support()));
        return items -> {
            float[] out = new float[items.length];
            for (int j = 0; j < items.length; j++) out[j] = predict(user, items[j]);
            return out;
        };
    }
}
