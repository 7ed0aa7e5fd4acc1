package io.metarec.rec.eval;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * Recommendation metrics as pure functions on arrays. Per-task values are combined over users with
 * {@link Summary#of} (mean ± std, 95% CI), so every user weighs the same, as in MeLU.
 *
 * <p><b>Ties.</b> Where a ranking is needed and several items have the same predicted score, the
 * metric is the expectation over all orders of the tied items (every order equally likely): a model
 * gets no credit for the order in which the input happened to list them. AUC counts a tie as ½,
 * which is the same rule.
 *
 * <p>A metric that is undefined for a task (no relevant item, no positive or no negative) is
 * {@link Double#NaN}; {@link Summary#of} skips those and reports how many it skipped.
 */
public final class Metrics {
    private Metrics() {}

    /** Default rating from which an item counts as relevant (liked) for Recall@k / full nDCG@k and implicit feedback. */
    public static final float DEFAULT_POSITIVE_THRESHOLD = 4f;

    // ------------------------------------------------------------------ rating error

    /** MAE = (1/n) Σ |p_j − r_j| over a task's query ratings. */
    public static double mae(float[] predicted, float[] actual) {
        checkPaired(predicted, actual);
        double s = 0;
        for (int j = 0; j < actual.length; j++) s += Math.abs((double) predicted[j] - actual[j]);
        return s / actual.length;
    }

    /** RMSE = sqrt((1/n) Σ (p_j − r_j)²) over a task's query ratings. */
    public static double rmse(float[] predicted, float[] actual) {
        checkPaired(predicted, actual);
        double s = 0;
        for (int j = 0; j < actual.length; j++) {
            double e = (double) predicted[j] - actual[j];
            s += e * e;
        }
        return Math.sqrt(s / actual.length);
    }

    // ------------------------------------------------------------------ ranking within the query set

    /**
     * nDCG@k within a task's query set (MeLU): the query items ranked by predicted score,
     * <pre>
     *   DCG@k  = Σ_{p=1..min(k,n)} (2^{r_(p)} − 1) / log2(1 + p)     r_(p): true rating of the item ranked p
     *   IDCG@k = the same with the items in order of true rating (the best possible DCG)
     *   nDCG@k = DCG@k / IDCG@k
     * </pre>
     * Tied predictions: the expected DCG over their orders, i.e. each position a tie group occupies
     * gets the group's mean gain. NaN when IDCG is 0 (every gain 0, e.g. all ratings 0).
     */
    public static double ndcgInQuery(float[] predicted, float[] actual, int k) {
        checkPaired(predicted, actual);
        if (k < 1) throw new IllegalArgumentException("nDCG@k needs k ≥ 1, got " + k);
        int n = actual.length, top = Math.min(k, n);
        Integer[] order = new Integer[n];
        for (int j = 0; j < n; j++) order[j] = j;
        Arrays.sort(order, (a, b) -> Float.compare(predicted[b], predicted[a]));
        double dcg = 0;
        for (int start = 0; start < top; ) {
            int end = start + 1;
            while (end < n && predicted[order[end]] == predicted[order[start]]) end++;
            double meanGain = 0;
            for (int p = start; p < end; p++) meanGain += gain(actual[order[p]]);
            meanGain /= end - start;
            for (int p = start; p < Math.min(end, top); p++) dcg += meanGain * discount(p);
            start = end;
        }
        float[] ideal = actual.clone();
        Arrays.sort(ideal);
        double idcg = 0;
        for (int p = 0; p < top; p++) idcg += gain(ideal[n - 1 - p]) * discount(p);
        return idcg == 0 ? Double.NaN : dcg / idcg;
    }

    /** 2^r − 1. */
    static double gain(float rating) {
        return Math.pow(2, rating) - 1;
    }

    /** 1 / log2(1 + rank) for the 0-based position p (rank p + 1). */
    static double discount(int p) {
        return 1 / (Math.log(p + 2) / Math.log(2));
    }

    // ------------------------------------------------------------------ full-catalogue ranking

    /** The query items whose rating is at least {@code threshold} (the relevant items), without repeats. */
    public static int[] relevant(int[] items, float[] ratings, float threshold) {
        if (items.length != ratings.length) throw new IllegalArgumentException("items and ratings differ in length: " + items.length + " vs " + ratings.length);
        return Arrays.stream(indicesAtLeast(items, ratings, threshold)).distinct().toArray();
    }

    private static int[] indicesAtLeast(int[] items, float[] ratings, float threshold) {
        int c = 0;
        int[] out = new int[items.length];
        for (int j = 0; j < items.length; j++) if (ratings[j] >= threshold) out[c++] = items[j];
        return Arrays.copyOf(out, c);
    }

    /** A candidate mask: every item except {@code exclude} (e.g. the task's support items). */
    public static boolean[] allExcept(int numItems, int[] exclude) {
        boolean[] c = new boolean[numItems];
        Arrays.fill(c, true);
        for (int i : exclude) c[i] = false;
        return c;
    }

    /**
     * Recall@k over the full catalogue: rank every item except {@code exclude} by score; with R the
     * relevant items (not excluded, without repeats),
     * <pre>  Recall@k = |top-k ∩ R| / |R|  </pre>
     * Ties at the cut count fractionally (expected hits over the tied orders). NaN when R is empty.
     */
    public static double recallAtK(float[] scores, int[] exclude, int[] relevant, int k) {
        return recallAtK(scores, allExcept(scores.length, exclude), relevant, k);
    }

    /** Recall@k ranking only the items with {@code candidate[i]} true (e.g. only new items). */
    public static double recallAtK(float[] scores, boolean[] candidate, int[] relevant, int k) {
        double[][] ranks = rankIntervals(scores, candidate, relevant, k);
        if (ranks.length == 0) return Double.NaN;
        double hits = 0;
        for (double[] r : ranks) hits += Math.max(0, Math.min(1, (k - r[0]) / r[1]));
        return hits / ranks.length;
    }

    /**
     * nDCG@k over the full catalogue with binary relevance (relevant = 1, other = 0):
     * <pre>
     *   DCG@k  = Σ_{p=1..k} rel_(p) / log2(1 + p)
     *   IDCG@k = Σ_{p=1..min(k,|R|)} 1 / log2(1 + p)
     * </pre>
     * over all items except {@code exclude}; ties as expectations. NaN when R is empty.
     */
    public static double ndcgAtK(float[] scores, int[] exclude, int[] relevant, int k) {
        return ndcgAtK(scores, allExcept(scores.length, exclude), relevant, k);
    }

    /** Full-catalogue nDCG@k ranking only the items with {@code candidate[i]} true. */
    public static double ndcgAtK(float[] scores, boolean[] candidate, int[] relevant, int k) {
        double[][] ranks = rankIntervals(scores, candidate, relevant, k);
        if (ranks.length == 0) return Double.NaN;
        double dcg = 0;
        for (double[] r : ranks) {
            int above = (int) r[0], tied = (int) r[1];
            double s = 0;
            for (int p = above; p < Math.min(above + tied, k); p++) s += discount(p);
            dcg += s / tied;
        }
        double idcg = 0;
        for (int p = 0; p < Math.min(k, ranks.length); p++) idcg += discount(p);
        return dcg / idcg;
    }

    /**
     * For each distinct relevant candidate i: {number of candidates scored strictly higher, number
     * scored equal (including i)}: i's rank is uniform over the positions after the first and within the second.
     */
    private static double[][] rankIntervals(float[] scores, boolean[] candidate, int[] relevant, int k) {
        if (k < 1) throw new IllegalArgumentException("k must be ≥ 1, got " + k);
        if (candidate.length != scores.length) throw new IllegalArgumentException("candidate mask has " + candidate.length + " entries for " + scores.length + " scores");
        for (int i = 0; i < scores.length; i++)
            if (candidate[i] && Float.isNaN(scores[i])) throw new IllegalArgumentException("score of item " + i + " is NaN");
        Set<Integer> seen = new HashSet<>();
        double[][] out = new double[relevant.length][];
        int c = 0;
        for (int i : relevant) {
            if (i < 0 || i >= scores.length) throw new IllegalArgumentException("relevant item " + i + " outside 0.." + (scores.length - 1));
            if (!candidate[i] || !seen.add(i)) continue;
            int above = 0, tied = 0;
            float s = scores[i];
            for (int j = 0; j < scores.length; j++) {
                if (!candidate[j]) continue;
                if (scores[j] > s) above++;
                else if (scores[j] == s) tied++;
            }
            out[c++] = new double[] {above, tied};
        }
        return Arrays.copyOf(out, c);
    }

    // ------------------------------------------------------------------ implicit feedback

    /**
     * AUC: the probability that a random positive scores above a random negative, ties counting ½,
     * <pre>  AUC = (1 / (P·N)) Σ_{i ∈ pos} Σ_{j ∈ neg} ( [s_i &gt; s_j] + ½ [s_i = s_j] )  </pre>
     * computed in O(n log n) from mid-ranks (Mann–Whitney U). NaN when there is no positive or no negative.
     */
    public static double auc(float[] scores, boolean[] positive) {
        if (scores.length != positive.length) throw new IllegalArgumentException("scores and labels differ in length: " + scores.length + " vs " + positive.length);
        int n = scores.length;
        Integer[] order = new Integer[n];
        for (int j = 0; j < n; j++) {
            if (Float.isNaN(scores[j])) throw new IllegalArgumentException("score " + j + " is NaN");
            order[j] = j;
        }
        Arrays.sort(order, (a, b) -> Float.compare(scores[a], scores[b]));
        double rankSum = 0;
        long pos = 0;
        for (int start = 0; start < n; ) {
            int end = start + 1;
            while (end < n && scores[order[end]] == scores[order[start]]) end++;
            double midRank = (start + 1 + end) / 2.0; // mean of ranks start+1 … end
            for (int p = start; p < end; p++) if (positive[order[p]]) rankSum += midRank;
            start = end;
        }
        for (boolean b : positive) if (b) pos++;
        long neg = n - pos;
        if (pos == 0 || neg == 0) return Double.NaN;
        return (rankSum - pos * (pos + 1) / 2.0) / ((double) pos * neg);
    }

    /** AUC from the scores of positives and of negatives. */
    public static double auc(float[] positiveScores, float[] negativeScores) {
        float[] all = Arrays.copyOf(positiveScores, positiveScores.length + negativeScores.length);
        System.arraycopy(negativeScores, 0, all, positiveScores.length, negativeScores.length);
        boolean[] label = new boolean[all.length];
        Arrays.fill(label, 0, positiveScores.length, true);
        return auc(all, label);
    }

    private static void checkPaired(float[] predicted, float[] actual) {
        if (predicted.length != actual.length)
            throw new IllegalArgumentException("predictions and ratings differ in length: " + predicted.length + " vs " + actual.length);
        if (actual.length == 0) throw new IllegalArgumentException("a metric needs at least one rating");
    }
}
