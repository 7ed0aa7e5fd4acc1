package io.metarec.rec.train;

import io.metarec.rec.data.Interactions;
import io.metarec.rec.split.UserTask;

import java.util.List;
import java.util.Locale;

/**
 * The bias baseline ({@code bias}): a rating is the mean plus an item's and the user's offsets,
 * <pre>
 *   r̂(u, i) = clamp(μ + b_i + b_u)          to the training ratings' range [min, max]
 *   μ   = the mean training rating (scenario train)
 *   b_i = Σ_{training ratings r of i} (r − μ) / (n_i + λ_item)          (0 for an item never rated in training)
 *   b_u = Σ_{the task's support ratings r of items i} (r − μ − b_i) / (n_support + λ_user)
 * </pre>
 * so the user's offset is fitted on the support set only. The shrinkages are chosen on the
 * validation users: with μ and b_i fitted on the other training users, the (λ_item, λ_user) of
 * {@link #GRID}² with the lowest validation MAE (query ratings, per user, then averaged over users,
 * as {@link Evaluator} reports it; the smallest λs on a tie), then μ and b_i are refitted on all
 * training ratings. Without validation users both are {@value #DEFAULT_LAMBDA}. Explicit feedback only.
 */
public final class BiasBaseline implements Recommender {
    /** The shrinkages tried for λ_item and for λ_user. */
    static final double[] GRID = {0, 1, 2, 5, 10, 25, 50, 100};
    static final double DEFAULT_LAMBDA = 5;

    private final TaskFactory tasks;
    private final TrainRatings train;
    private final double lambdaItem, lambdaUser;
    private final double[] itemBias;
    private final String chosen;

    private BiasBaseline(TaskFactory tasks, TrainRatings train, double lambdaItem, double lambdaUser, String chosen) {
        if (!(lambdaItem >= 0 && lambdaUser >= 0)) throw new IllegalArgumentException("bias: shrinkages must be ≥ 0, got λ_item = " + lambdaItem + ", λ_user = " + lambdaUser);
        this.tasks = tasks;
        this.train = train;
        this.lambdaItem = lambdaItem;
        this.lambdaUser = lambdaUser;
        this.itemBias = itemBiases(train, tasks.data().numItems(), lambdaItem);
        this.chosen = chosen;
    }

    /** Fitted on all training ratings with the given shrinkages. */
    public static BiasBaseline fit(TaskFactory tasks, double lambdaItem, double lambdaUser) {
        return new BiasBaseline(tasks, TrainRatings.of(tasks, List.of(), "bias"), lambdaItem, lambdaUser, "");
    }

    /** With (λ_item, λ_user) chosen on the {@code validation} tasks (training users' tasks: support and query as in the split). */
    public static BiasBaseline tuned(TaskFactory tasks, List<UserTask> validation) {
        if (validation.isEmpty()) return new BiasBaseline(tasks, TrainRatings.of(tasks, List.of(), "bias"), DEFAULT_LAMBDA, DEFAULT_LAMBDA,
                "no validation users: default shrinkages");
        TrainRatings rest = TrainRatings.of(tasks, validation, "bias");
        Evaluator ev = new Evaluator(tasks, false);
        double bestMae = Double.POSITIVE_INFINITY, bestItem = DEFAULT_LAMBDA, bestUser = DEFAULT_LAMBDA;
        for (double li : GRID)
            for (double lu : GRID) {
                double mae = ev.evaluate(new BiasBaseline(tasks, rest, li, lu, ""), validation).get("mae").mean();
                if (mae < bestMae) {
                    bestMae = mae;
                    bestItem = li;
                    bestUser = lu;
                }
            }
        return new BiasBaseline(tasks, TrainRatings.of(tasks, List.of(), "bias"), bestItem, bestUser,
                String.format(Locale.ROOT, "validation MAE %.4f on %d users", bestMae, validation.size()));
    }

    /** b_i = Σ (r − μ) / (n_i + λ) over the training ratings of each item; 0 for an item without any. */
    static double[] itemBiases(TrainRatings r, int numItems, double lambda) {
        double[] sum = new double[numItems], n = new double[numItems];
        for (int j = 0; j < r.size(); j++) {
            sum[r.items()[j]] += r.ratings()[j] - r.mean();
            n[r.items()[j]]++;
        }
        double[] b = new double[numItems];
        for (int i = 0; i < numItems; i++) b[i] = n[i] + lambda > 0 ? sum[i] / (n[i] + lambda) : 0;
        return b;
    }

    /** b_u = Σ (r − μ − b_i) / (n + λ_user) over the given (support) ratings; 0 for none. */
    double userOffset(int[] items, float[] ratings) {
        double sum = 0;
        for (int k = 0; k < items.length; k++) sum += ratings[k] - train.mean() - itemBias[items[k]];
        return items.length + lambdaUser > 0 ? sum / (items.length + lambdaUser) : 0;
    }

    @Override public String name() { return "bias"; }

    @Override public String description() {
        return String.format(Locale.ROOT, "λ_item = %s, λ_user = %s%s", num(lambdaItem), num(lambdaUser), chosen.isEmpty() ? "" : " (" + chosen + ")");
    }

    public double lambdaItem() { return lambdaItem; }

    public double lambdaUser() { return lambdaUser; }

    public double mean() { return train.mean(); }

    /** The item's bias b_i. */
    public double itemBias(int item) { return itemBias[item]; }

    @Override public Scorer adapt(UserTask task) {
        Interactions x = tasks.data().interactions();
        double base = train.mean() + userOffset(x.itemsOf(task.support()), x.ratingsOf(task.support()));
        return items -> {
            float[] out = new float[items.length];
            for (int k = 0; k < items.length; k++) out[k] = train.clamp(base + itemBias[items[k]]);
            return out;
        };
    }

    static String num(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
