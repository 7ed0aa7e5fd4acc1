package io.metarec.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** train → evaluate → recommend, and compare, end to end on a tiny synthetic dataset; bad input gets one clear line. */
class RecCommandsTest extends CapturedCli {
    @TempDir static Path dir;
    static Path data;

    static final String[] SMALL = {"--embedding-dim", "8", "--hidden", "16,16", "--epochs", "1", "--meta-batch", "16", "--inner-steps", "2"};

    @BeforeAll
    static void data() throws IOException {
        data = dir.resolve("data");
        Synthetic.write(SyntheticConfig.of(300, 200, 7), data, false);
    }


    static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void trainEvaluateRecommend() throws IOException {
        Path model = dir.resolve("m.metarec");
        assertEquals(0, run(concat(new String[] {"train", "--data", data.toString(), "--out", model.toString()}, SMALL)), err.toString());
        assertTrue(Files.isRegularFile(model));
        assertTrue(Files.isRegularFile(dir.resolve("m.curve.png")));
        assertTrue(out.toString().contains("model written to"), out.toString());

        Path json = dir.resolve("eval.json");
        assertEquals(0, run("evaluate", "--model", model.toString(), "--data", data.toString(), "--baselines", "--json", json.toString()), err.toString());
        String text = out.toString();
        for (String s : new String[] {"warm", "user-cold", "item-cold", "user-item-cold", "maml", "item-mean", "mae", "ndcg@3", "bias: λ_item = "})
            assertTrue(text.contains(s), s + " missing in:\n" + text);
        JsonNode doc = new ObjectMapper().readTree(json.toFile());
        for (String r : new String[] {"maml", "global-model", "fine-tuned", "global-mean", "item-mean", "bias", "mf", "popularity"})
            assertTrue(doc.path("scenarios").path("user-cold").path(r).path("ndcg@3").isNumber(), r + " missing: " + doc);
        assertTrue(doc.path("config").path("baselines").path("mf").asText().startsWith("k = "), doc.path("config").toString());
        assertEquals("pretrained", doc.path("config").path("trained").path(0).path("algo").asText(), doc.path("config").toString());
        JsonNode cell = doc.path("scenarios").path("user-cold").path("maml");
        assertTrue(cell.path("mae").isNumber() && cell.path("rmse").isNumber() && cell.path("ndcg@3").isNumber(), doc.toString());
        assertTrue(doc.path("scenarios").path("user-cold").path("popularity").path("mae").isMissingNode(), "popularity predicts no ratings");
        assertTrue(doc.path("config").isObject());

        Path ratings = dir.resolve("new_user.csv");
        Files.writeString(ratings, "item,rating\n1,5\n2,1\n3,4\n");
        assertEquals(0, run("recommend", "--model", model.toString(), "--ratings", ratings.toString(), "--user-features", "gender=F,age=25-34", "-k", "5"),
                err.toString());
        String rec = out.toString();
        assertTrue(rec.contains("top 5"), rec);
        assertEquals(5, rec.lines().filter(l -> l.matches("\\s+\\d+\\s+\\S+.*")).count(), rec);
        assertFalse(rec.lines().anyMatch(l -> l.matches("\\s+\\d+\\s+(1|2|3)\\s+.*")), "rated items are excluded:\n" + rec);
    }

    @Test
    void recommendNamesTheBadLine() throws IOException {
        Path model = dir.resolve("m2.metarec");
        assertEquals(0, run(concat(new String[] {"train", "--data", data.toString(), "--out", model.toString(), "--algo", "fomaml"}, SMALL)), err.toString());
        Path bad = dir.resolve("bad.csv");
        Files.writeString(bad, "item,rating\n1,5\n999999,3\n");
        assertEquals(2, run("recommend", "--model", model.toString(), "--ratings", bad.toString()));
        assertTrue(err.toString().contains("bad.csv") && err.toString().contains("line 3") && err.toString().contains("999999"), err.toString());
        assertFalse(err.toString().contains("\tat "), "no stack trace: " + err);
        Files.writeString(bad, "item,rating\n1,five\n");
        assertEquals(2, run("recommend", "--model", model.toString(), "--ratings", bad.toString()));
        assertTrue(err.toString().contains("line 2") && err.toString().contains("five"), err.toString());
        assertEquals(2, run("recommend", "--model", model.toString(), "--ratings", bad.toString(), "--user-features", "shoe=42"));
        assertTrue(err.toString().contains("shoe"), err.toString());
        // a rating outside the training data's scale (1–5 here) is an input error naming the flag, file, line and field
        for (String r : new String[] {"1e30", "6", "0", "-1"}) {
            Files.writeString(bad, "item,rating\n1,5\n2," + r + "\n");
            assertEquals(2, run("recommend", "--model", model.toString(), "--ratings", bad.toString()), r);
            String e = err.toString();
            assertTrue(e.contains("--ratings: ") && e.contains("bad.csv line 3") && e.contains("rating '" + r + "' is outside the model's rating scale 1 to 5"), e);
            assertEquals(1, e.lines().count(), e);
        }
    }

