package io.metarec.rec.train;

import io.metarec.meta.LearnerConfig;
import io.metarec.meta.LearnerKind;
import io.metarec.meta.Order;
import io.metarec.optim.OuterOptimizer;

import java.util.List;

/**
 * Everything that defines a recommendation run: the model, the feedback, the learner and the
 * training schedule. Saved in model files and in the {@code config} of JSON reports, so a result can
 * be traced to its settings. Validated on construction.
 *
 * @param model           "melu" (field embeddings + MLP) or "metric" (metric learning)
 * @param embeddingDim    embedding size per field (MeLU: 32)
 * @param hidden          MLP hidden sizes (MeLU: 64, 64); for "metric", the size of the shared space is hidden[0]
 * @param algo            a {@link LearnerKind}'s name (maml, fomaml, …; stored as the name, so model files stay readable)
 * @param innerSteps      inner (local) steps in meta-training and when adapting to a new user
 * @param innerLr         inner (local) learning rate
 * @param outerLr         outer (global) learning rate, Adam
 * @param metaBatch       tasks per meta-step
 * @param epochs          maximum epochs over the training tasks
 * @param patience        early stopping: epochs without a better validation loss (0 = off)
 * @param validation      share of the training users held out for early stopping
 * @param execution       PER_TASK, BATCHED or AUTO (see LearnerConfig.Execution)
 * @param seed            seed of initialisation, task order and negative sampling
 * @param identity        identity embeddings, biases and personal parameters in the model (false: MeLU's exact model)
 * @param lslr            learned per-layer, per-step inner learning rates (MAML++'s LSLR; MAML and FOMAML)
 * @param variedSupport   meta-train on support sets cut to random sizes (1 to all), so adapting helps at every size
 * @param foldIn          with identities and squared error: fit the user's offset and bias to the support in closed form
 *                        (a ridge regression, as a factorisation folds in a new user) before the inner loop's steps
 * @param resplit         deal each training user's ratings anew into support and query every epoch
 * @param outerOptimizer  exact Adam (default) or lazy Adam, which steps only the embedding rows a meta-step touched;
 *                        absent from files written before it: exact Adam, what they were trained with
 * @param stackSize       batched execution: the most tasks a stack holds (0 = automatic; LearnerConfig.stackSize);
 *                        absent from files written before it: 0
 */
