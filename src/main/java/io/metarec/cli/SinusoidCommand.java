package io.metarec.cli;

import io.metarec.backend.Backend;
import io.metarec.meta.LearnerConfig;
import io.metarec.meta.LearnerKind;
import io.metarec.meta.sinusoid.SinusoidExperiment;
import io.metarec.meta.sinusoid.SinusoidExperiment.Config;
import io.metarec.meta.sinusoid.SinusoidExperiment.Result;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** The sinusoid regression benchmark of Finn et al. 2017, for one learner or all of them, beside the pretrained baseline. */
@Command(name = "sinusoid", mixinStandardHelpOptions = true,
        description = {"Meta-train on sinusoid regression (Finn et al. 2017: amplitude U[0.1, 5], phase U[0, π], x U[-5, 5], MLP 1-40-40-1, "
                + "10 shots, meta-batch 25), then report the query MSE after 1 and 10 inner steps on held-out tasks (mean ± 95%% CI), "
                + "beside a model pretrained on the same tasks and fine-tuned with SGD.",
                "Example: metarec sinusoid --algo maml --iterations 5000 --json maml.json"})
public final class SinusoidCommand implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Option(names = "--algo", defaultValue = "all", paramLabel = "NAME[,NAME…]", split = ",", completionCandidates = LearnerNames.AllAndAll.class,
            description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}); the pretrained baseline always runs")
    List<String> algos;

    @Option(names = "--iterations", paramLabel = "N", description = "meta-training iterations (meta-batches) per learner (default: 20000)")
    Integer iterations;

    @Option(names = "--cap", paramLabel = "ALGO=N",
            description = "at most N iterations for ALGO (defaults: metalstm=2000, leo=5000, the costly ones on a CPU)")
    Map<String, Integer> caps = new LinkedHashMap<>();

    @Option(names = "--meta-batch", paramLabel = "T", description = "tasks per meta-batch (default: 25)")
    Integer metaBatch;

    @Option(names = "--test-tasks", paramLabel = "N", description = "held-out tasks to evaluate on (default: 600)")
    Integer testTasks;

    @Option(names = "--seed", paramLabel = "S", description = "seed of the task streams and initialisations (default: 0)")
    Long seed;

    @Option(names = "--execution", paramLabel = "MODE", completionCandidates = LearnerNames.ExplicitExecutions.class,
            description = "${COMPLETION-CANDIDATES}: per-task = threads over tasks, batched = tasks stacked in the same kernels (default; any case, PER_TASK works too)")
    String execution;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the results and the configuration as JSON (replaced atomically)")
    Path json;

    @Mixin ProgressOptions progress;

    @Override public Integer call() throws IOException {
        Backend be = common.backend();
        if (json != null) Outputs.file("--json", json); // before any work
        Config config = config();
        List<LearnerKind> run = algorithms();
        SinusoidExperiment ex = new SinusoidExperiment(config);
        System.out.printf(Locale.ROOT, "sinusoid: %s, backend %s, %d iterations (caps %s), meta-batch %d, %d shots, %d held-out tasks, seed %d%n",
                String.join(", ", LearnerKind.names(run)), be.name(), config.iterations(), capsText(config),
                config.metaBatch(), config.shots(), config.testTasks(), config.seed());
        List<Result> results = new ArrayList<>();
        for (LearnerKind a : run) results.add(withProgress(ex, a, progress.quiet));
        System.out.print(SinusoidExperiment.table(results));
        if (json != null) {
            ex.writeJson(json, results);
            System.out.println("wrote " + json);
        }
        return 0;
    }

    Config config() {
        Config c = Config.defaults();
        if (iterations != null) c = c.withIterations(iterations);
        for (Map.Entry<String, Integer> e : caps.entrySet()) c = c.withCap(LearnerKind.parse(e.getKey()), e.getValue());
        if (metaBatch != null) c = c.withMetaBatch(metaBatch);
        if (testTasks != null) c = c.withTestTasks(testTasks);
        if (seed != null) c = c.withSeed(seed);
        if (execution != null) {
            LearnerConfig.Execution ex = RecOptions.execution(execution);
            if (ex == LearnerConfig.Execution.AUTO)
                throw new IllegalArgumentException("--execution: the sinusoid benchmark runs per-task or batched, not auto");
            c = c.withExecution(ex);
        }
        return c;
    }

    /** The requested learners, then the pretrained baseline (once, last). */
    List<LearnerKind> algorithms() {
        List<LearnerKind> out = new ArrayList<>();
        for (String name : algos) {
            List<LearnerKind> these = name.trim().equalsIgnoreCase("all") ? LearnerKind.metaLearners() : List.of(parse(name));
            for (LearnerKind a : these) if (!out.contains(a) && a.isMeta()) out.add(a);
        }
        out.add(LearnerKind.PRETRAINED);
        return out;
    }

    private static LearnerKind parse(String name) {
        try {
            return LearnerKind.parse(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " or all");
        }
    }

    private static String capsText(Config c) {
        List<String> parts = new ArrayList<>();
        c.caps().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> parts.add(e.getKey().cliName() + "=" + e.getValue()));
        return parts.isEmpty() ? "none" : String.join(", ", parts);
    }

    /** Meta-trains one learner with progress on stderr: iteration, tasks/s and the last meta-batch's loss (a bar on a terminal, else lines). */
    private static Result withProgress(SinusoidExperiment ex, LearnerKind a, boolean quiet) {
        if (Progress.mode(quiet) == Progress.Mode.NONE) return ex.run(a, SinusoidExperiment.Progress.NONE);
        try (Progress.Iterations p = new Progress.Iterations(a.cliName(), ex.config().iterationsOf(a), quiet)) {
            return ex.run(a, (algo, done, total, loss, tasksPerSecond) -> p.update(done, loss, tasksPerSecond));
        }
    }
}