    /**
     * Batch mode (a 'user' column: one JSON line per user, in the file's order), users without
     * ratings (the unadapted model), and --json for one user: each batch line is the answer the
     * single-user --json run gives for the same ratings.
     */
    @Test
    void recommendInBatchesWithoutRatingsAndAsJson() throws IOException {
        Path model = dir.resolve("m4.metarec");
        assertEquals(0, run(concat(new String[] {"train", "--data", data.toString(), "--out", model.toString()}, SMALL)), err.toString());
        ObjectMapper json = new ObjectMapper();
        Path one = dir.resolve("one.csv"), none = dir.resolve("none.csv"), batch = dir.resolve("batch.csv");
        Files.writeString(one, "item,rating\n1,5\n2,1\n3,4\n");
        Files.writeString(none, "item,rating\n");
        Files.writeString(batch, "user,item,rating\nb,4,1\na,1,5\nb,5,2\nempty,,\na,2,1\na,3,4\n");
        assertEquals(0, run("recommend", "--model", model.toString(), "--ratings", one.toString(), "-k", "4", "--json"), err.toString());
        JsonNode single = json.readTree(out.toString().strip());
        assertEquals(2, single.path("adapted_steps").asInt(), "the model's 2 inner steps: " + single);
        assertEquals(4, single.path("items").size(), single.toString());
        assertEquals(0, run("recommend", "--model", model.toString(), "--ratings", none.toString(), "-k", "4", "--json"), err.toString());
        JsonNode unadapted = json.readTree(out.toString().strip());
        assertEquals(0, unadapted.path("adapted_steps").asInt(), "no ratings: the unadapted model");
        assertEquals(0, run("recommend", "--model", model.toString(), "--ratings", none.toString(), "-k", "4"), err.toString());
        assertTrue(out.toString().contains("no ratings: the unadapted model"), out.toString());

        assertEquals(0, run("recommend", "--model", model.toString(), "--ratings", batch.toString(), "-k", "4"), err.toString());
        List<JsonNode> lines = new java.util.ArrayList<>();
        for (String l : out.toString().strip().split("\n")) lines.add(json.readTree(l));
        assertEquals(List.of("b", "a", "empty"), lines.stream().map(l -> l.path("user").asText()).toList(), "users in the file's order");
        assertEquals(single.path("items"), lines.get(1).path("items"), "user a's line is the single answer for the same ratings");
        assertEquals(unadapted.path("items"), lines.get(2).path("items"), "a user without ratings gets the unadapted ranking");
        assertEquals(0, lines.get(2).path("adapted_steps").asInt());
        assertNotEquals(lines.get(0).path("items"), lines.get(1).path("items"), "different ratings, different rankings");
        for (JsonNode item : lines.get(1).path("items")) assertFalse(List.of("1", "2", "3").contains(item.path("item").asText()), "rated items excluded");

        Files.writeString(batch, "user,item,rating\na,1,5\na,1,4\n");
        assertEquals(2, run("recommend", "--model", model.toString(), "--ratings", batch.toString()));
        assertTrue(err.toString().contains("line 3") && err.toString().contains("rated twice by user 'a'"), err.toString());
        Files.writeString(batch, "user,item,rating\n,1,5\n");
        assertEquals(2, run("recommend", "--model", model.toString(), "--ratings", batch.toString()));
        assertTrue(err.toString().contains("line 2") && err.toString().contains("user id is empty"), err.toString());
    }

    @Test
    void evaluateRunsTheGivenNSweep() throws IOException {
        Path model = dir.resolve("m3.metarec");
        assertEquals(0, run(concat(new String[] {"train", "--data", data.toString(), "--out", model.toString()}, SMALL)), err.toString());
        Path json = dir.resolve("given.json");
        assertEquals(0, run("evaluate", "--model", model.toString(), "--data", data.toString(), "--given-n", "1,5", "--no-catalogue",
                "--json", json.toString()), err.toString());
        String text = out.toString();
        assertTrue(text.contains("given n = 1") && text.contains("given n = 5"), text);
        JsonNode doc = new ObjectMapper().readTree(json.toFile());
        for (String n : new String[] {"1", "5"}) {
            JsonNode one = doc.path("given_n").path(n);
            assertTrue(one.path("scenarios").path("user-cold").path("maml").path("mae").isNumber(), doc.toString());
            assertTrue(one.path("dropped").path("user-cold").isInt(), doc.toString());
        }
        // a support of one rating drops no task (supports have at least 3), and the query users stay the same
        assertEquals(0, doc.path("given_n").path("1").path("dropped").path("user-cold").asInt());
        assertTrue(doc.path("config").isObject());
        assertEquals(2, run("evaluate", "--model", model.toString(), "--data", data.toString(), "--given-n", "three"));
        assertTrue(err.toString().contains("--given-n") && err.toString().contains("three"), err.toString());
        assertEquals(2, run("evaluate", "--model", model.toString(), "--data", data.toString(), "--given-n", "0"));
        assertTrue(err.toString().contains("at least 1"), err.toString());
    }

