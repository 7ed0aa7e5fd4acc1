package io.metarec.rec.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metarec.rec.eval.Summary;
import io.metarec.rec.split.Scenario;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Means, standard deviations and paired differences over runs, worked by hand. */
class RepeatedTest {
    static final double[] MAML = {0.76, 0.75, 0.78}, MF = {0.75, 0.76, 0.76}, BIAS = {0.77, 0.77, 0.79}, NDCG = {0.70, 0.71, 0.69};

    /** Run i: every recommender's per-user values are {v − 0.1, v + 0.1} (mean v). */
    static Report run(int i) {
        Map<String, Map<String, Summary>> recs = new LinkedHashMap<>();
        recs.put("maml", cells(MAML[i], NDCG[i]));
        recs.put("global-model", cells(0.83, 0.68));
        recs.put("fine-tuned", cells(0.76, 0.70));
        recs.put("bias", cells(BIAS[i], 0.68));
        recs.put("mf", cells(MF[i], 0.70 + 0.01 * i));
        Map<String, Summary> pop = new LinkedHashMap<>();
        pop.put("ndcg@3", Summary.of(new double[] {0.6, 0.7}));
        recs.put("popularity", pop);
        Map<Scenario, Map<String, Map<String, Summary>>> results = new LinkedHashMap<>();
        results.put(Scenario.USER_COLD, recs);
        return new Report(results, List.of("mae", "ndcg@3"), Map.of(Scenario.USER_COLD, 90 + i));
    }

    static Map<String, Summary> cells(double mae, double ndcg) {
        Map<String, Summary> m = new LinkedHashMap<>();
        m.put("mae", Summary.of(new double[] {mae - 0.1, mae + 0.1}));
        m.put("ndcg@3", Summary.of(new double[] {ndcg - 0.1, ndcg + 0.1}));
        return m;
    }

    static Repeated three() {
        List<Repeated.Run> runs = new ArrayList<>();
        for (int i = 0; i < 3; i++) runs.add(new Repeated.Run((long) i + 1, i + 1, run(i)));
        return new Repeated(runs, List.of("maml"), List.of("mf", "bias", "fine-tuned"));
    }

    @Test
    void meansAndStandardDeviationsAreOverTheRuns() {
        Summary s = three().over(Scenario.USER_COLD, "maml", "mae");
        assertEquals(3, s.n());
        assertEquals((0.76 + 0.75 + 0.78) / 3, s.mean(), 1e-12);
        double m = s.mean(), sd = Math.sqrt(((0.76 - m) * (0.76 - m) + (0.75 - m) * (0.75 - m) + (0.78 - m) * (0.78 - m)) / 2);
        assertEquals(sd, s.std(), 1e-12);
        assertEquals(0, three().over(Scenario.USER_COLD, "popularity", "mae").n(), "a metric no run has is not counted as 0");
    }

    @Test
    void pairedDifferencesUseTheSameRunsUsers() {
        // per run: 0.01, −0.01, 0.02 → mean 0.00667, sd 0.01528, half-width t(2) = 4.303 · sd / √3
        Summary d = three().paired(Scenario.USER_COLD, "maml", "mf", "mae");
        double mean = (0.01 - 0.01 + 0.02) / 3, sd = Math.sqrt(((0.01 - mean) * (0.01 - mean) + (-0.01 - mean) * (-0.01 - mean) + (0.02 - mean) * (0.02 - mean)) / 2);
        assertEquals(mean, d.mean(), 1e-12);
        assertEquals(4.303 * sd / Math.sqrt(3), d.ci95(), 1e-12);
    }

    @Test
    void printsTablesAndPairsOnlyLearners() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        three().print(new PrintStream(buf, true, StandardCharsets.UTF_8), List.of("mae", "ndcg@3"));
        String text = buf.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("user-cold — 90–92 users per run; mean ± sd over 3 runs"), text);
        assertTrue(text.contains("mae − mf") && text.contains("mae − bias") && text.contains("ndcg@3 − fine-tuned"), text);
        assertTrue(text.contains("+0.0067 ± "), text);
        String paired = text.substring(text.indexOf("paired"));
        for (String notPaired : new String[] {"\nmf ", "\nbias ", "\nfine-tuned ", "\npopularity ", "\nglobal-model "})
            assertFalse(paired.contains(notPaired), notPaired.trim() + " paired as a learner:\n" + paired);
        assertTrue(paired.contains("\nmaml "), paired);
    }

    @Test
    void jsonHasRunsSummaryAndPairs() {
        JsonNode doc = new ObjectMapper().valueToTree(three().toJson(new ObjectMapper().createObjectNode()));
        assertEquals(3, doc.path("runs").size());
        assertEquals(2, doc.path("runs").path(1).path("seed").asInt());
        assertEquals((0.76 + 0.75 + 0.78) / 3, doc.path("scenarios").path("user-cold").path("maml").path("mae").path("mean").asDouble(), 1e-9);
        assertEquals(3, doc.path("scenarios").path("user-cold").path("maml").path("mae").path("runs").asInt());
        assertEquals(0.02 / 3, doc.path("paired").path("user-cold").path("maml").path("mae - mf").path("mean").asDouble(), 1e-9);
        assertFalse(doc.path("paired").path("user-cold").has("mf"));
        assertFalse(doc.path("scenarios").path("user-cold").path("popularity").has("mae"));
    }

    @Test
    void needsARun() {
        assertThrows(IllegalArgumentException.class, () -> new Repeated(List.of(), List.of("maml"), List.of("mf")));
    }

    @Test
    void aMetricLearnerIsPairedWithTheMetricFineTunedModel() {
        List<Repeated.Run> runs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Report r = run(i);
            Map<String, Map<String, Summary>> recs = r.results().get(Scenario.USER_COLD);
            recs.put("metric-maml", cells(0.80 + 0.01 * i, 0.70));
            recs.put("metric-fine-tuned", cells(0.82, 0.70));
            runs.add(new Repeated.Run(null, i + 1, r));
        }
        Repeated rep = new Repeated(runs, List.of("maml", "metric-maml"), List.of("mf", "bias", "fine-tuned"));
        JsonNode pairs = new ObjectMapper().valueToTree(rep.toJson(new ObjectMapper().createObjectNode())).path("paired").path("user-cold");
        // metric-maml − metric-fine-tuned: −0.02, −0.01, 0.00; maml − fine-tuned (MeLU's): 0.00, −0.01, 0.02
        assertEquals(-0.01, pairs.path("metric-maml").path("mae - fine-tuned").path("mean").asDouble(), 1e-9, pairs.toString());
        assertEquals(0.01 / 3, pairs.path("maml").path("mae - fine-tuned").path("mean").asDouble(), 1e-9, pairs.toString());
        // mf has no family: both are paired with the same mf
        assertEquals((0.81 - 0.7566666666666667) , pairs.path("metric-maml").path("mae - mf").path("mean").asDouble(), 1e-9, pairs.toString());
        assertTrue(runs.get(0).splitSeed() == null);
    }
}
