package io.metarec.cli;

import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.Datasets;
import io.metarec.rec.data.ReleaseSource;
import io.metarec.rec.data.Interactions;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import io.metarec.rec.model.FeatureEncoder;
import io.metarec.rec.split.ColdStartSplit;
import io.metarec.rec.split.MeluProtocol;
import io.metarec.rec.split.Scenario;
import io.metarec.rec.train.Recommendations;
import io.metarec.rec.train.SavedModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A dataset that is nothing but {@code interactions.csv} (no users.csv, no items.csv): the model has
 * no features at all, so only the item identities can tell items apart. Trained through the CLI
 * (MeLU protocol split computed on the fly, release times from first ratings) with the default
 * preset (identities on), two new users with opposite tastes get different recommendations; with
 * {@code --no-identity} the model cannot tell items apart and scores every item the same. Shown
 * scores stay on the data's 1–5 scale.
 */
class InteractionsOnlyTest extends CapturedCli {
    @TempDir static Path dir;
    static Path data, withIdentity, withoutIdentity;
    static Synthetic.Generated gen;

    static final String[] SMALL = {"--embedding-dim", "8", "--hidden", "16,16", "--epochs", "4", "--meta-batch", "16", "--inner-steps", "2"};

    @BeforeAll
    static void dataAndModels() throws IOException {
        gen = Synthetic.generate(SyntheticConfig.of(400, 150, 11));
        Dataset d = gen.dataset();
        Interactions x = d.interactions();
        assertTrue(x.hasTimestamps());
        data = Files.createDirectories(dir.resolve("bare"));
        StringBuilder b = new StringBuilder("user,item,rating,timestamp\n");
        for (int k = 0; k < x.size(); k++)
            b.append(d.userId(x.user(k))).append(',').append(d.itemId(x.item(k))).append(',').append((int) x.rating(k)).append(',')
                    .append(x.timestamp(k)).append('\n');
        Files.writeString(data.resolve("interactions.csv"), b);
        withIdentity = dir.resolve("id.metarec");
        withoutIdentity = dir.resolve("noid.metarec");
        PrintStream o = System.out, e = System.err;
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(sink, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(sink, true, StandardCharsets.UTF_8));
            assertEquals(0, Main.run(RecCommandsTest.concat(new String[] {"train", "--data", data.toString(), "--out", withIdentity.toString()}, SMALL)),
                    sink::toString);
            assertEquals(0, Main.run(RecCommandsTest.concat(new String[] {"train", "--data", data.toString(), "--out", withoutIdentity.toString(),
                    "--no-identity"}, SMALL)), sink::toString);
        } finally {
            System.setOut(o);
            System.setErr(e);
        }
        try (var files = Files.list(data)) {
            assertEquals(List.of("interactions.csv"), files.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).toList(),
                    "training must not need (or write) feature files");
        }
    }


    /**
     * The items the model knows well (≥ 10 training ratings), as ids in the data, ordered from the
     * one hidden group 0 likes most relative to group 1 to the one it likes least: its two ends are
     * two opposite taste clusters.
     */
    static List<String> byTaste(SavedModel m) {
        int[] counts = m.rarity(0).counts();
        boolean[] known = m.encoder().knownItems();
        Synthetic.PlantedModel pm = gen.model();
        Dataset d = gen.dataset();
        List<Integer> items = new ArrayList<>();
        for (int i = 0; i < d.numItems(); i++) {
            int at = m.itemIndex(d.itemId(i));
            if (at >= 0 && counts[at] >= 10 && known[at]) items.add(i);
        }
        items.sort(Comparator.comparingDouble(i -> -(pm.groupTaste(0, i) - pm.groupTaste(1, i))));
        assertTrue(items.size() >= 40, "too few well-known items: " + items.size());
        return items.stream().map(d::itemId).toList();
    }

    static List<String> head(List<String> l, int from, int n) {
        return l.subList(from, from + n);
    }

    static List<String> tail(List<String> l, int from, int n) {
        return head(l.reversed(), from, n);
    }

    /** A ratings file: the items of {@code five} rated 5, those of {@code one} rated 1. */
    static Path ratings(String name, List<String> five, List<String> one) throws IOException {
        StringBuilder b = new StringBuilder("item,rating\n");
        for (String i : five) b.append(i).append(",5\n");
        for (String i : one) b.append(i).append(",1\n");
        return Files.writeString(dir.resolve(name), b);
    }

    /** The (item id, shown score) rows of a recommend listing. */
    static List<Map.Entry<String, Double>> listing(String text) {
        List<Map.Entry<String, Double>> rows = new ArrayList<>();
        for (String line : text.lines().toList()) {
            String[] f = line.strip().split("\\s+");
            if (f.length >= 3 && f[0].matches("\\d+")) rows.add(Map.entry(f[1], Double.parseDouble(f[f.length - 1])));
        }
        return rows;
    }

    /** Every catalogue item's predicted rating (unclamped, no rarity re-ordering) for a new user with these ratings; NaN for the rated items. */
    static float[] allScores(SavedModel m, List<String> five, List<String> one) {
        int[] items = new int[five.size() + one.size()];
        float[] targets = new float[items.length];
        for (int k = 0; k < items.length; k++) {
            boolean high = k < five.size();
            items[k] = m.itemIndex(high ? five.get(k) : one.get(k - five.size()));
            targets[k] = high ? 5 : 1;
        }
        FeatureEncoder.UserProfile profile = m.encoder().profile(Map.of());
        List<Recommendations.Scored> all = Recommendations.topK(m.learner(), m.encoder(), profile, items, targets, m.config().innerSteps(),
                m.encoder().numItems() - items.length, null, null);
        float[] s = new float[m.encoder().numItems()];
        Arrays.fill(s, Float.NaN);
        for (Recommendations.Scored x : all) s[x.item()] = x.score();
        return s;
    }

    static double mean(SavedModel m, float[] scores, List<String> ids) {
        return ids.stream().mapToDouble(id -> scores[m.itemIndex(id)]).average().orElseThrow();
    }

    static double[] range(float[] scores) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (float s : scores)
            if (!Float.isNaN(s)) {
                lo = Math.min(lo, s);
                hi = Math.max(hi, s);
            }
        return new double[] {lo, hi};
    }

    @Test
    void theMeluSplitDatesItemsByTheirFirstRating() throws IOException {
        Dataset d = Datasets.load(data);
        assertEquals(0, d.userFeatures().fieldCount());
        assertEquals(0, d.itemFeatures().fieldCount());
        for (int i = 0; i < d.numItems(); i++) assertEquals(ReleaseSource.FIRST_INTERACTION, d.releaseSource(i), d.itemId(i));
        ColdStartSplit s = MeluProtocol.defaults().split(d);
        assertTrue(s.countItems(ColdStartSplit.ItemGroup.NEW) > 0 && s.countItems(ColdStartSplit.ItemGroup.EXISTING) > 0, s.description());
        assertFalse(s.tasks(Scenario.TRAIN).isEmpty());
        assertFalse(s.tasks(Scenario.USER_COLD).isEmpty());
    }

    @Test
    void oppositeTastesGetDifferentRecommendationsFromIdentitiesAlone() throws IOException {
        SavedModel m = SavedModel.load(withIdentity);
        assertTrue(m.config().identity(), "the default preset has identities");
        assertEquals(0, m.encoder().userFields().size(), "no user features in an interactions-only dataset");
        assertEquals(0, m.encoder().items().fieldCount(), "no item features in an interactions-only dataset");
        List<String> taste = byTaste(m);
        List<String> likedByA = head(taste, 0, 6), likedByB = tail(taste, 0, 6);
        Path a = ratings("a.csv", likedByA, likedByB), b = ratings("b.csv", likedByB, likedByA);

        assertEquals(0, run("recommend", "--model", withIdentity.toString(), "--ratings", a.toString(), "-k", "10"), err::toString);
        List<String> topA = listing(out.toString()).stream().map(Map.Entry::getKey).toList();
        assertEquals(10, topA.size(), out::toString);
        assertEquals(0, run("recommend", "--model", withIdentity.toString(), "--ratings", b.toString(), "-k", "10"), err::toString);
        List<String> topB = listing(out.toString()).stream().map(Map.Entry::getKey).toList();
        assertEquals(10, topB.size(), out::toString);
        assertNotEquals(topA, topB, "users with opposite ratings got the same top 10");
        assertNotEquals(Set.copyOf(topA), Set.copyOf(topB), "users with opposite ratings got the same top-10 items");

        // The scores differ, and in the right direction on the clusters' next (unrated) items.
        float[] sa = allScores(m, likedByA, likedByB), sb = allScores(m, likedByB, likedByA);
        double maxDiff = 0;
        for (int i = 0; i < sa.length; i++) if (!Float.isNaN(sa[i])) maxDiff = Math.max(maxDiff, Math.abs(sa[i] - sb[i]));
        assertTrue(maxDiff > 0.1, "scores barely differ between opposite users: " + maxDiff);
        List<String> moreOfA = head(taste, 6, 10), moreOfB = tail(taste, 6, 10);
        double aOnA = mean(m, sa, moreOfA), aOnB = mean(m, sa, moreOfB), bOnA = mean(m, sb, moreOfA), bOnB = mean(m, sb, moreOfB);
        assertTrue(aOnA > bOnA && bOnB > aOnB, "each user should score their own cluster's other items higher than the other user does: "
                + "A: " + aOnA + " / " + aOnB + ", B: " + bOnA + " / " + bOnB);
    }

    @Test
    void withoutIdentitiesAFeaturelessModelCannotTellItemsApart() throws IOException {
        SavedModel m = SavedModel.load(withoutIdentity), withId = SavedModel.load(withIdentity);
        assertFalse(m.config().identity());
        List<String> taste = byTaste(withId);
        List<String> five = head(taste, 0, 6), one = tail(taste, 0, 6);
        double[] plain = range(allScores(m, five, one));
        assertTrue(plain[1] - plain[0] < 1e-4, "a model without identities or features scored items differently: " + plain[0] + " .. " + plain[1]);
        double[] known = range(allScores(withId, five, one));
        assertTrue(known[1] - known[0] > 0.5, "identities should spread the scores: " + known[0] + " .. " + known[1]);
    }

    @Test
    void shownScoresStayOnTheRatingScale() throws IOException {
        SavedModel m = SavedModel.load(withIdentity);
        float[] scale = m.ratingScale();
        assertNotNull(scale);
        assertArrayEquals(new float[] {1, 5}, scale);
        List<String> best = head(byTaste(m), 0, 2);
        Path r = ratings("two-fives.csv", best, List.of());
        // Unclamped, some predictions leave the scale after two 5★ ratings (else this test could not fail).
        double[] raw = range(allScores(m, best, List.of()));
        assertTrue(raw[1] > 5 || raw[0] < 1, "precondition: raw predictions " + raw[0] + " .. " + raw[1] + " stay on the scale anyway");

        int all = m.encoder().numItems() - 2;
        for (String kappa : new String[] {"0", "5"}) {
            assertEquals(0, run("recommend", "--model", withIdentity.toString(), "--ratings", r.toString(), "-k", String.valueOf(all),
                    "--rarity-shrink", kappa), err::toString);
            List<Map.Entry<String, Double>> rows = listing(out.toString());
            assertEquals(all, rows.size(), out::toString);
            for (var e : rows) assertTrue(e.getValue() >= 1 && e.getValue() <= 5, "score off the 1–5 scale (κ = " + kappa + "): " + e);
            assertFalse(rows.stream().anyMatch(e -> best.contains(e.getKey())), "rated items are not recommended");
        }
        // The API clamps the same way when given the model's scale.
        int[] items = best.stream().mapToInt(m::itemIndex).toArray();
        for (Recommendations.Scored s : Recommendations.topK(m.learner(), m.encoder(), m.encoder().profile(Map.of()), items, new float[] {5, 5},
                m.config().innerSteps(), all, scale, m.rarity(5)))
            assertTrue(s.score() >= 1 && s.score() <= 5, "score off the scale: " + s);
    }
}
