package io.metarec.spark;

import io.metarec.rec.eval.Summary;
import io.metarec.rec.split.Scenario;
import io.metarec.rec.split.UserTask;
import io.metarec.rec.train.Evaluator;
import io.metarec.rec.train.Experiment;
import io.metarec.rec.train.LearnerRecommender;
import io.metarec.rec.train.Recommender;
import io.metarec.rec.train.Report;
import io.metarec.rec.train.TaskFactory;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.IOException;
import java.io.Serializable;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Evaluation and batch recommendation on Spark: every partition adapts the saved model to its
 * share of each scenario's users (contiguous ranges) and scores them; the driver puts the per-user
 * values back in user order and summarises them as {@link Experiment#evaluate} does, so the report
 * (and its JSON) is the single machine's. With {@code topK} > 0 each partition also ranks the
 * scenario's catalogue for its users (as the catalogue metrics rank it: the user's support items
 * excluded) and returns the best k.
 */
public final class SparkEvaluation {
    private SparkEvaluation() {}

    /** A recommender the executors rebuild: the saved learner adapting with {@code steps} inner steps. */
    public record Spec(String name, int steps) implements Serializable {}

    /** One user's top k: scenario, recommender, user index, items (catalogue indices) best first, their predicted scores. */
    public record Top(int scenario, int recommender, int user, int[] items, float[] scores) implements Serializable {}

    /** A partition's values for one (scenario, recommender): users [lo, lo + n) of the scenario. */
    record Cell(int scenario, int recommender, int lo, double[][] values, List<Top> top) implements Serializable {}

    /** The report and, when asked, the top-k lists in (scenario, recommender, user) order. */
    public record Result(Report report, List<Top> top) {}

    public static Result evaluate(JavaSparkContext sc, Recipe recipe, Experiment e, List<Spec> specs, boolean catalogue, int partitions, int topK) {
        List<Scenario> scenarios = Scenario.evaluation();
        List<Cell> cells = sc.parallelize(IntStream.range(0, partitions).boxed().toList(), partitions).mapPartitionsWithIndex((p, it) -> {
            Recipe.Context c = recipe.context();
            TaskFactory tasks = c.experiment().tasks();
            Evaluator ev = new Evaluator(tasks, catalogue);
            List<Cell> out = new ArrayList<>();
            for (int s = 0; s < scenarios.size(); s++) {
                List<UserTask> all = c.experiment().split().tasks(scenarios.get(s));
                int lo = (int) ((long) all.size() * p / partitions), hi = (int) ((long) all.size() * (p + 1) / partitions);
                List<UserTask> mine = all.subList(lo, hi);
                for (int r = 0; r < specs.size(); r++) {
                    Recommender rec = new LearnerRecommender(specs.get(r).name(), c.saved(), tasks, specs.get(r).steps());
                    List<Top> top = new ArrayList<>();
                    if (topK > 0) for (UserTask t : mine) top.add(top(rec, tasks, t, topK, s, r));
                    out.add(new Cell(s, r, lo, ev.values(rec, mine), top));
                }
            }
            return out.iterator();
        }, true).collect();
        Evaluator ev = new Evaluator(e.tasks(), catalogue);
        int metrics = ev.metricNames().size();
        Map<Scenario, Map<String, Map<String, Summary>>> results = new LinkedHashMap<>();
        Map<Scenario, Integer> users = new LinkedHashMap<>();
        List<Cell> ordered = new ArrayList<>(cells);
        ordered.sort(java.util.Comparator.comparingInt(Cell::scenario).thenComparingInt(Cell::recommender).thenComparingInt(Cell::lo));
        List<Top> top = new ArrayList<>();
        for (Cell c : ordered) top.addAll(c.top);
        for (int s = 0; s < scenarios.size(); s++) {
            int n = e.split().tasks(scenarios.get(s)).size();
            Map<String, Map<String, Summary>> row = new LinkedHashMap<>();
            for (int r = 0; r < specs.size(); r++) {
                double[][] values = new double[metrics][n];
                for (Cell c : ordered)
                    if (c.scenario == s && c.recommender == r)
                        for (int j = 0; j < metrics; j++) System.arraycopy(c.values[j], 0, values[j], c.lo, c.values[j].length);
                row.put(specs.get(r).name(), ev.summaries(values));
            }
            results.put(scenarios.get(s), row);
            users.put(scenarios.get(s), n);
        }
        return new Result(new Report(results, ev.metricNames(), users), top);
    }

    /** The best k of the scenario's candidates for one user (support items excluded), by the recommender's ranking keys; ties by catalogue order. */
    static Top top(Recommender rec, TaskFactory tasks, UserTask t, int k, int scenario, int recommender) {
        Recommender.Scorer scorer = rec.adapt(t);
        int[] cands = tasks.candidates(t.scenario());
        java.util.Set<Integer> support = new java.util.HashSet<>();
        for (int item : tasks.data().interactions().itemsOf(t.support())) support.add(item);
        float[] keys = scorer.rank(cands);
        Integer[] order = new Integer[cands.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> keys[b] != keys[a] ? Float.compare(keys[b], keys[a]) : Integer.compare(cands[a], cands[b]));
        int[] best = new int[Math.min(k, cands.length)];
        int n = 0;
        for (int i : order) {
            if (n == best.length) break;
            if (!support.contains(cands[i])) best[n++] = cands[i];
        }
        best = Arrays.copyOf(best, n);
        return new Top(scenario, recommender, t.user(), best, scorer.score(best));
    }

    /** Writes the top-k lists as CSV: scenario,recommender,user,rank,item,score (ids as in the dataset). */
    public static void writeCsv(Path file, Experiment e, List<Spec> specs, List<Top> top) throws IOException {
        List<Scenario> scenarios = Scenario.evaluation();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            w.write("scenario,recommender,user,rank,item,score\n");
            for (Top t : top)
                for (int r = 0; r < t.items().length; r++)
                    w.write(String.format(Locale.ROOT, "%s,%s,%s,%d,%s,%s%n", scenarios.get(t.scenario()).label(), specs.get(t.recommender()).name(),
                            csv(e.data().userId(t.user())), r + 1, csv(e.data().itemId(t.items()[r])), Float.toString(t.scores()[r])));
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static String csv(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
