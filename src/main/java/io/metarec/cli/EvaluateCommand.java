package io.metarec.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metarec.meta.LearnerKind;
import io.metarec.rec.data.Field;
import io.metarec.rec.split.ColdStartSplit;
import io.metarec.rec.split.Scenario;
import io.metarec.rec.train.Experiment;
import io.metarec.rec.train.LearnerRecommender;
import io.metarec.rec.train.RecConfig;
import io.metarec.rec.train.Recommender;
import io.metarec.rec.train.Report;
import io.metarec.rec.train.SavedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Evaluates a saved model on the evaluation scenarios of a dataset's split. */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluate a saved model on the four cold-start scenarios.",
                "Uses the held-out users of each scenario (warm, user-cold, item-cold, user-item-cold):",
                "adapt to each user's support ratings, score the query (MAE, RMSE, nDCG@k) and the catalogue (Recall@k, nDCG@k).",
                "Prints one table per scenario; --json writes {\"scenarios\": {…}, \"config\": {…}}.",
                "--given-n 1,3,5,10,20 (or 'all') evaluates with every user's support cut to n ratings instead, one set of tables per n.",
                "--baselines adds the baselines and trains the pretrained model with the saved model's settings (global-model, fine-tuned)."})
public final class EvaluateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "FILE", description = "a model written by train")
    Path model;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "the dataset the model was trained on")
    Path data;

    @Option(names = "--split", paramLabel = "FILE", description = "split file (default: DIR/split.csv when present, else the MeLU protocol)")
    Path split;

    @Option(names = "--steps", paramLabel = "N", description = "inner steps when adapting to a user (default: the model's)")
    Integer steps;

    @Option(names = "--baselines", description = "also evaluate global-mean, item-mean, bias, mf (explicit feedback), popularity, "
            + "and global-model and fine-tuned (a pretrained model trained here with the saved model's settings, unless the saved model is one)")
    boolean baselines;

    @Option(names = "--no-catalogue", description = "skip the full-catalogue metrics (faster)")
    boolean noCatalogue;

    @Option(names = "--metrics", paramLabel = "M,M", split = ",", description = "metrics in the tables (default: mae,rmse,ndcg@3,recall@10; 'all' for every one)")
    List<String> metrics;

    @Option(names = "--given-n", paramLabel = "N,N", split = ",",
            description = "the given-n sweep: support cut to n random ratings per user (tasks with fewer are dropped and counted); 'all' = 1,3,5,10,20")
    List<String> givenN;

    @Option(names = "--json", paramLabel = "FILE", description = "write the results as JSON")
    Path json;

    @Option(names = "--recommendations", paramLabel = "FILE",
            description = "with --spark: also write every evaluated user's top-k items of the scenario's catalogue as CSV: scenario,recommender,user,rank,item,score")
    Path recommendations;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "10", description = "items per user in --recommendations (default ${DEFAULT-VALUE})")
    int topK;

    @Mixin SparkOptions spark;
    @Mixin ProgressOptions progress;
    @Mixin CommonOptions common;

    @Override public Integer call() throws IOException {
        common.backend();
        spark.check(recommendations == null ? null : "--recommendations");
        if (spark.on() && (baselines || givenN != null))
            throw new IllegalArgumentException("--spark evaluates the model itself: --baselines and --given-n run without --spark");
        if (topK < 1) throw new IllegalArgumentException("--top-k must be at least 1, got " + topK);
        if (json != null) Outputs.file("--json", json); // before any work
        if (recommendations != null) Outputs.file("--recommendations", recommendations);
        List<Integer> sizes = givenN == null ? null : givenN(givenN); // bad values fail before any work
        SavedModel m = SavedModel.load(model);
        RecConfig c = m.config();
        io.metarec.rec.data.Dataset d = io.metarec.rec.data.Datasets.load(data);
        requireSameFields("user", m.encoder().userFields(), d.userFeatures().fields());
        requireSameFields("item", m.encoder().items().fields(), d.itemFeatures().fields());
        // The model reads features through its own encoder (its "unknown" values are those of its training).
        Experiment e = Experiment.of(d, Experiment.loadSplit(data, split, d), c.feedback(), c.validation(), c.seed(), m.encoder());
        int n = RankingOptions.steps(steps, c);
        List<Recommender> recs = new ArrayList<>();
        if (c.kind() == LearnerKind.PRETRAINED) {
            recs.add(new LearnerRecommender("global-model", m.learner(), e.tasks(), 0));
            recs.add(new LearnerRecommender("fine-tuned", m.learner(), e.tasks(), n));
        } else {
            recs.add(new LearnerRecommender(c.algo(), m.learner(), e.tasks(), n));
        }
        ObjectNode config = new ObjectMapper().createObjectNode();
        config.set("model", new ObjectMapper().valueToTree(c));
        config.put("model_file", model.toString());
        config.put("inner_steps", n);
        config.put("split", e.split().description());
        config.put("dataset", e.data().name());
        if (baselines) {
            if (c.kind() != LearnerKind.PRETRAINED)
                recs.addAll(e.recommenders(Comparison.train(e, c.withAlgo(LearnerKind.PRETRAINED.cliName()), config.putArray("trained"), System.out, progress.quiet), n));
            recs.addAll(Comparison.baselines(e, config, System.out));
        }
        ObjectNode doc;
        try {
            if (spark.on()) {
                List<io.metarec.spark.SparkEvaluation.Spec> specs = new ArrayList<>();
                for (Recommender r : recs) specs.add(new io.metarec.spark.SparkEvaluation.Spec(r.name(), n));
                if (c.kind() == LearnerKind.PRETRAINED) specs.set(0, new io.metarec.spark.SparkEvaluation.Spec("global-model", 0));
                var result = io.metarec.spark.SparkRun.evaluate(new io.metarec.spark.SparkRun.Options(spark.master, spark.partitions, 1, false), e, c, m.learner(),
                        specs, !noCatalogue, recommendations == null ? 0 : topK, data, split, model, System.out);
                result.report().print(System.out, shown(metrics, result.report().metrics()));
                doc = result.report().toJson(config);
                if (recommendations != null) {
                    io.metarec.spark.SparkEvaluation.writeCsv(recommendations, e, specs, result.top());
                    System.out.println("top-" + topK + " lists written to " + recommendations);
                }
            } else {
                doc = evaluate(e, recs, sizes, c, config);
            }
        } catch (ArithmeticException ex) {
            throw RecommendCommand.unusable(model, ex);
        }
        if (json != null) {
            Report.writeJson(json, doc);
            System.out.println("results written to " + json);
        }
        return 0;
    }

    private ObjectNode evaluate(Experiment e, List<Recommender> recs, List<Integer> sizes, RecConfig c, ObjectNode config) {
        ObjectNode doc;
        if (sizes == null) {
            Report r = e.evaluate(recs, !noCatalogue, Report.Progress.NONE);
            r.print(System.out, shown(metrics, r.metrics()));
            doc = r.toJson(config);
        } else {
            doc = new ObjectMapper().createObjectNode();
            ObjectNode sweep = doc.putObject("given_n");
            for (int g : sizes) {
                ColdStartSplit.GivenN given = e.split().givenN(g, c.seed());
                StringBuilder dropped = new StringBuilder();
                for (Scenario s : Scenario.evaluation())
                    dropped.append(dropped.isEmpty() ? "" : ", ").append(s.label()).append(' ').append(given.dropped().get(s));
                System.out.printf(Locale.ROOT, "%n=== given n = %d: every user's support cut to %d ratings (tasks with fewer dropped: %s)%n", g, g, dropped);
                Report r = e.evaluate(recs, given, !noCatalogue, Report.Progress.NONE);
                r.print(System.out, shown(metrics, r.metrics()));
                ObjectNode one = r.toJson(null);
                one.remove("config");
                ObjectNode drops = one.putObject("dropped");
                for (Scenario s : Scenario.evaluation()) drops.put(s.label(), given.dropped().get(s));
                sweep.set(Integer.toString(g), one);
            }
            doc.set("config", config);
        }
        return doc;
    }

    /** Parses --given-n: positive support sizes, or 'all' for the MeLU-style sweep. */
    static List<Integer> givenN(List<String> values) {
        if (values.size() == 1 && values.get(0).equals("all")) return ColdStartSplit.GIVEN_N;
        List<Integer> out = new ArrayList<>();
        for (String v : values) {
            int g;
            try {
                g = Integer.parseInt(v.trim());
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException("--given-n: '" + v + "' is not a number (give support sizes such as 1,3,5,10,20, or 'all')");
            }
            if (g < 1) throw new IllegalArgumentException("--given-n: support sizes must be at least 1, got " + g);
            out.add(g);
        }
        return out;
    }

    /** The metrics to show: the user's (validated) or a default subset of what the report has. */
    static List<String> shown(List<String> asked, List<String> available) {
        if (asked == null || asked.isEmpty()) {
            List<String> d = new ArrayList<>();
            for (String x : List.of("mae", "rmse", "auc", "ndcg@3", "recall@10")) if (available.contains(x)) d.add(x);
            return d;
        }
        if (asked.size() == 1 && asked.get(0).equals("all")) return available;
        for (String x : asked)
            if (!available.contains(x)) throw new IllegalArgumentException("--metrics: unknown metric '" + x + "'; available: " + String.join(", ", available));
        return asked;
    }

    static void requireSameFields(String side, List<Field> model, List<Field> data) {
        List<String> a = model.stream().map(f -> f.name() + "/" + f.kind()).toList(), b = data.stream().map(f -> f.name() + "/" + f.kind()).toList();
        if (!a.equals(b))
            throw new IllegalArgumentException("the model's " + side + " fields " + a + " differ from the dataset's " + b + ": was it trained on another dataset?");
        for (int i = 0; i < model.size(); i++)
            if (!model.get(i).vocabulary().values().equals(data.get(i).vocabulary().values()))
                throw new IllegalArgumentException("the " + side + " field '" + model.get(i).name() + "' has other values in this dataset than in the model's ("
                        + data.get(i).vocabulary().values().size() + " vs " + model.get(i).vocabulary().values().size() + "): was it trained on another dataset?");
    }
}
