package io.metarec.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.Datasets;
import io.metarec.rec.train.Experiment;
import io.metarec.meta.LearnerKind;
import io.metarec.rec.train.RecConfig;
import io.metarec.rec.train.Repeated;
import io.metarec.rec.train.Report;
import io.metarec.rec.split.ColdStartSplit;
import io.metarec.rec.split.MeluProtocol;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** All learners and baselines on one split: one table per scenario, JSON and a chart. */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false, defaultValueProvider = LearnerNames.Defaults.class,
        description = {"Compare all meta-learners and baselines on one split (or, with --splits/--seeds, on several): tables, JSON and a chart.",
                "Trains every meta-learner and the pretrained model, for both model families, evaluates them with the baselines",
                "(global mean, item mean, bias and MF with the user fitted on the support set, popularity, global model without adaptation,",
                "global model fine-tuned on the support set),",
                "print one table per scenario, and write the numbers (--json) and a chart (--plot)."})
public final class CompareCommand implements Callable<Integer> {
    @Option(names = "--data", required = true, paramLabel = "DIR", description = "dataset directory")
    Path data;

    @Option(names = "--split", paramLabel = "FILE", description = "split file (default: DIR/split.csv when present, else the MeLU protocol)")
    Path split;

    @Option(names = "--algos", paramLabel = "A,A", split = ",", completionCandidates = LearnerNames.All.class,
            description = "learners to train, of ${COMPLETION-CANDIDATES} (default: all of them)")
    List<String> algos;

    @Option(names = "--models", paramLabel = "M,M", split = ",", description = "model families (default: melu,metric; the metric model's rows are named metric-<algo>)")
    List<String> models;

    @Option(names = "--no-catalogue", description = "skip the full-catalogue metrics (faster)")
    boolean noCatalogue;

    @Option(names = "--metrics", paramLabel = "M,M", split = ",", description = "metrics in the tables (default: mae,rmse,ndcg@3,recall@10; 'all')")
    List<String> metrics;

    @Option(names = "--json", paramLabel = "FILE", description = "write the results as JSON")
    Path json;

    @Option(names = "--plot", paramLabel = "FILE", defaultValue = "runs/compare.png", description = "comparison chart (PNG; default: ${DEFAULT-VALUE})")
    Path plot;

    @Option(names = "--splits", paramLabel = "N", defaultValue = "1",
            description = "repeat on N MeLU-protocol splits drawn with seeds S, S+1, … (S = --seed; instead of --split; 1: the one split compare uses); with N·M > 1 prints mean ± sd over the runs and each learner's paired difference to mf, bias and the fine-tuned model with 95% CIs (default 1)")
    int splits;

    @Option(names = "--seeds", paramLabel = "M", defaultValue = "1",
            description = "train M times on each split, with seeds s, s+N, s+2N, … (s: the split's seed, N: --splits; default 1)")
    int seeds;

    @Mixin RecOptions rec;
    @Mixin ProgressOptions progress;
    @Mixin CommonOptions common;

    @Override public Integer call() throws IOException {
        common.backend();
        if (json != null) Outputs.file("--json", json); // before any work
        if (plot != null) Outputs.file("--plot", plot);
        List<String> list = algos == null || algos.isEmpty() ? LearnerKind.names() : algos;
        List<String> families = models == null || models.isEmpty() ? List.of("melu", "metric") : models;
        for (String a : list) for (String m : families) rec.config(a).withModel(m); // validate every name before any work
        RecConfig base = rec.config(null);
        if (splits < 1) throw new IllegalArgumentException("--splits must be ≥ 1, got " + splits);
        if (seeds < 1) throw new IllegalArgumentException("--seeds must be ≥ 1, got " + seeds);
        if (splits > 1 && split != null) throw new IllegalArgumentException("--splits " + splits + " draws MeLU-protocol splits: give it or --split, not both");
        if (splits > 1 || seeds > 1) return repeated(list, families, base);
        Experiment e = Experiment.prepare(data, split, base.feedback(), base.validation(), base.seed());
        Comparison.memoryCheck(e, base, families, list);
        Comparison.Result r = Comparison.run(e, base, families, new ArrayList<>(list), true, !noCatalogue, System.out, progress.quiet);
        List<String> shown = EvaluateCommand.shown(metrics, r.report().metrics());
        r.report().print(System.out, shown);
        Comparison.write(r, json, plot, shown, System.out);
        return 0;
    }

    private ObjectNode repeatedConfig(ArrayNode configs, int done, int planned) {
        ObjectNode config = new ObjectMapper().createObjectNode();
        config.put("splits", splits).put("seeds", seeds).put("runs_done", done).put("runs_planned", planned);
        config.set("runs", configs);
        return config;
    }

    /** What learners are paired against, where present: the strongest simple baselines and the fine-tuned global model (of the learner's own family). */
    private static final List<String> PAIRED_BASELINES = List.of("mf", "bias", "fine-tuned");

    /** --splits / --seeds: the comparison on every (split, seed), then the summary over the runs. */
    private Integer repeated(List<String> list, List<String> families, RecConfig base) throws IOException {
        Dataset d = Datasets.load(data);
        List<Repeated.Run> runs = new ArrayList<>();
        ArrayNode configs = new ObjectMapper().createArrayNode();
        List<String> learners = List.of();
        int total = splits * seeds, k = 0;
        for (int i = 0; i < splits; i++) {
            long splitSeed = base.seed() + i;
            ColdStartSplit s = splits == 1 ? Experiment.loadSplit(data, split, d) : MeluProtocol.withSeed(splitSeed).split(d);
            for (int j = 0; j < seeds; j++) {
                long seed = splitSeed + (long) j * splits;
                RecConfig c = base.withSeed(seed);
                Experiment e = Experiment.of(d, s, c.feedback(), c.validation(), seed);
                if (k == 0) Comparison.memoryCheck(e, c, families, list);
                System.out.printf(java.util.Locale.ROOT, "== run %d/%d: %s, seed %d%n", ++k, total, splits == 1 ? s.description() : "MeLU split seed " + splitSeed, seed);
                Comparison.Result r = Comparison.run(e, c, families, new ArrayList<>(list), true, !noCatalogue, System.out, progress.quiet);
                runs.add(new Repeated.Run(splits == 1 ? null : splitSeed, seed, r.report()));
                configs.add(r.config());
                learners = r.learners();
                // After every run, so that an interrupted study keeps the runs it finished ("runs_done" < "runs_planned").
                if (json != null) Report.writeJson(json, new Repeated(runs, learners, PAIRED_BASELINES).toJson(repeatedConfig(configs, k, total)));
            }
        }
        Repeated rep = new Repeated(runs, learners, PAIRED_BASELINES);
        List<String> shown = EvaluateCommand.shown(metrics, runs.get(0).report().metrics());
        rep.print(System.out, shown);
        if (json != null) System.out.println("results written to " + json);
        if (plot != null) {
            Charts.comparison(rep.meanReport(), shown, plot);
            System.out.println("chart written to " + plot + " (means over the runs, 95% CIs)");
        }
        return 0;
    }
}
