package io.metarec.rec.data;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class SyntheticTest {
    @TempDir Path tmp;

    /** The default dataset (6000 users, 3000 items), generated once: about half a second. */
    static Synthetic.Generated gen;

    @BeforeAll static void generate() {
        gen = Synthetic.generate(SyntheticConfig.defaults());
    }

    @Test
    void sameSeedGivesByteIdenticalFilesAndAnotherSeedDoesNot() throws IOException {
        SyntheticConfig c = SyntheticConfig.of(300, 200, 7);
        Synthetic.write(c, tmp.resolve("a"), false);
        Synthetic.write(c, tmp.resolve("b"), false);
        Synthetic.write(SyntheticConfig.of(300, 200, 8), tmp.resolve("c"), false);
        List<String> files = List.of("interactions.csv", "users.csv", "items.csv", "SYNTHETIC.txt");
        for (String f : files)
            assertArrayEquals(Files.readAllBytes(tmp.resolve("a").resolve(f)), Files.readAllBytes(tmp.resolve("b").resolve(f)), f);
        assertFalse(Arrays.equals(Files.readAllBytes(tmp.resolve("a/interactions.csv")), Files.readAllBytes(tmp.resolve("c/interactions.csv"))));
        // What is written reads back as what was generated.
        GenericLayoutTest.assertSameData(Synthetic.generate(c).dataset(), Datasets.load(tmp.resolve("a")));
    }

    @Test
    void ratingsAndCountsLookLikeMovieLens() {
        Dataset d = gen.dataset();
        Interactions x = d.interactions();
        assertEquals(6000, d.numUsers());
        assertEquals(3000, d.numItems());
        int[] hist = new int[6];
        double sum = 0;
        for (int k = 0; k < x.size(); k++) {
            float r = x.rating(k);
            assertTrue(r == Math.rint(r) && r >= 1 && r <= 5, "ratings are whole stars 1–5");
            hist[(int) r]++;
            sum += r;
        }
        double mean = sum / x.size();
        assertTrue(mean > 3.3 && mean < 3.9, "mean rating " + mean);
        for (int r = 1; r <= 5; r++) assertTrue(hist[r] > 0.02 * x.size(), "rating " + r + " is " + hist[r] + " of " + x.size());
        assertTrue(hist[4] > hist[1] && hist[3] > hist[1] && hist[4] > hist[2], "skewed towards 3–4 like MovieLens: " + Arrays.toString(hist));

        int within = 0, below = 0, above = 0;
        for (int u = 0; u < d.numUsers(); u++) {
            int c = x.countOfUser(u);
            if (c < 13) below++;
            else if (c > 100) above++;
            else within++;
        }
        assertTrue(within > 0.8 * d.numUsers(), "most users have 13–100 ratings: " + within);
        assertTrue(below > 0.01 * d.numUsers() && above > 0.03 * d.numUsers(), "some outside: " + below + " below, " + above + " above");

        int[] perItem = new int[d.numItems()];
        for (int i = 0; i < perItem.length; i++) perItem[i] = x.countOfItem(i);
        Arrays.sort(perItem);
        long top = 0;
        for (int i = perItem.length * 9 / 10; i < perItem.length; i++) top += perItem[i];
        assertTrue(top > 0.4 * x.size(), "skewed popularity: the top 10% of items have " + top + " of " + x.size() + " ratings");
        assertTrue(x.hasTimestamps());
        for (int k = 0; k < x.size(); k++) assertTrue(x.timestamp(k) >= d.releaseTime(x.item(k)), "no rating before the release");
    }

    /** RMSE of a predictor over all ratings. */
    static double rmse(java.util.function.IntToDoubleFunction predict) {
        Interactions x = gen.dataset().interactions();
        double se = 0;
        for (int k = 0; k < x.size(); k++) {
            double e = predict.applyAsDouble(k) - x.rating(k);
            se += e * e;
        }
        return Math.sqrt(se / x.size());
    }

    @Test
    void knowingTheGroupPredictsMuchBetterThanDemographics() {
        Synthetic.PlantedModel m = gen.model();
        Interactions x = gen.dataset().interactions();
        double[][] posterior = new double[gen.dataset().numUsers()][];
        for (int u = 0; u < posterior.length; u++) posterior[u] = m.demographicPosterior(u);
        double withGroup = rmse(k -> m.expected(x.user(k), x.item(k)));
        double withDemographics = rmse(k -> {
            int u = x.user(k), i = x.item(k);
            double p = 0;
            for (int g = 0; g < m.groups(); g++) p += posterior[u][g] * m.expectedInGroup(u, i, g);
            return p;
        });
        // The true-group oracle leaves only noise and rounding; demographics leave the group's taste half unexplained.
        assertTrue(withGroup < 0.7, "true-group oracle RMSE " + withGroup);
        assertTrue(withDemographics > withGroup + 0.15, "demographics-only oracle RMSE " + withDemographics + " vs true group " + withGroup);

        int right = 0;
        for (int u = 0; u < posterior.length; u++) if (argmax(posterior[u]) == m.group(u)) right++;
        double accuracy = (double) right / posterior.length;
        assertTrue(accuracy > 1.0 / m.groups() + 0.15 && accuracy < 0.75,
                "demographics predict the group only partly: accuracy " + accuracy + " with " + m.groups() + " groups");
    }

    @Test
    void tenRatingsRevealTheGroupFarBetterThanDemographics() {
        // Bayes posterior over groups from 10 random ratings of each user (Gaussian likelihood around
        // the group's expected rating), starting from the demographic posterior: what an adaptive
        // learner can exploit and a non-adaptive one cannot.
        Synthetic.PlantedModel m = gen.model();
        Dataset d = gen.dataset();
        Interactions x = d.interactions();
        double var = m.noise() * m.noise() + 1.0 / 12; // noise plus rounding
        SplittableRandom r = new SplittableRandom(1);
        int right = 0, users = 0, demoRight = 0;
        for (int u = 0; u < d.numUsers(); u++) {
            int[] mine = x.ofUser(u);
            if (mine.length < 20) continue;
            users++;
            double[] logp = m.demographicPosterior(u).clone();
            if (argmax(logp) == m.group(u)) demoRight++;
            for (int g = 0; g < logp.length; g++) logp[g] = Math.log(logp[g]);
            for (int j = 0; j < 10; j++) {
                int k = mine[r.nextInt(mine.length)];
                for (int g = 0; g < logp.length; g++) {
                    double e = x.rating(k) - m.expectedInGroup(u, x.item(k), g);
                    logp[g] -= e * e / (2 * var);
                }
            }
            if (argmax(logp) == m.group(u)) right++;
        }
        double adapted = (double) right / users, demo = (double) demoRight / users;
        assertTrue(adapted > 0.85 && adapted > demo + 0.25, "group from 10 ratings: " + adapted + ", from demographics: " + demo);
    }

    static int argmax(double[] p) {
        int b = 0;
        for (int g = 1; g < p.length; g++) if (p[g] > p[b]) b = g;
        return b;
    }

    @Test
    void rejectsNonsenseSizes() {
        assertThrows(IllegalArgumentException.class, () -> SyntheticConfig.of(0, 100, 1));
        assertThrows(IllegalArgumentException.class, () -> SyntheticConfig.of(100, 5, 1));
    }
}
