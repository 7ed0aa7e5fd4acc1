package io.metarec.cli;

import io.metarec.meta.LearnerConfig;
import io.metarec.optim.OuterOptimizer;
import io.metarec.rec.train.Feedback;
import io.metarec.rec.train.RecConfig;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.List;

/** The options that define a recommendation run (model, feedback, learner, schedule), shared by train / compare / demo. */
public final class RecOptions {
    @Option(names = "--preset", paramLabel = "NAME", defaultValue = "default",
            description = "starting hyper-parameters: default (this project's, tuned on the synthetic data) or melu (the MeLU paper's: local lr 5e-6, 1 local step, global lr 5e-5); other options override")
    String preset;

    @Option(names = "--model", paramLabel = "KIND", description = "melu (field embeddings + MLP) or metric (metric learning)")
    String model;

    @Option(names = "--embedding-dim", paramLabel = "N", description = "embedding size per field (default 32)")
    Integer embeddingDim;

    @Option(names = "--hidden", paramLabel = "N,N", split = ",", description = "MLP hidden sizes (default 64,64; metric: the space size is the first)")
    List<Integer> hidden;

    @Option(names = "--feedback", paramLabel = "KIND", description = "explicit (ratings, MSE) or implicit (liked or not, BCE with sampled negatives)")
    String feedback;

    @Option(names = "--positive-threshold", paramLabel = "R", description = "implicit feedback: ratings ≥ R are positives (default 4)")
    Float positiveThreshold;

    @Option(names = "--negatives", paramLabel = "N", description = "implicit feedback: sampled negatives per positive (default 1)")
    Integer negatives;

    @Option(names = "--inner-steps", paramLabel = "N", description = "inner (local) steps when adapting to a user")
    Integer innerSteps;

    @Option(names = "--inner-lr", paramLabel = "LR", description = "inner (local) learning rate")
    Float innerLr;

    @Option(names = "--outer-lr", paramLabel = "LR", description = "outer (global) learning rate, Adam")
    Float outerLr;

    @Option(names = "--meta-batch", paramLabel = "N", description = "tasks (users) per meta-step (default 32)")
    Integer metaBatch;

    @Option(names = "--epochs", paramLabel = "N", description = "maximum epochs over the training users")
    Integer epochs;

    @Option(names = "--patience", paramLabel = "N", description = "stop after N epochs without a better validation loss (0: never)")
    Integer patience;

    @Option(names = "--validation", paramLabel = "SHARE", description = "share of training users held out for early stopping (default 0.1)")
    Double validation;

    @Option(names = "--execution", paramLabel = "MODE", completionCandidates = LearnerNames.Executions.class,
            description = "${COMPLETION-CANDIDATES}: per-task = threads across tasks, batched = tasks stacked in the same kernels (any case; PER_TASK works too)")
    String execution;

    @Option(names = "--stack-size", paramLabel = "N",
            description = "with batched execution, the most tasks one stack holds; a meta-batch is cut into equal stacks run in parallel (default 0 = automatic: " + io.metarec.meta.LearnerConfig.HOST_STACK + " on the CPU, fewer for large tasks, the whole meta-batch on a GPU)")
    Integer stackSize;

    @Option(names = "--seed", paramLabel = "S", description = "seed of initialisation, task order and negative sampling (default 1)")
    Long seed;

    @Option(names = "--identity", negatable = true, fallbackValue = "true",
            description = "item and user identity embeddings, biases and the user's own adapted offset and bias (default on; --no-identity: MeLU's exact model, the melu preset's)")
    Boolean identity;

    @Option(names = "--lslr", negatable = true, fallbackValue = "true",
            description = "MAML / FOMAML: learned inner learning rates per adapted tensor and inner step (MAML++'s LSLR)")
    Boolean lslr;

    @Option(names = "--varied-support", negatable = true, fallbackValue = "true",
            description = "meta-train on supports cut to random sizes (1 to all) half of the time, so adaptation helps at every support size (default on)")
    Boolean variedSupport;

    @Option(names = "--fold-in", negatable = true, fallbackValue = "true",
            description = "with identities: fit the new user's offset and bias to their ratings in closed form (ridge, as a factorisation folds in a user) before the inner loop's steps (default off: no clear gain on ML-100K; LEO always folds in)")
    Boolean foldIn;

