package io.metarec.rec.data;

import io.metarec.rec.data.SyntheticConfig.Profile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntToDoubleFunction;

import static org.junit.jupiter.api.Assertions.*;

class SyntheticTest {
    @TempDir Path tmp;

    /** The default dataset (realistic profile, 6000 users, 3000 items, seed 42) and the features profile at the same size: about 3 s. */
    static Synthetic.Generated gen, features;

    @BeforeAll static void generate() {
        gen = Synthetic.generate(SyntheticConfig.defaults());
        features = Synthetic.generate(SyntheticConfig.of(6000, 3000, SyntheticConfig.DEFAULT_SEED, Profile.FEATURES));
    }

    @Test
    void sameSeedGivesByteIdenticalFilesAndAnotherSeedDoesNot() throws IOException {
        for (Profile p : Profile.values()) {
            SyntheticConfig c = SyntheticConfig.of(300, 200, 7, p);
            Path a = tmp.resolve(p.label() + "-a"), b = tmp.resolve(p.label() + "-b"), other = tmp.resolve(p.label() + "-c");
            Synthetic.write(c, a, false);
            Synthetic.write(c, b, false);
            Synthetic.write(SyntheticConfig.of(300, 200, 8, p), other, false);
            for (String f : List.of("interactions.csv", "users.csv", "items.csv", "SYNTHETIC.txt"))
                assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), p + " " + f);
            assertFalse(Arrays.equals(Files.readAllBytes(a.resolve("interactions.csv")), Files.readAllBytes(other.resolve("interactions.csv"))), p.label());
            assertTrue(Files.readString(a.resolve("SYNTHETIC.txt")).contains("--seed 7 --profile " + p.label()), p.label());
            // What is written reads back as what was generated.
            GenericLayoutTest.assertSameData(Synthetic.generate(c).dataset(), Datasets.load(a));
        }
        // The profiles share users and items (the same draws) but not the ratings.
        Path f = tmp.resolve("features-a"), r = tmp.resolve("realistic-a");
        assertArrayEquals(Files.readAllBytes(f.resolve("users.csv")), Files.readAllBytes(r.resolve("users.csv")));
        assertArrayEquals(Files.readAllBytes(f.resolve("items.csv")), Files.readAllBytes(r.resolve("items.csv")));
        assertFalse(Arrays.equals(Files.readAllBytes(f.resolve("interactions.csv")), Files.readAllBytes(r.resolve("interactions.csv"))));
    }

    @Test
    void featuresProfileWritesExactlyWhatTheFirstGeneratorWrote() throws IOException, NoSuchAlgorithmException {
        // SHA-256 of the files the generator wrote for 300 users, 200 items, seed 7 before the realistic profile existed.
        Synthetic.write(SyntheticConfig.of(300, 200, 7, Profile.FEATURES), tmp.resolve("f"), false);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        assertEquals("cbc1c464070273577192b67a53c0f5470488e78a757a95ef530a9998e26322eb",
                HexFormat.of().formatHex(sha.digest(Files.readAllBytes(tmp.resolve("f/interactions.csv")))));
        assertEquals("e262a7dfc62226a10d4a0bfb3c2310d8d28860544e6c6e3085633971e112ada6",
                HexFormat.of().formatHex(sha.digest(Files.readAllBytes(tmp.resolve("f/items.csv")))));
        assertEquals("187db117059951364cd5e37c92db70c440f02fe578e6ed1cc8e9905a34177162",
                HexFormat.of().formatHex(sha.digest(Files.readAllBytes(tmp.resolve("f/users.csv")))));
    }

    @Test
    void featuresProfileRatingsAndCountsAsBefore() {
        Dataset d = features.dataset();
        Interactions x = d.interactions();
        assertEquals(6000, d.numUsers());
        assertEquals(3000, d.numItems());
        assertEquals(336_734, x.size());
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
        assertTrue(topDecileShare(x, d.numItems()) > 0.4, "skewed popularity: the top 10% of items have " + topDecileShare(x, d.numItems()));
        assertTrue(x.hasTimestamps());
        for (int k = 0; k < x.size(); k++) assertTrue(x.timestamp(k) >= d.releaseTime(x.item(k)), "no rating before the release");
    }

    /**
     * The realistic profile against MovieLens-100K's statistics (measured on the genuine files, docs/data.md "Synthetic data";
     * ML-100K value in each message), with margins of a few seeds' spread.
     */
    @Test
    void realisticProfileMatchesMovieLens100K() {
        Dataset d = gen.dataset();
        Interactions x = d.interactions();
        assertEquals(6000, d.numUsers());
        assertEquals(3000, d.numItems());
        assertTrue(x.size() > 550_000 && x.size() < 700_000, "about 106 ratings per user as in ML-100K: " + x.size());
        double[] share = new double[6];
        double sum = 0;
        for (int k = 0; k < x.size(); k++) {
            float r = x.rating(k);
            assertTrue(r == Math.rint(r) && r >= 1 && r <= 5, "ratings are whole stars 1–5");
            share[(int) r] += 1.0 / x.size();
            sum += r;
        }
        double[] ml = {0, 0.061, 0.114, 0.271, 0.342, 0.212};
        for (int r = 1; r <= 5; r++) assertEquals(ml[r], share[r], 0.015, r + "★ share (ML-100K " + ml[r] + ")");
        assertEquals(3.53, sum / x.size(), 0.05, "mean rating (ML-100K 3.53)");

        int[] counts = new int[d.numUsers()];
        int within = 0;
        for (int u = 0; u < counts.length; u++) {
            counts[u] = x.countOfUser(u);
            if (counts[u] >= 13 && counts[u] <= 100) within++;
        }
        Arrays.sort(counts);
        assertEquals(13, counts[0], "the floor: MeLU's smallest task (ML-100K: 20, its curation)");
        assertBetween(quantile(counts, 0.25), 26, 40, "25% of ratings per user (ML-100K 33)");
        assertBetween(quantile(counts, 0.5), 55, 80, "median ratings per user (ML-100K 65)");
        assertBetween(quantile(counts, 0.75), 120, 180, "75% (ML-100K 148)");
        assertBetween(quantile(counts, 0.95), 260, 380, "95% (ML-100K 311)");
        assertBetween(counts[counts.length - 1], 500, 1000, "most ratings of a user (ML-100K 737)");
        assertEquals(0.617, (double) within / counts.length, 0.05, "share of users with 13–100 ratings (ML-100K 61.7%)");

        assertEquals(0.429, topDecileShare(x, d.numItems()), 0.04, "share of ratings on the top 10% of items (ML-100K 42.9%)");
        assertEquals(0.516, popularityQuality(x, d.numItems()), 0.07, "corr(log ratings of an item, its mean rating) (ML-100K 0.516)");

        Baselines b = baselines(gen, 1);
        assertEquals(0.104, b.globalRmse - b.itemRmse, 0.02, "RMSE gain of the item mean over the global mean (ML-100K 0.104): " + b);
        assertEquals(0.127, b.globalMae - b.itemMae, 0.02, "MAE gain (ML-100K 0.127): " + b);
        assertTrue(x.hasTimestamps());
        for (int k = 0; k < x.size(); k++) assertTrue(x.timestamp(k) >= d.releaseTime(x.item(k)), "no rating before the release");
    }

    /** What the profiles are for: on the realistic data an item's identity carries what its features do not, as on MovieLens. */
    @Test
    void itemMeanBeatsFeatureOnlyModelOnlyInTheRealisticProfile() {
        Baselines realistic = baselines(gen, 2), old = baselines(features, 2);
        // ML-100K: global 1.126, feature-only ridge 1.086, item mean 1.022.
        assertTrue(realistic.featureRmse - realistic.itemRmse > 0.04, "realistic: item mean clearly beats features: " + realistic);
        assertTrue(realistic.globalRmse - realistic.featureRmse > 0.02, "realistic: features still explain some: " + realistic);
        assertTrue(Math.abs(old.featureRmse - old.itemRmse) < 0.02, "features profile: features explain the item mean: " + old);
        // Item quality is linked to popularity far more in the realistic profile.
        double pqRealistic = popularityQuality(gen.dataset().interactions(), 3000), pqOld = popularityQuality(features.dataset().interactions(), 3000);
        assertTrue(pqRealistic > pqOld + 0.15, "popularity–quality correlation " + pqRealistic + " vs features profile " + pqOld);
    }

    /** RMSE of a predictor over all ratings of a dataset. */
    static double rmse(Synthetic.Generated g, IntToDoubleFunction predict) {
        Interactions x = g.dataset().interactions();
        double se = 0;
        for (int k = 0; k < x.size(); k++) {
            double e = predict.applyAsDouble(k) - x.rating(k);
            se += e * e;
        }
        return Math.sqrt(se / x.size());
    }

    @Test
    void knowingTheGroupPredictsMuchBetterThanDemographics() {
        // The features profile: the thresholds the demo's data was built for.
        Oracles f = oracles(features);
        // The true-group oracle leaves only noise and rounding; demographics leave the group's taste half unexplained.
        assertTrue(f.withGroup < 0.7, "true-group oracle RMSE " + f.withGroup);
        assertTrue(f.withDemographics > f.withGroup + 0.15, "demographics-only oracle RMSE " + f.withDemographics + " vs true group " + f.withGroup);
        assertTrue(f.accuracy > 1.0 / f.groups + 0.15 && f.accuracy < 0.75,
                "demographics predict the group only partly: accuracy " + f.accuracy + " with " + f.groups + " groups");
        // The realistic profile keeps the groups (same users), with more noise on top.
        Oracles r = oracles(gen);
        assertEquals(f.accuracy, r.accuracy, 1e-12, "same users, same demographics");
        assertTrue(r.withGroup < 0.78, "realistic true-group oracle RMSE " + r.withGroup);
        assertTrue(r.withDemographics > r.withGroup + 0.14, "realistic demographics-only oracle RMSE " + r.withDemographics + " vs " + r.withGroup);
    }

    record Oracles(double withGroup, double withDemographics, double accuracy, int groups) {}

    static Oracles oracles(Synthetic.Generated g) {
        Synthetic.PlantedModel m = g.model();
        Interactions x = g.dataset().interactions();
        double[][] posterior = new double[g.dataset().numUsers()][];
        for (int u = 0; u < posterior.length; u++) posterior[u] = m.demographicPosterior(u);
        double withGroup = rmse(g, k -> m.expected(x.user(k), x.item(k)));
        double withDemographics = rmse(g, k -> {
            int u = x.user(k), i = x.item(k);
            double p = 0;
            for (int c = 0; c < m.groups(); c++) p += posterior[u][c] * m.expectedInGroup(u, i, c);
            return p;
        });
        int right = 0;
        for (int u = 0; u < posterior.length; u++) if (argmax(posterior[u]) == m.group(u)) right++;
        return new Oracles(withGroup, withDemographics, (double) right / posterior.length, m.groups());
    }

    @Test
    void tenRatingsRevealTheGroupFarBetterThanDemographics() {
        // Bayes posterior over groups from 10 random ratings of each user (Gaussian likelihood around
        // the group's expected rating), starting from the demographic posterior: what an adaptive
        // learner can exploit and a non-adaptive one cannot.
        double[] f = groupFromTenRatings(features);
        assertTrue(f[0] > 0.85 && f[0] > f[1] + 0.25, "group from 10 ratings: " + f[0] + ", from demographics: " + f[1]);
        double[] r = groupFromTenRatings(gen);
        assertTrue(r[0] > 0.8 && r[0] > r[1] + 0.3, "realistic: group from 10 ratings: " + r[0] + ", from demographics: " + r[1]);
    }

    /** {share of users ≥ 20 ratings whose group 10 ratings + demographics recover, share demographics alone recover}. */
    static double[] groupFromTenRatings(Synthetic.Generated g) {
        Synthetic.PlantedModel m = g.model();
        Dataset d = g.dataset();
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
            for (int c = 0; c < logp.length; c++) logp[c] = Math.log(logp[c]);
            for (int j = 0; j < 10; j++) {
                int k = mine[r.nextInt(mine.length)];
                for (int c = 0; c < logp.length; c++) {
                    double e = x.rating(k) - m.expectedInGroup(u, x.item(k), c);
                    logp[c] -= e * e / (2 * var);
                }
            }
            if (argmax(logp) == m.group(u)) right++;
        }
        return new double[] {(double) right / users, (double) demoRight / users};
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
        assertEquals(Profile.FEATURES, Profile.parse(" Features"));
        assertThrows(IllegalArgumentException.class, () -> Profile.parse("movielens"));
    }

    // ------------------------------------------------------------------ the calibration statistics (docs/data.md "Synthetic data")

    static void assertBetween(double v, double lo, double hi, String what) {
        assertTrue(v >= lo && v <= hi, what + ": " + v + " not within " + lo + "–" + hi);
    }

    /** Nearest-rank quantile of sorted values. */
    static int quantile(int[] sorted, double p) {
        return sorted[Math.max(0, (int) Math.ceil(p * sorted.length) - 1)];
    }

    /** Share of the ratings on the 10% most rated items. */
    static double topDecileShare(Interactions x, int items) {
        int[] perItem = new int[items];
        for (int i = 0; i < items; i++) perItem[i] = x.countOfItem(i);
        Arrays.sort(perItem);
        long top = 0;
        for (int i = items - (int) Math.ceil(items / 10.0); i < items; i++) top += perItem[i];
        return (double) top / x.size();
    }

    /** Pearson correlation over rated items of ln(number of ratings) and the mean rating. */
    static double popularityQuality(Interactions x, int items) {
        double n = 0, sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
        for (int i = 0; i < items; i++) {
            int c = x.countOfItem(i);
            if (c == 0) continue;
            double s = 0;
            for (int k : x.ofItem(i)) s += x.rating(k);
            double a = Math.log(c), b = s / c;
            n++;
            sa += a;
            sb += b;
            saa += a * a;
            sbb += b * b;
            sab += a * b;
        }
        return (sab / n - sa / n * sb / n) / Math.sqrt((saa / n - sa / n * sa / n) * (sbb / n - sb / n * sb / n));
    }

    /** Held-out errors of the global mean, the item mean and a feature-only model on a random 80/20 split of the ratings. */
    record Baselines(double globalRmse, double globalMae, double itemRmse, double itemMae, double featureRmse) {}

    /**
     * The global mean, the item mean shrunk with 5 pseudo-ratings (as {@code Baselines.itemMean}), and a feature-only
     * model — ridge regression (λ = 5) of the rating on one-hot decade, director and genres, fit by coordinate descent —
     * trained on a random 80% of the ratings and scored on the other 20%.
     */
    static Baselines baselines(Synthetic.Generated g, long seed) {
        Interactions x = g.dataset().interactions();
        Synthetic.PlantedModel m = g.model();
        int nI = g.dataset().numItems(), nD = m.config.directors(), nK = Synthetic.GENRES.size();
        SplittableRandom r = new SplittableRandom(seed);
        boolean[] test = new boolean[x.size()];
        double[] sum = new double[nI];
        int[] cnt = new int[nI];
        double total = 0;
        int train = 0;
        for (int k = 0; k < x.size(); k++) {
            test[k] = r.nextDouble() < 0.2;
            if (test[k]) continue;
            sum[x.item(k)] += x.rating(k);
            cnt[x.item(k)]++;
            total += x.rating(k);
            train++;
        }
        double mu = total / train;
        double[] itemMean = new double[nI];
        for (int i = 0; i < nI; i++) itemMean[i] = (sum[i] + 5 * mu) / (cnt[i] + 5);

        // Parameters: decades (1940s–2020s) | directors | genres; each item has coefficient 1 on its decade, director and genres.
        int nDec = 9, nP = nDec + nD + nK;
        int[][] feat = new int[nI][];
        for (int i = 0; i < nI; i++) {
            int[] gs = m.itemGenres[i];
            feat[i] = new int[2 + gs.length];
            feat[i][0] = Math.min(nDec - 1, (m.itemYear[i] - 1940) / 10);
            feat[i][1] = nDec + m.itemDirector[i];
            for (int j = 0; j < gs.length; j++) feat[i][2 + j] = nDec + nD + gs[j];
        }
        int[] size = new int[nP];
        for (int[] f : feat) for (int p : f) size[p]++;
        int[][] members = new int[nP][];
        for (int p = 0; p < nP; p++) members[p] = new int[size[p]];
        Arrays.fill(size, 0);
        for (int i = 0; i < nI; i++) for (int p : feat[i]) members[p][size[p]++] = i;
        double[] theta = new double[nP], fit = new double[nI];
        for (int sweep = 0; sweep < 30; sweep++)
            for (int p = 0; p < nP; p++) { // exact coordinate descent on Σ_ratings (r − μ − fit)² + 5 Σ θ²
                double num = 0, den = 0;
                for (int i : members[p]) {
                    num += sum[i] - cnt[i] * (mu + fit[i] - theta[p]);
                    den += cnt[i];
                }
                double delta = num / (den + 5) - theta[p];
                theta[p] += delta;
                for (int i : members[p]) fit[i] += delta;
            }
        double gse = 0, gae = 0, ise = 0, iae = 0, fse = 0;
        int n = 0;
        for (int k = 0; k < x.size(); k++) {
            if (!test[k]) continue;
            int i = x.item(k);
            double y = x.rating(k);
            gse += (mu - y) * (mu - y);
            gae += Math.abs(mu - y);
            ise += (itemMean[i] - y) * (itemMean[i] - y);
            iae += Math.abs(itemMean[i] - y);
            fse += (mu + fit[i] - y) * (mu + fit[i] - y);
            n++;
        }
        return new Baselines(Math.sqrt(gse / n), gae / n, Math.sqrt(ise / n), iae / n, Math.sqrt(fse / n));
    }
}
