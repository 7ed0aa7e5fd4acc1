package io.metarec.rec.eval;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Metrics against values computed by hand (the computation is in the comments). */
class MetricsTest {
    static final double EPS = 1e-6;
    // Discounts 1/log2(1+rank): rank 1 → 1, rank 2 → 1/log2(3) = 0.6309298, rank 3 → 1/log2(4) = 0.5, rank 4 → 1/log2(5) = 0.4306766.
    static final double D2 = 0.6309297535714574, D3 = 0.5, D4 = 0.43067655807339306;

    @Test
    void maeAndRmse() {
        // errors: 3.5−4 = −0.5, 4−4 = 0, 2−5 = −3
        // MAE  = (0.5 + 0 + 3) / 3 = 1.1666667
        // RMSE = sqrt((0.25 + 0 + 9) / 3) = sqrt(3.0833333) = 1.7559423
        float[] p = {3.5f, 4f, 2f}, r = {4f, 4f, 5f};
        assertEquals(3.5 / 3, Metrics.mae(p, r), EPS);
        assertEquals(Math.sqrt(9.25 / 3), Metrics.rmse(p, r), EPS);
        assertEquals(1.7559422921421233, Metrics.rmse(p, r), EPS);
        assertThrows(IllegalArgumentException.class, () -> Metrics.mae(new float[2], new float[3]));
        assertThrows(IllegalArgumentException.class, () -> Metrics.rmse(new float[0], new float[0]));
    }

    @Test
    void ndcgWithinTheQuerySet() {
        // true ratings [5, 3, 4, 1], predictions [0.9, 0.8, 0.1, 0.5]
        // predicted order: item0 (r=5), item1 (r=3), item3 (r=1), item2 (r=4); gains 2^r − 1: 31, 7, 1, 15
        // DCG@3  = 31·1 + 7·D2 + 1·D3 = 35.9165086          IDCG@3 (5, 4, 3) = 31 + 15·D2 + 7·D3 = 43.9639463
        // nDCG@3 = 0.8169537
        // DCG@5 (only 4 items) = 35.9165086 + 15·D4 = 42.3766570;  IDCG@5 = 43.9639463 + 1·D4 = 44.3946228;  nDCG@5 = 0.9545448
        // nDCG@1 = 31 / 31 = 1
        float[] actual = {5, 3, 4, 1}, predicted = {0.9f, 0.8f, 0.1f, 0.5f};
        assertEquals(1.0, Metrics.ndcgInQuery(predicted, actual, 1), EPS);
        assertEquals((31 + 7 * D2 + D3) / (31 + 15 * D2 + 7 * D3), Metrics.ndcgInQuery(predicted, actual, 3), EPS);
        assertEquals(0.8169536926234068, Metrics.ndcgInQuery(predicted, actual, 3), EPS);
        assertEquals(0.9545448055312217, Metrics.ndcgInQuery(predicted, actual, 5), EPS);
        // A perfect order scores 1 at every k.
        for (int k = 1; k <= 5; k++) assertEquals(1.0, Metrics.ndcgInQuery(actual, actual, k), EPS);
    }

    @Test
    void tiedPredictionsGetTheExpectationOverTheirOrders() {
        // all predictions equal, true ratings [5, 1, 3]: gains 31, 1, 7, mean gain 13 at every position
        // nDCG@1 = 13 / 31 = 0.4193548
        // nDCG@3 = 13·(1 + D2 + D3) / (31 + 7·D2 + 1·D3) = 27.7020868 / 35.9165086 = 0.7712912
        float[] same = {2, 2, 2};
        assertEquals(13.0 / 31, Metrics.ndcgInQuery(same, new float[] {5, 1, 3}, 1), EPS);
        assertEquals(0.7712912008128328, Metrics.ndcgInQuery(same, new float[] {5, 1, 3}, 3), EPS);
        // ...so the order of the input does not matter.
        assertEquals(13.0 / 31, Metrics.ndcgInQuery(same, new float[] {1, 3, 5}, 1), EPS);
        // All gains zero: undefined.
        assertTrue(Double.isNaN(Metrics.ndcgInQuery(new float[] {1, 2}, new float[] {0, 0}, 2)));
    }