    @Option(names = "--resplit", negatable = true, fallbackValue = "true",
            description = "meta-train on each training user's ratings dealt anew into support and query every epoch, so every rating is a query rating in some epoch (default on)")
    Boolean resplit;

    @Option(names = "--outer-optimizer", paramLabel = "KIND", completionCandidates = LearnerNames.OuterOptimizers.class,
            description = "${COMPLETION-CANDIDATES}: the meta-parameters' optimizer; adam (default) is exact Adam, lazy-adam steps only the embedding rows the meta-step's tasks touched (PyTorch's SparseAdam; see docs/sparse-gradients.md)")
    String outerOptimizer;

    /**
     * The configuration for {@code algo} (null: the preset's). A value out of its range fails with
     * RecConfig's message prefixed by the option that set it ({@code --meta-batch: meta-batch must be …}).
     */
    public RecConfig config(String algo) {
        try {
            return build(algo);
        } catch (RecConfig.InvalidField f) {
            String flag = flagOf(f.field());
            if (flag == null) throw f;
            throw new IllegalArgumentException(flag + ": " + f.getMessage(), f);
        }
    }

    /** The option of this class that sets RecConfig field {@code field} (its name in kebab case), or null. */
    static String flagOf(String field) {
        String flag = "--" + field.replaceAll("([A-Z])", "-$1").toLowerCase(java.util.Locale.ROOT);
        for (java.lang.reflect.Field f : RecOptions.class.getDeclaredFields()) {
            Option o = f.getAnnotation(Option.class);
            if (o != null && Arrays.asList(o.names()).contains(flag)) return flag;
        }
        return null;
    }

    private RecConfig build(String algo) {
        RecConfig b = switch (io.metarec.util.EnumNames.key(preset)) {
            case "default" -> RecConfig.defaults();
            case "melu" -> RecConfig.meluPaper();
            default -> throw new IllegalArgumentException("--preset: unknown preset '" + preset + "'; valid: default, melu");
        };
        Feedback fb = b.feedback();
        if (feedback != null || positiveThreshold != null || negatives != null) {
            Feedback.Kind kind = feedback != null ? Feedback.parseKind(feedback) : fb.kind();
            fb = kind == Feedback.Kind.EXPLICIT ? Feedback.explicit()
                    : Feedback.implicit(positiveThreshold != null ? positiveThreshold : Feedback.DEFAULT_THRESHOLD,
                    negatives != null ? negatives : Feedback.DEFAULT_NEGATIVES);
        }
        LearnerConfig.Execution ex = execution == null ? b.execution() : execution(execution);
        return new RecConfig(model != null ? model : b.model(), embeddingDim != null ? embeddingDim : b.embeddingDim(),
                hidden != null ? hidden : b.hidden(), fb, algo != null ? algo : b.algo(),
                innerSteps != null ? innerSteps : b.innerSteps(), innerLr != null ? innerLr : b.innerLr(),
                outerLr != null ? outerLr : b.outerLr(), metaBatch != null ? metaBatch : b.metaBatch(),
                epochs != null ? epochs : b.epochs(), patience != null ? patience : b.patience(),
                validation != null ? validation : b.validation(), ex, seed != null ? seed : b.seed(),
                identity != null ? identity : b.identity(), lslr != null ? lslr : b.lslr(),
                variedSupport != null ? variedSupport : b.variedSupport(), foldIn != null ? foldIn : b.foldIn(),
                resplit != null ? resplit : b.resplit(), outerOptimizer == null ? b.outerOptimizer() : outerOptimizer(outerOptimizer),
                stackSize != null ? stackSize : b.stackSize());
    }

    /** Parses --outer-optimizer (adam, lazy-adam; any case, - or _). */
    static OuterOptimizer outerOptimizer(String s) {
        try {
            return OuterOptimizer.parse(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--outer-optimizer: " + e.getMessage());
        }
    }

    /** Parses --execution (per-task, batched, auto; any case, - or _). */
    static LearnerConfig.Execution execution(String s) {
        try {
            return LearnerConfig.Execution.parse(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--execution: " + e.getMessage());
        }
    }

    static List<String> csv(String s) {
        return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
    }
}
