package io.metarec.rec.train;

import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.Interactions;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import io.metarec.rec.split.MeluProtocol;
import io.metarec.rec.split.Scenario;
import io.metarec.rec.split.UserTask;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The support-fitted biased MF: the new user's ridge fit is the closed-form solution, it fits the
 * support better than an offset alone, and on the synthetic data bias and MF beat the item mean on
 * user-cold, inside the rating scale, reproducibly.
 */
class BiasedMfTest {
    @TempDir Path dir;
    static Experiment synthetic;
    static BiasBaseline bias;
    static BiasedMf mf;

    @BeforeAll
    static void fit() {
        Dataset d = Synthetic.generate(SyntheticConfig.of(1500, 600, 11)).dataset();
        synthetic = Experiment.of(d, MeluProtocol.defaults().split(d), Feedback.explicit(), 0.1, 1);
        List<UserTask> val = synthetic.trainValidation().validation();
        bias = BiasBaseline.tuned(synthetic.tasks(), val);
        mf = BiasedMf.tuned(synthetic.tasks(), val, 1);
        System.out.println("bias: " + bias.description() + "; mf: " + mf.description());
    }

    @Test
    void newUserFitIsTheClosedFormRidgeSolution() throws IOException {
        Experiment e = RatingFixtures.experiment(dir, BiasBaselineTest.TINY, 0);
        double mu = 3.5, lambda = 0.5;
        double[] q = {0.8, -0.3, -0.5, 0.9, 0.2, 0.4}, bi = {0.3, -0.2, 0.1}; // k = 2, items 0..2
        BiasedMf m = new BiasedMf(e.tasks(), new TrainRatings(new int[0], new int[0], new float[0], mu, 1, 5), 2, lambda, q, bi, "");
        int[] items = {0, 1, 2, 1};
        float[] ratings = {5, 2, 4, 3};
        // (Σ x xᵀ + λI) w = Σ (r − μ − b_i) x with x = (q_i1, q_i2, 1), solved by Cramer's rule
        double[][] a = new double[3][3];
        double[] rhs = new double[3];
        for (int j = 0; j < items.length; j++) {
            double[] x = {q[2 * items[j]], q[2 * items[j] + 1], 1};
            for (int r = 0; r < 3; r++) {
                for (int c = 0; c < 3; c++) a[r][c] += x[r] * x[c];
                rhs[r] += (ratings[j] - mu - bi[items[j]]) * x[r];
            }
        }
        for (int r = 0; r < 3; r++) a[r][r] += lambda;
        double det = det(a);
        double[] expected = new double[3];
        for (int col = 0; col < 3; col++) {
            double[][] ac = new double[3][];
            for (int r = 0; r < 3; r++) {
                ac[r] = a[r].clone();
                ac[r][col] = rhs[r];
            }
            expected[col] = det(ac) / det;
        }
        double[] w = m.foldIn(items, ratings);
        assertArrayEquals(expected, w, 1e-12);
        assertEquals(mu + w[2] + bi[1] + w[0] * q[2] + w[1] * q[3], m.predict(w, 1), 1e-6);
        // the clamp: a user and an item far above the scale
        assertEquals(5f, m.predict(new double[] {0, 0, 3}, 0));
        assertEquals(1f, m.predict(new double[] {0, 0, -4}, 1));
    }

    private static double det(double[][] m) {
        return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    }

    @Test
    void factorsFitTheSupportBetterThanAnOffsetAlone() {
        Interactions x = synthetic.data().interactions();
        double sseMf = 0, sseOffset = 0;
        int k = mf.factors();
        for (UserTask t : synthetic.split().tasks(Scenario.USER_COLD)) {
            int[] items = x.itemsOf(t.support());
            float[] ratings = x.ratingsOf(t.support());
            double[] user = mf.foldIn(items, ratings);
            double[] offset = new double[k + 1]; // p = 0, b = Σ (r − μ − b_i) / (n + λ): the ridge fit without factors
            offset[k] = offsetOnly(items, ratings);
            for (int j = 0; j < items.length; j++) {
                sseMf += sq(mf.predict(user, items[j]) - ratings[j]);
                sseOffset += sq(mf.predict(offset, items[j]) - ratings[j]);
            }
        }
        String msg = String.format("user-cold support SSE: factors and offset %.1f, offset alone %.1f", sseMf, sseOffset);
        System.out.println(msg);
        assertTrue(sseMf < 0.9 * sseOffset, msg);
    }

    /** The ridge fit without factors (q = 0 for every item): b = Σ (r − μ − b_i) / (n + λ). */
    private static double offsetOnly(int[] items, float[] ratings) {
        double sum = 0;
        for (int j = 0; j < items.length; j++) sum += ratings[j] - mf.mean() - mf.itemBias(items[j]);
        return sum / (items.length + mf.lambda());
    }

    private static double sq(double v) {
        return v * v;
    }

    @Test
    void biasAndMfBeatTheItemMeanOnUserCold() {
        Evaluator ev = new Evaluator(synthetic.tasks(), false);
        List<UserTask> users = synthetic.split().tasks(Scenario.USER_COLD);
        double item = ev.evaluate(Baselines.itemMean(synthetic.tasks()), users).get("mae").mean();
        double b = ev.evaluate(bias, users).get("mae").mean(), m = ev.evaluate(mf, users).get("mae").mean();
        String msg = String.format("user-cold MAE (%d users): item-mean %.4f, bias %.4f, mf %.4f", users.size(), item, b, m);
        System.out.println(msg);
        assertTrue(b < item - 0.02, msg);
        assertTrue(m < b - 0.02, msg);
    }

    @Test
    void predictionsStayInTheScaleAndAreReproducible() {
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        Interactions x = synthetic.data().interactions();
        for (int k = 0; k < x.size(); k++)
            if (synthetic.split().scenarioOf(k) == Scenario.TRAIN) {
                min = Math.min(min, x.rating(k));
                max = Math.max(max, x.rating(k));
            }
        int[] all = new int[synthetic.data().numItems()];
        for (int i = 0; i < all.length; i++) all[i] = i;
        BiasedMf again = BiasedMf.fit(synthetic.tasks(), mf.factors(), mf.lambda(), 1);
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (Scenario s : Scenario.evaluation())
            for (UserTask t : synthetic.split().tasks(s).subList(0, 40)) {
                float[] sm = mf.adapt(t).score(all), sb = bias.adapt(t).score(all);
                assertArrayEquals(sm, again.adapt(t).score(all), "same seed, same model: " + t);
                for (int i = 0; i < all.length; i++) {
                    lo = Math.min(lo, Math.min(sm[i], sb[i]));
                    hi = Math.max(hi, Math.max(sm[i], sb[i]));
                }
            }
        assertTrue(lo >= min && hi <= max, "scores in [" + lo + ", " + hi + "], scale [" + min + ", " + max + "]");
        assertTrue(lo < min + 0.5 && hi > max - 0.5, "the scores span the scale: [" + lo + ", " + hi + "]");
    }

    @Test
    void badSettingsAreOneLine() throws IOException {
        Experiment e = RatingFixtures.experiment(dir, BiasBaselineTest.TINY, 0);
        var ex = assertThrows(IllegalArgumentException.class, () -> BiasedMf.fit(e.tasks(), 4, 0, 1));
        assertTrue(ex.getMessage().startsWith("mf: the ridge λ must be positive"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> BiasedMf.fit(e.tasks(), 0, 1, 1));
        assertTrue(ex.getMessage().contains("factors"), ex.getMessage());
    }
}
