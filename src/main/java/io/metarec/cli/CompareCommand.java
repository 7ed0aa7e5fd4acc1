package io.metarec.cli;

import io.metarec.rec.train.Experiment;
import io.metarec.meta.LearnerKind;
import io.metarec.rec.train.RecConfig;
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
        description = {"Compare all meta-learners and baselines on one split: tables, JSON and a chart.",
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
        Experiment e = Experiment.prepare(data, split, base.feedback(), base.validation(), base.seed());
        Comparison.memoryCheck(e, base, families, list);
        Comparison.Result r = Comparison.run(e, base, families, new ArrayList<>(list), true, !noCatalogue, System.out, progress.quiet);
        List<String> shown = EvaluateCommand.shown(metrics, r.report().metrics());
        r.report().print(System.out, shown);
        Comparison.write(r, json, plot, shown, System.out);
        return 0;
    }
}