    @Test
    void fullCatalogueRecallAndNdcg() {
        // scores of 6 items, item 0 is a support item (excluded); relevant: items 1 and 4
        // ranking without item 0: 1 (0.8), 2 (0.7), 3 (0.6), 4 (0.5), 5 (0.4)
        // k = 2: top {1, 2} → 1 hit of 2: Recall@2 = 0.5; DCG@2 = 1 (item 1 at rank 1), IDCG@2 = 1 + D2 → nDCG@2 = 0.6131472
        // k = 5: both found: Recall@5 = 1; DCG@5 = 1 + D4 (item 4 at rank 4) → nDCG@5 = 1.4306766 / 1.6309298 = 0.8772153
        float[] scores = {0.9f, 0.8f, 0.7f, 0.6f, 0.5f, 0.4f};
        int[] support = {0}, relevant = {1, 4};
        assertEquals(0.5, Metrics.recallAtK(scores, support, relevant, 2), EPS);
        assertEquals(1 / (1 + D2), Metrics.ndcgAtK(scores, support, relevant, 2), EPS);
        assertEquals(1.0, Metrics.recallAtK(scores, support, relevant, 5), EPS);
        assertEquals((1 + D4) / (1 + D2), Metrics.ndcgAtK(scores, support, relevant, 5), EPS);
        assertEquals(0.8772153153380493, Metrics.ndcgAtK(scores, support, relevant, 5), EPS);
        // Without the exclusion, item 0 would take rank 1 and push item 1 to rank 2.
        assertEquals(D2 / (1 + D2), Metrics.ndcgAtK(scores, new int[0], relevant, 2), EPS);
        // A relevant item that is excluded (rated in the support) does not count; repeats count once.
        assertEquals(0.0, Metrics.recallAtK(scores, new int[] {0, 1}, new int[] {1, 4, 4}, 2), EPS);
        // exclude item 1, relevant {1, 2} → R = {2}; ranking 0, 2, 3, … → found at rank 2
        assertEquals(0.0, Metrics.recallAtK(scores, new int[] {1}, new int[] {1, 2}, 1), EPS);
        assertEquals(1.0, Metrics.recallAtK(scores, new int[] {1}, new int[] {1, 2}, 2), EPS);
        assertTrue(Double.isNaN(Metrics.recallAtK(scores, support, new int[0], 10)));
        // Candidate masks: rank only items 3..5.
        boolean[] onlyNew = {false, false, false, true, true, true};
        assertEquals(1.0, Metrics.recallAtK(scores, onlyNew, new int[] {4}, 2), EPS);
        assertThrows(IllegalArgumentException.class, () -> Metrics.recallAtK(new float[] {Float.NaN, 1}, new int[0], new int[] {1}, 1));
    }

    @Test
    void fullCatalogueTiesAtTheCutCountFractionally() {
        // items 0, 1, 2 tie at 0.5; item 0 is relevant
        // k = 1: item 0 is first with probability 1/3 → Recall@1 = 1/3, nDCG@1 = (1/3)·1 / 1 = 1/3
        // k = 2: rank 1 or 2 with probability 1/3 each → Recall@2 = 2/3, DCG@2 = (1 + D2)/3 = 0.5436433, IDCG@2 = 1 (one relevant item)
        float[] scores = {0.5f, 0.5f, 0.5f, 0.1f};
        int[] rel = {0};
        assertEquals(1.0 / 3, Metrics.recallAtK(scores, new int[0], rel, 1), EPS);
        assertEquals(1.0 / 3, Metrics.ndcgAtK(scores, new int[0], rel, 1), EPS);
        assertEquals(2.0 / 3, Metrics.recallAtK(scores, new int[0], rel, 2), EPS);
        assertEquals((1 + D2) / 3, Metrics.ndcgAtK(scores, new int[0], rel, 2), EPS);
    }

