package io.metarec.rec.train;

import io.metarec.rec.data.Interactions;
import io.metarec.rec.eval.Metrics;
import io.metarec.rec.eval.Summary;
import io.metarec.rec.split.UserTask;
import io.metarec.util.EnginePool;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores a {@link Recommender} on the tasks of one scenario, per user, then averages over users
 * (MeLU's protocol). Metrics (names as in tables and JSON):
 * <ul>
 *   <li>{@code mae}, {@code rmse}: the query ratings (explicit feedback, rating predictors only);</li>
 *   <li>{@code ndcg@1}, {@code ndcg@3}, {@code ndcg@5}: the query items ranked by score, gain 2^r − 1;</li>
 *   <li>{@code recall@10}, {@code recall@20}, {@code full_ndcg@10}, {@code full_ndcg@20}: every item
 *       of the scenario's item partition (existing items, or new items for item-cold scenarios) ranked,
 *       the user's support items excluded; relevant = the query items rated at or above the
 *       positive threshold; ranked by {@link Recommender.Scorer#rank};</li>
 *   <li>{@code auc}: implicit feedback, query positives against the query's negatives.</li>
 * </ul>
 * Tasks run in parallel on the CPU pool; each is computed alone, so results do not depend on the thread count.
 */
public final class Evaluator {
    public static final List<String> EXPLICIT_METRICS = List.of("mae", "rmse", "ndcg@1", "ndcg@3", "ndcg@5",
            "recall@10", "recall@20", "full_ndcg@10", "full_ndcg@20");
    public static final List<String> IMPLICIT_METRICS = List.of("auc", "ndcg@1", "ndcg@3", "ndcg@5",
            "recall@10", "recall@20", "full_ndcg@10", "full_ndcg@20");

    private final TaskFactory tasks;
    private final boolean catalogue;

    /** @param catalogue whether to compute the full-catalogue metrics (they score every candidate item per user) */
    public Evaluator(TaskFactory tasks, boolean catalogue) {
        this.tasks = tasks;
        this.catalogue = catalogue;
    }

    public List<String> metricNames() {
        List<String> names = new ArrayList<>(tasks.feedback().implicit() ? IMPLICIT_METRICS : EXPLICIT_METRICS);
        if (!catalogue) names.removeIf(n -> n.startsWith("recall") || n.startsWith("full_"));
        return names;
    }

    /** Mean ± CI of every metric over the tasks (metrics a recommender cannot produce are NaN summaries). */
    public Map<String, Summary> evaluate(Recommender r, List<UserTask> ts) {
        return summaries(values(r, ts));
    }

    /**
     * The per-user values behind {@link #evaluate}: [metric (as {@link #metricNames})][task], NaN
     * where a metric is undefined. Each user's values depend on that user alone, so the values of
     * a share of the users (another machine's) are the same numbers.
     */
    public double[][] values(Recommender r, List<UserTask> ts) {
        List<String> names = metricNames();
        double[][] values = new double[names.size()][ts.size()];
        EnginePool.forEach(ts.size(), k -> {
            Map<String, Double> m;
            try (var scope = io.metarec.backend.Backends.current().openRepeatingScope()) { // device memory of this user dies here; user after user: the same allocations
                m = one(r, ts.get(k));
            }
            for (int j = 0; j < names.size(); j++) values[j][k] = m.getOrDefault(names.get(j), Double.NaN);
        });
        return values;
    }

    /** Mean ± CI of every metric from per-user values ({@link #values}, all users in the scenario's order). */
    public Map<String, Summary> summaries(double[][] values) {
        List<String> names = metricNames();
        Map<String, Summary> out = new LinkedHashMap<>();
        for (int j = 0; j < names.size(); j++) out.put(names.get(j), Summary.of(values[j]));
        return out;
    }

    private Map<String, Double> one(Recommender r, UserTask t) {
        Recommender.Scorer scorer = r.adapt(t);
        Map<String, Double> m = new LinkedHashMap<>();
        Interactions x = tasks.data().interactions();
        float threshold = tasks.feedback().positiveThreshold();
        int[] qItems = x.itemsOf(t.query());
        float[] qRatings = x.ratingsOf(t.query());
        if (tasks.feedback().implicit()) {
            TaskFactory.Labelled q = tasks.query(t);
            float[] s = scorer.score(q.items());
            boolean[] pos = new boolean[s.length];
            for (int k = 0; k < s.length; k++) pos[k] = q.targets()[k] > 0.5f;
            m.put("auc", Metrics.auc(s, pos));
            float[] sq = java.util.Arrays.copyOf(s, qItems.length); // the rated query items come first
            for (int k : new int[] {1, 3, 5}) m.put("ndcg@" + k, Metrics.ndcgInQuery(sq, qRatings, k));
        } else {
            float[] s = scorer.score(qItems);
            if (r.predictsRatings()) {
                m.put("mae", Metrics.mae(s, qRatings));
                m.put("rmse", Metrics.rmse(s, qRatings));
            }
            for (int k : new int[] {1, 3, 5}) m.put("ndcg@" + k, Metrics.ndcgInQuery(s, qRatings, k));
        }
        if (catalogue) {
            int[] candidates = tasks.candidates(t.scenario());
            float[] scores = new float[tasks.data().numItems()];
            boolean[] isCandidate = new boolean[scores.length];
            float[] s = scorer.rank(candidates);
            for (int k = 0; k < candidates.length; k++) {
                scores[candidates[k]] = s[k];
                isCandidate[candidates[k]] = true;
            }
            for (int item : x.itemsOf(t.support())) isCandidate[item] = false;
            int[] relevant = Metrics.relevant(qItems, qRatings, threshold);
            for (int k : new int[] {10, 20}) {
                m.put("recall@" + k, Metrics.recallAtK(scores, isCandidate, relevant, k));
                m.put("full_ndcg@" + k, Metrics.ndcgAtK(scores, isCandidate, relevant, k));
            }
        }
        return m;
    }
}
