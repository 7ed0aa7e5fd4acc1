package io.metarec.rec.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metarec.rec.eval.Summary;
import io.metarec.rec.split.Scenario;
import io.metarec.util.TextTable;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The same comparison repeated over several splits and training seeds, judged as a paper would:
 * each recommender's metric as the mean ± standard deviation of its per-run values (a run's value is
 * the mean over that run's users), and — because a learner and a baseline of the same run see the
 * same users — the paired differences learner − baseline per run, as mean ± 95% confidence
 * half-width (Student's t with runs − 1 degrees of freedom). A single run cannot rank recommenders
 * whose gap is smaller than what another seed moves them (on ML-100K up to 0.016 MAE).
 *
 * @param runs      every run's report, in order; each has the same recommenders and scenarios
 * @param learners  the recommenders paired against the baselines (those present)
 * @param baselines the recommenders the learners are paired against, where present (e.g. mf, bias, fine-tuned;
 *                  the fine-tuned model of a learner's own family: metric-maml against metric-fine-tuned)
 */
public record Repeated(List<Run> runs, List<String> learners, List<String> baselines) {
    /** One run: the seed of its split (null: a split file), its training seed, its report. */
    public record Run(Long splitSeed, long seed, Report report) {}

    /** Metrics the paired table shows, where a recommender has them. */
    public static final List<String> PAIRED_METRICS = List.of("mae", "ndcg@3", "auc");

    public Repeated {
        if (runs.isEmpty()) throw new IllegalArgumentException("a repeated comparison needs at least one run");
        runs = List.copyOf(runs);
        learners = List.copyOf(learners);
        baselines = List.copyOf(baselines);
    }

    private Report first() { return runs.get(0).report(); }

    /** Summary over the runs of one recommender's metric in a scenario (NaN-skipping: a run without it is not counted). */
    public Summary over(Scenario s, String recommender, String metric) {
        double[] v = new double[runs.size()];
        for (int i = 0; i < v.length; i++) v[i] = value(runs.get(i).report(), s, recommender, metric);
        return Summary.of(v);
    }

    /** Summary over the runs of {@code recommender − baseline} on a metric in a scenario. */
    public Summary paired(Scenario s, String recommender, String baseline, String metric) {
        double[] v = new double[runs.size()];
        for (int i = 0; i < v.length; i++) {
            Report r = runs.get(i).report();
            v[i] = value(r, s, recommender, metric) - value(r, s, baseline, metric);
        }
        return Summary.of(v);
    }

    /**
     * The row a learner is paired with for {@code baseline}: the baseline of the learner's own model
     * family where the run has one ("metric-fine-tuned" for "metric-maml"), else the baseline itself
     * (the simple baselines have no family); null when the run has neither.
     */
    String against(Scenario s, String learner, String baseline) {
        int dash = learner.indexOf('-');
        List<String> recs = recommenders(s);
        if (dash >= 0 && recs.contains(learner.substring(0, dash + 1) + baseline)) return learner.substring(0, dash + 1) + baseline;
        return recs.contains(baseline) ? baseline : null;
    }

    /** A learner's paired difference for one (metric, baseline) column, or null when the run has no such baseline row. */
    private Summary pairedCell(Scenario s, String learner, String[] column) {
        String b = against(s, learner, column[1]);
        return b == null ? null : paired(s, learner, b, column[0]);
    }

    private static double value(Report r, Scenario s, String recommender, String metric) {
        Map<String, Map<String, Summary>> byRec = r.results().get(s);
        if (byRec == null || !byRec.containsKey(recommender)) throw new IllegalArgumentException("run lacks " + recommender + " in " + s.label());
        Summary v = byRec.get(recommender).get(metric);
        return v == null || v.n() == 0 ? Double.NaN : v.mean();
    }

    /** The recommenders of the first run, in its order. */
    public List<String> recommenders(Scenario s) {
        return List.copyOf(first().results().get(s).keySet());
    }

    /** The learners present in a scenario, in the report's order. */
    public List<String> learners(Scenario s) {
        List<String> out = new ArrayList<>();
        for (String r : recommenders(s)) if (learners.contains(r)) out.add(r);
        return out;
    }

    /**
     * Prints, per scenario, the table of means ± standard deviations over the runs (metrics {@code shown}),
     * then the paired differences of each learner against each baseline present, on {@link #PAIRED_METRICS}.
     */
    public void print(PrintStream out, List<String> shown) {
        int n = runs.size();
        for (Scenario s : first().results().keySet()) {
            int[] users = new int[n];
            for (int i = 0; i < n; i++) users[i] = runs.get(i).report().users().get(s);
            int lo = java.util.Arrays.stream(users).min().orElse(0), hi = java.util.Arrays.stream(users).max().orElse(0);
            out.printf(Locale.ROOT, "%n%s — %s users per run; mean ± sd over %d runs%n", s.label(), lo == hi ? lo : lo + "–" + hi, n);
            List<String> header = new ArrayList<>(List.of("recommender"));
            header.addAll(shown);
            TextTable t = new TextTable(header.toArray(new String[0]));
            for (String r : recommenders(s)) {
                List<Object> row = new ArrayList<>(List.of(r));
                for (String m : shown) {
                    Summary v = over(s, r, m);
                    row.add(v.n() == 0 ? "–" : String.format(Locale.ROOT, "%.4f ± %.4f", v.mean(), v.std()));
                }
                t.row(row.toArray());
            }
            out.print(t.render(""));
            List<String[]> columns = pairedColumns(s);
            List<String> present = learners(s);
            if (columns.isEmpty() || present.isEmpty() || n < 2) continue;
            out.printf(Locale.ROOT, "%s, paired (learner − baseline per run; mean ± 95%% CI, t with %d df):%n", s.label(), n - 1);
            List<String> ph = new ArrayList<>(List.of("learner"));
            for (String[] c : columns) ph.add(c[0] + " − " + c[1]);
            TextTable p = new TextTable(ph.toArray(new String[0]));
            for (String l : present) {
                List<Object> row = new ArrayList<>(List.of(l));
                for (String[] c : columns) {
                    Summary d = pairedCell(s, l, c);
                    row.add(d == null || d.n() < 2 ? "–" : String.format(Locale.ROOT, "%+.4f ± %.4f", d.mean(), d.ci95()));
                }
                p.row(row.toArray());
            }
            out.print(p.render(""));
        }
    }

    /**
     * (metric, baseline) pairs of the paired table: each paired metric a baseline has, against each
     * baseline some learner is paired with ({@link #against}).
     */
    private List<String[]> pairedColumns(Scenario s) {
        List<String[]> out = new ArrayList<>();
        for (String m : PAIRED_METRICS)
            for (String b : baselines)
                for (String l : learners(s)) {
                    String row = against(s, l, b);
                    if (row != null && over(s, row, m).n() > 0) {
                        out.add(new String[] {m, b});
                        break;
                    }
                }
        return out;
    }

    /**
     * JSON: {"runs": [{"split_seed", "seed", "scenarios": …}], "scenarios": {scenario: {recommender:
     * {metric: {"mean", "sd", "ci95", "runs"}}}}, "paired": {scenario: {learner: {"metric − baseline":
     * {"mean", "ci95"}}}}, "config": …}.
     */
    public ObjectNode toJson(ObjectNode config) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        ArrayNode rs = root.putArray("runs");
        for (Run r : runs) {
            ObjectNode o = rs.addObject();
            if (r.splitSeed() == null) o.putNull("split_seed");
            else o.put("split_seed", r.splitSeed());
            o.put("seed", r.seed());
            o.set("scenarios", r.report().toJson(json.createObjectNode()).get("scenarios"));
        }
        ObjectNode sc = root.putObject("scenarios"), pr = root.putObject("paired");
        for (Scenario s : first().results().keySet()) {
            ObjectNode so = sc.putObject(s.label());
            for (String r : recommenders(s)) {
                ObjectNode ro = so.putObject(r);
                for (String m : first().metrics()) {
                    Summary v = over(s, r, m);
                    if (v.n() == 0) continue;
                    ObjectNode mo = ro.putObject(m);
                    mo.put("mean", v.mean());
                    mo.put("sd", v.std());
                    if (!Double.isNaN(v.ci95())) mo.put("ci95", v.ci95());
                    mo.put("runs", v.n());
                }
            }
            ObjectNode po = pr.putObject(s.label());
            for (String l : learners(s)) {
                ObjectNode lo = po.putObject(l);
                for (String[] c : pairedColumns(s)) {
                    Summary d = pairedCell(s, l, c);
                    if (d == null || d.n() < 2) continue;
                    ObjectNode co = lo.putObject(c[0] + " - " + c[1]);
                    co.put("mean", d.mean());
                    co.put("ci95", d.ci95());
                }
            }
        }
        root.set("config", config);
        return root;
    }

    /** A report of the means over the runs with their 95% CIs (for a chart), users as in the first run. */
    public Report meanReport() {
        Map<Scenario, Map<String, Map<String, Summary>>> results = new LinkedHashMap<>();
        for (Scenario s : first().results().keySet()) {
            Map<String, Map<String, Summary>> byRec = new LinkedHashMap<>();
            for (String r : recommenders(s)) {
                Map<String, Summary> byMetric = new LinkedHashMap<>();
                for (String m : first().metrics()) byMetric.put(m, over(s, r, m));
                byRec.put(r, byMetric);
            }
            results.put(s, byRec);
        }
        return new Report(results, first().metrics(), first().users());
    }
}