    @Test
    void relevantItemsFromQueryRatings() {
        // items [3, 7, 9] rated [4, 3.5, 5]; threshold 4 → [3, 9]
        assertArrayEquals(new int[] {3, 9}, Metrics.relevant(new int[] {3, 7, 9}, new float[] {4, 3.5f, 5}, Metrics.DEFAULT_POSITIVE_THRESHOLD));
        assertArrayEquals(new int[] {3}, Metrics.relevant(new int[] {3, 3}, new float[] {4, 5}, 4));
    }

    @Test
    void aucCountsTiesAsHalf() {
        // positives 0.9, 0.4; negatives 0.6, 0.4, 0.2
        // 0.9 beats all three negatives: 3; 0.4 loses to 0.6 (0), ties 0.4 (½), beats 0.2 (1): 1.5
        // AUC = 4.5 / (2·3) = 0.75
        float[] s = {0.9f, 0.4f, 0.6f, 0.4f, 0.2f};
        boolean[] pos = {true, true, false, false, false};
        assertEquals(0.75, Metrics.auc(s, pos), EPS);
        assertEquals(0.75, Metrics.auc(new float[] {0.4f, 0.9f}, new float[] {0.2f, 0.6f, 0.4f}), EPS);
        assertEquals(0.5, Metrics.auc(new float[] {1, 1, 1}, new boolean[] {true, false, false}), EPS, "all tied");
        assertEquals(1.0, Metrics.auc(new float[] {3, 2, 1}, new boolean[] {true, false, false}), EPS);
        assertEquals(0.0, Metrics.auc(new float[] {1, 2, 3}, new boolean[] {true, false, false}), EPS);
        assertTrue(Double.isNaN(Metrics.auc(new float[] {1, 2}, new boolean[] {true, true})));
        // Against the O(P·N) definition on random data with many ties.
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        float[] x = new float[200];
        boolean[] y = new boolean[200];
        for (int i = 0; i < 200; i++) {
            x[i] = r.nextInt(10);
            y[i] = r.nextInt(3) == 0;
        }
        double sum = 0;
        int p = 0, n = 0;
        for (int i = 0; i < 200; i++) {
            if (y[i]) p++;
            else n++;
            for (int j = 0; j < 200; j++) if (y[i] && !y[j]) sum += x[i] > x[j] ? 1 : x[i] == x[j] ? 0.5 : 0;
        }
        assertEquals(sum / ((double) p * n), Metrics.auc(x, y), 1e-12);
    }

    @Test
    void summaryMeanStdAndConfidenceInterval() {
        // [1, 2, 3, 4]: mean 2.5; std = sqrt((2.25 + 0.25 + 0.25 + 2.25) / 3) = sqrt(5/3) = 1.2909944
        // ci95 = t(0.975, 3) · std / sqrt(4) = 3.182 · 1.2909944 / 2 = 2.0539722
        Summary s = Summary.of(new double[] {1, 2, 3, 4, Double.NaN});
        assertEquals(4, s.n());
        assertEquals(1, s.skipped());
        assertEquals(2.5, s.mean(), EPS);
        assertEquals(Math.sqrt(5.0 / 3), s.std(), EPS);
        assertEquals(2.053972167938667, s.ci95(), EPS);
        assertEquals("2.50 ± 2.05", s.format(2));
        Summary one = Summary.of(new double[] {0.7});
        assertEquals(0, one.std());
        assertTrue(Double.isNaN(one.ci95()));
        assertEquals("0.700", one.format(3));
        assertEquals(0, Summary.of(new double[] {Double.NaN}).n());
        assertEquals(1.984, Summary.tQuantile975(100), 1e-3);
        assertEquals(2.042, Summary.tQuantile975(30), 1e-9);
        assertEquals(2.021, Summary.tQuantile975(40), 1e-3);
    }
}