public record RecConfig(String model, int embeddingDim, List<Integer> hidden, Feedback feedback, String algo, int innerSteps,
                        float innerLr, float outerLr, int metaBatch, int epochs, int patience, double validation,
                        LearnerConfig.Execution execution, long seed, boolean identity, boolean lslr, boolean variedSupport,
                        boolean foldIn, boolean resplit, OuterOptimizer outerOptimizer, int stackSize) implements java.io.Serializable {

    public static final List<String> MODELS = List.of("melu", "metric");
    /**
     * Most inner steps: adapting a user (in {@code recommend}, {@code evaluate}) then takes seconds
     * at worst, so a model file cannot make them hang. Meta-learning uses 1–10.
     */
    public static final int MAX_INNER_STEPS = 1000;
    /** Most epochs and most patience (a run of the demo takes 40; {@code evaluate --baselines} trains with the file's value). */
    public static final int MAX_EPOCHS = 10_000;
    /** Most tasks per meta-step. */
    public static final int MAX_META_BATCH = 100_000;
    /** Most hidden layers. */
    public static final int MAX_LAYERS = 16;

    /** With the automatic stack size. */
    public RecConfig(String model, int embeddingDim, List<Integer> hidden, Feedback feedback, String algo, int innerSteps,
                     float innerLr, float outerLr, int metaBatch, int epochs, int patience, double validation,
                     LearnerConfig.Execution execution, long seed, boolean identity, boolean lslr, boolean variedSupport,
                     boolean foldIn, boolean resplit, OuterOptimizer outerOptimizer) {
        this(model, embeddingDim, hidden, feedback, algo, innerSteps, innerLr, outerLr, metaBatch, epochs, patience, validation, execution,
                seed, identity, lslr, variedSupport, foldIn, resplit, outerOptimizer, LearnerConfig.AUTO_STACK);
    }

    /** With exact Adam as the outer optimizer. */
    public RecConfig(String model, int embeddingDim, List<Integer> hidden, Feedback feedback, String algo, int innerSteps,
                     float innerLr, float outerLr, int metaBatch, int epochs, int patience, double validation,
                     LearnerConfig.Execution execution, long seed, boolean identity, boolean lslr, boolean variedSupport,
                     boolean foldIn, boolean resplit) {
        this(model, embeddingDim, hidden, feedback, algo, innerSteps, innerLr, outerLr, metaBatch, epochs, patience, validation, execution,
                seed, identity, lslr, variedSupport, foldIn, resplit, OuterOptimizer.ADAM);
    }

    /** A run of the models as they were before identities (no identity, LSLR or varied supports). */
    public RecConfig(String model, int embeddingDim, List<Integer> hidden, Feedback feedback, String algo, int innerSteps,
                     float innerLr, float outerLr, int metaBatch, int epochs, int patience, double validation,
                     LearnerConfig.Execution execution, long seed) {
        this(model, embeddingDim, hidden, feedback, algo, innerSteps, innerLr, outerLr, metaBatch, epochs, patience, validation, execution,
                seed, false, false, false, false, false);
    }

    public RecConfig {
        need(model != null, "model", "the model kind is missing");
        model = io.metarec.util.EnumNames.key(model);
        need(MODELS.contains(model), "model", "unknown model '" + model + "'; valid: " + String.join(", ", MODELS));
        need(embeddingDim >= 1 && embeddingDim <= 1024, "embeddingDim", "embedding dimension must be in 1..1024, got " + embeddingDim);
        need(hidden != null && hidden.stream().noneMatch(java.util.Objects::isNull), "hidden", "the hidden sizes are missing");
        hidden = List.copyOf(hidden);
        need(!hidden.isEmpty() && hidden.size() <= MAX_LAYERS && hidden.stream().allMatch(h -> h >= 1 && h <= 4096), "hidden",
                "hidden sizes must be 1..4096, at least one and at most " + MAX_LAYERS + ", got " + hidden);
        need(feedback != null && feedback.kind() != null, "feedback", "the feedback kind is missing");
        need(algo != null, "algo", "the algorithm is missing");
        try {
            algo = LearnerKind.parse(algo).cliName(); // one spelling in files and reports, whatever was typed
        } catch (IllegalArgumentException e) {
            throw new InvalidField("algo", e.getMessage());
        }
        need(innerSteps >= 1 && innerSteps <= MAX_INNER_STEPS, "innerSteps", "inner steps must be in 1.." + MAX_INNER_STEPS + ", got " + innerSteps);
        need(innerLr > 0 && Float.isFinite(innerLr), "innerLr", "inner learning rate must be positive, got " + innerLr);
        need(outerLr > 0 && Float.isFinite(outerLr), "outerLr", "outer learning rate must be positive, got " + outerLr);
        need(execution != null, "execution", "the execution mode is missing");
        need(metaBatch >= 1 && metaBatch <= MAX_META_BATCH, "metaBatch", "meta-batch must be in 1.." + MAX_META_BATCH + ", got " + metaBatch);
        need(epochs >= 1 && epochs <= MAX_EPOCHS, "epochs", "epochs must be in 1.." + MAX_EPOCHS + ", got " + epochs);
        need(patience >= 0 && patience <= MAX_EPOCHS, "patience", "patience must be in 0.." + MAX_EPOCHS + ", got " + patience);
        need(validation >= 0 && validation < 0.5, "validation", "validation share must be in [0, 0.5), got " + validation);
        need(stackSize >= 0 && stackSize <= MAX_META_BATCH, "stackSize", "stack size must be in 0.." + MAX_META_BATCH + " (0 = automatic), got " + stackSize);
        if (outerOptimizer == null) outerOptimizer = OuterOptimizer.ADAM; // a file from before the field: trained with exact Adam
    }

    /**
     * A configuration value outside its range. {@link #field()} is the record component's name, as
     * in the {@code config} of a model file's header, so a loader can say which field of which file
     * is wrong; the message says it in words for the command line.
     */
    public static final class InvalidField extends IllegalArgumentException {
        private final String field;

        InvalidField(String field, String message) {
            super(message);
            this.field = field;
        }

        public String field() { return field; }
    }

    private static void need(boolean ok, String field, String message) {
        if (!ok) throw new InvalidField(field, message);
    }

    public RecConfig withOuterOptimizer(OuterOptimizer o) {
        return new RecConfig(model, embeddingDim, hidden, feedback, algo, innerSteps, innerLr, outerLr, metaBatch, epochs, patience, validation, execution, seed, identity, lslr, variedSupport, foldIn, resplit, o, stackSize);
    }

    /** This project's defaults (see docs/models.md, "Learners": sizes from the synthetic data, the rest from ML-100K). */
    public static RecConfig defaults() {
        // Outer rate 3e-4, up to 40 epochs, patience 5 (chosen on ML-100K, three splits: MAML's user-cold
        // MAE 0.780 at 1e-3, 0.773 at 3e-4, 0.769 at 1e-4 with 60 epochs; the factorised start is
        // good, and a large outer step overfits the 300 training users within a few epochs).
        return new RecConfig("melu", 32, List.of(64, 64), Feedback.explicit(), LearnerKind.DEFAULT.cliName(), 3, 0.01f, 3e-4f, 32, 40, 5, 0.1,
                LearnerConfig.Execution.AUTO, 1, true, false, true, false, true);
    }

    /**
     * MeLU's published settings (hoyeoplee/MeLU options.py): embedding 32, MLP 64-64, one local
     * update with local lr 5e-6, global lr 5e-5, batch 32, 20 epochs. NOTE: with a local rate that
     * small the adaptation barely moves the weights.
     */
    public static RecConfig meluPaper() {
        return new RecConfig("melu", 32, List.of(64, 64), Feedback.explicit(), LearnerKind.MAML.cliName(), 1, 5e-6f, 5e-5f, 32, 20, 0, 0.1,
                LearnerConfig.Execution.AUTO, 1, false, false, false, false, false);
    }

    public RecConfig withAlgo(String a) {
        return new RecConfig(model, embeddingDim, hidden, feedback, a, innerSteps, innerLr, outerLr, metaBatch, epochs, patience, validation, execution, seed, identity, lslr, variedSupport, foldIn, resplit, outerOptimizer, stackSize);
    }

    public RecConfig withModel(String m) {
        return new RecConfig(m, embeddingDim, hidden, feedback, algo, innerSteps, innerLr, outerLr, metaBatch, epochs, patience, validation, execution, seed, identity, lslr, variedSupport, foldIn, resplit, outerOptimizer, stackSize);
    }

    public RecConfig withEpochs(int e) {
        return new RecConfig(model, embeddingDim, hidden, feedback, algo, innerSteps, innerLr, outerLr, metaBatch, e, patience, validation, execution, seed, identity, lslr, variedSupport, foldIn, resplit, outerOptimizer, stackSize);
    }

    public RecConfig withSeed(long s) {
        return new RecConfig(model, embeddingDim, hidden, feedback, algo, innerSteps, innerLr, outerLr, metaBatch, epochs, patience, validation, execution, s, identity, lslr, variedSupport, foldIn, resplit, outerOptimizer, stackSize);
    }

    /**
     * Whether the model fits the user's offset and bias in closed form (the fold-in): when asked, and
     * always for LEO, whose decoder emitted them with noise (ML-100K, MeLU splits 1 and 2, LEO with the
     * fold-in vs without: user-cold MAE 0.775 / 0.771 vs 0.780 / 0.790, item-cold 0.895 / 0.896 vs
     * 0.904 / 0.904); squared error only (for clicks the inner loop keeps its gradient steps).
     */
    public boolean foldsIn() {
        return identity && (foldIn || kind() == LearnerKind.LEO) && !feedback.implicit();
    }

    /** The learner this configuration trains. */
    public LearnerKind kind() {
        return LearnerKind.parse(algo);
    }

    /** The learner configuration (the adapted groups follow from the model). */
    public LearnerConfig learnerConfig() {
        // Meta-LSTM ignores second derivatives through the gradient, as Ravi & Larochelle do.
        return new LearnerConfig(innerSteps, innerLr, adaptedGroups(), kind().order(), 0f, 0f, execution, LearnerConfig.NonFinitePolicy.FAIL, outerLr, seed, outerOptimizer, stackSize);
    }

    /**
     * What adapts per user: MeLU's MLP, or the metric head. For MeLU, LEO and Meta-LSTM adapt only
     * the output layer: LEO's decoder emits Z × 2P numbers (the paper emits only the classifier),
     * and Meta-LSTM runs its LSTM over every adapted coordinate at every step (on the whole
     * 20,673-parameter MLP it trained at 18 tasks/s, an hour for the demo's schedule).
     */
    public List<String> adaptedGroups() {
        if (model.equals("metric")) return List.of("metric");
        LearnerKind k = kind();
        String mlp = k == LearnerKind.LEO || k == LearnerKind.METALSTM ? "mlp.fc" + (hidden.size() + 1) : "mlp";
        if (!identity) return List.of(mlp);
        // LEO's decoder emits the adapted weights with noise; on the user's offset (gain 5, read
        // through a dot product with every item) that noise made query losses overflow: LEO adapts
        // the user's bias and the output layer, and leaves the offset to the features' warm start.
        String personal = io.metarec.rec.model.MeluModel.PERSONAL;
        // With the fold-in (squared error) LEO fits them in closed form, noise-free, and emits only the head.
        return k == LearnerKind.LEO && !foldsIn() ? List.of(mlp, personal + ".bias") : List.of(mlp, personal);
    }
}