    @Test
    void badOptionsAreOneLineErrors() {
        assertEquals(2, run("train", "--data", data.toString(), "--algo", "magic"));
        assertTrue(err.toString().contains("unknown algorithm 'magic'") && err.toString().contains("maml"), err.toString());
        assertEquals(2, run("train", "--data", data.toString(), "--inner-lr", "-1"));
        assertTrue(err.toString().contains("inner learning rate"), err.toString());
        assertEquals(2, run("train", "--data", dir.resolve("nowhere").toString()));
        assertEquals(2, run("evaluate", "--model", dir.resolve("nothing.metarec").toString(), "--data", data.toString()));
        assertTrue(err.toString().contains("no such model file"), err.toString());
    }

    @Test
    void compareWritesJsonAndChart() throws IOException {
        Path json = dir.resolve("cmp.json"), png = dir.resolve("cmp.png");
        assertEquals(0, run(concat(new String[] {"compare", "--data", data.toString(), "--algos", "maml,pretrained", "--json", json.toString(),
                "--plot", png.toString(), "--no-catalogue"}, SMALL)), err.toString());
        JsonNode doc = new ObjectMapper().readTree(json.toFile());
        for (String r : new String[] {"maml", "global-model", "fine-tuned", "metric-maml", "metric-global-model", "metric-fine-tuned",
                "global-mean", "item-mean", "bias", "mf", "popularity"})
            assertTrue(doc.path("scenarios").path("item-cold").has(r), r + " missing: " + doc);
        assertTrue(Files.size(png) > 1000);
    }

    @Test
    void compareRepeatedOverSplitsAndSeeds() throws IOException {
        Path json = dir.resolve("rep.json"), png = dir.resolve("rep.png");
        assertEquals(0, run(concat(new String[] {"compare", "--data", data.toString(), "--algos", "maml,pretrained", "--models", "melu",
                "--splits", "2", "--seeds", "2", "--json", json.toString(), "--plot", png.toString(), "--no-catalogue", "--quiet"}, SMALL)), err.toString());
        String text = out.toString();
        assertTrue(text.contains("== run 4/4: MeLU split seed 2, seed 4"), text);
        assertTrue(text.contains("mean ± sd over 4 runs") && text.contains("mae − mf") && text.contains("mae − fine-tuned"), text);
        JsonNode doc = new ObjectMapper().readTree(json.toFile());
        assertEquals(4, doc.path("runs").size());
        assertEquals(4, doc.path("config").path("runs_done").asInt());
        assertEquals(4, doc.path("config").path("runs_planned").asInt());
        // split seeds 1, 2 (--seed 1); run seeds s, s + 2
        long[][] expected = {{1, 1}, {1, 3}, {2, 2}, {2, 4}};
        for (int i = 0; i < 4; i++) {
            assertEquals(expected[i][0], doc.path("runs").path(i).path("split_seed").asLong(), doc.path("runs").toString());
            assertEquals(expected[i][1], doc.path("runs").path(i).path("seed").asLong());
        }
        // the two splits differ (other new users), so the runs are not copies
        assertTrue(doc.path("runs").path(0).path("scenarios").path("user-cold").path("mf").path("users").asInt()
                != doc.path("runs").path(2).path("scenarios").path("user-cold").path("mf").path("users").asInt()
                || doc.path("runs").path(0).path("scenarios").path("user-cold").path("mf").path("mae").asDouble()
                != doc.path("runs").path(2).path("scenarios").path("user-cold").path("mf").path("mae").asDouble(), doc.path("runs").toString());
        JsonNode pair = doc.path("paired").path("user-cold").path("maml").path("mae - mf");
        double sum = 0;
        for (int i = 0; i < 4; i++) {
            JsonNode sc = doc.path("runs").path(i).path("scenarios").path("user-cold");
            sum += sc.path("maml").path("mae").asDouble() - sc.path("mf").path("mae").asDouble();
        }
        assertEquals(sum / 4, pair.path("mean").asDouble(), 1e-9, pair.toString());
        assertTrue(pair.path("ci95").isNumber(), pair.toString());
        assertFalse(doc.path("paired").path("user-cold").has("global-model"));
        assertTrue(Files.size(png) > 1000);

        assertEquals(2, run("compare", "--data", data.toString(), "--splits", "2", "--split", json.toString()));
        assertTrue(err.toString().contains("--splits 2 draws MeLU-protocol splits: give it or --split, not both"), err.toString());
        assertEquals(2, run("compare", "--data", data.toString(), "--seeds", "0"));
        assertTrue(err.toString().contains("--seeds must be ≥ 1, got 0"), err.toString());
    }
}
