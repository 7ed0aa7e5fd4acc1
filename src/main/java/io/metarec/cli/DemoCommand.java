package io.metarec.cli;

import io.metarec.meta.LearnerKind;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import io.metarec.rec.train.Experiment;
import io.metarec.rec.train.RecConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** The main job: meta-train MAML and FOMAML with the baselines on the default data and print the cold-start table. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false, defaultValueProvider = LearnerNames.Defaults.class,
        description = {"The main job: meta-train MAML, first-order MAML and the baselines, print the cold-start table.",
                "Uses the default dataset (the deterministic synthetic one, created on first use: data/synthetic with the realistic profile, "
                        + "data/synthetic-features with --profile features) or --data DIR, evaluate them against the baselines on the four scenarios,",
                "print MAE, RMSE and nDCG@3, and write the chart and the numbers under --out."})
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--data", paramLabel = "DIR",
            description = "dataset directory (default: data/synthetic, or data/synthetic-features with --profile features; generated on first use)")
    Path data;

    @Option(names = "--profile", paramLabel = "NAME",
            description = "synthetic profile of the default dataset (default: realistic; or features, see data synth --help)")
    String profile;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "runs/demo", description = "where the chart and JSON go (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--algos", paramLabel = "A,A", split = ",", completionCandidates = LearnerNames.All.class,
            description = "learners, of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
    List<String> algos;

    @Mixin RecOptions rec;
    @Mixin ProgressOptions progress;
    @Mixin CommonOptions common;

    @Override public Integer call() throws IOException {
        common.backend();
        Outputs.directory("--out", out); // before any work
        Outputs.file("--out", out.resolve("results.json"));
        Outputs.file("--out", out.resolve("compare.png"));
        if (data != null && profile != null) throw new IllegalArgumentException("give --data or --profile, not both");
        SyntheticConfig.Profile p = profile == null ? SyntheticConfig.Profile.REALISTIC : SyntheticConfig.Profile.parse(profile);
        Path data = this.data;
        if (data == null) {
            data = Path.of(p == SyntheticConfig.Profile.REALISTIC ? "data/synthetic" : "data/synthetic-" + p.label());
            if (!Files.exists(data)) {
                System.out.println("creating the synthetic dataset (" + p.label() + " profile) in " + data + " (first run only)…");
                Synthetic.write(SyntheticConfig.of(6000, 3000, SyntheticConfig.DEFAULT_SEED, p), data, false);
            } else {
                Path info = data.resolve("SYNTHETIC.txt");
                if (Files.exists(info) && !Files.readString(info).contains("profile=" + p.label() + " "))
                    System.out.println("note: " + data + " was written by another generator or profile than " + p.label()
                            + " (SYNTHETIC.txt); remove it to regenerate");
            }
        } else if (!Files.exists(data)) {
            throw new IllegalArgumentException("--data: no such directory: " + data);
        }
        List<String> list = algos == null || algos.isEmpty() ? LearnerKind.names(LearnerKind.QUICK) : algos;
        for (String a : list) rec.config(a);
        RecConfig base = rec.config(null);
        Experiment e = Experiment.prepare(data, null, base.feedback(), base.validation(), base.seed());
        System.out.printf("%s: %d users, %d items, %d ratings; %d training users%n", e.data().name(), e.data().numUsers(),
                e.data().numItems(), e.data().interactions().size(), e.trainTasks().size());
        Comparison.memoryCheck(e, base, List.of(base.model()), list);
        Comparison.Result r = Comparison.run(e, base, List.of(base.model()), new ArrayList<>(list), true, true, System.out, progress.quiet);
        List<String> shown = new ArrayList<>();
        for (String m : List.of("mae", "rmse", "auc", "ndcg@3")) if (r.report().metrics().contains(m)) shown.add(m);
        r.report().print(System.out, shown);
        System.out.println();
        Comparison.write(r, out.resolve("results.json"), out.resolve("compare.png"), shown, System.out);
        return 0;
    }
}
