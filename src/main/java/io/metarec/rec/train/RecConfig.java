package io.metarec.rec.train;

import io.metarec.meta.LearnerConfig;
import io.metarec.meta.LearnerKind;
import io.metarec.meta.Order;

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
 */
public record RecConfig(String model, int embeddingDim, List<Integer> hidden, Feedback feedback, String algo, int innerSteps,
                        float innerLr, float outerLr, int metaBatch, int epochs, int patience, double validation,
                        LearnerConfig.Execution execution, long seed, boolean identity, boolean lslr, boolean variedSupport,
                        boolean foldIn) {

    public static final List<String> MODELS = List.of("melu", "metric");

    /** A run of the models as they were before identities (no identity, LSLR or varied supports). */
    public RecConfig(String model, int embeddingDim, List<Integer> hidden, Feedback feedback, String algo, int innerSteps,
                     float innerLr, float outerLr, int metaBatch, int epochs, int patience, double validation,
                     LearnerConfig.Execution execution, long seed) {
        this(model, embeddingDim, hidden, feedback, algo, innerSteps, innerLr, outerLr, metaBatch, epochs, patience, validation, execution,
                seed, false, false, false, false);
    }

    public RecConfig {
        model = io.metarec.util.EnumNames.key(model);
        if (!MODELS.contains(model)) throw new IllegalArgumentException("unknown model '" + model + "'; valid: " + String.join(", ", MODELS));
        if (embeddingDim < 1 || embeddingDim > 1024) throw new IllegalArgumentException("embedding dimension must be in 1..1024, got " + embeddingDim);
        hidden = List.copyOf(hidden);
        if (hidden.isEmpty() || hidden.stream().anyMatch(h -> h < 1 || h > 4096))
            throw new IllegalArgumentException("hidden sizes must be 1..4096 and at least one, got " + hidden);
        algo = LearnerKind.parse(algo).cliName(); // one spelling in files and reports, whatever was typed
        new LearnerConfig(innerSteps, innerLr, List.of(), Order.SECOND_ORDER, 0, 0, execution, LearnerConfig.NonFinitePolicy.FAIL, outerLr, seed);
        if (metaBatch < 1) throw new IllegalArgumentException("meta-batch must be at least 1, got " + metaBatch);
        if (epochs < 1) throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
        if (patience < 0) throw new IllegalArgumentException("patience must be ≥ 0, got " + patience);
        if (!(validation >= 0 && validation < 0.5)) throw new IllegalArgumentException("validation share must be in [0, 0.5), got " + validation);
    }

    /** This project's defaults (see README, "Learners": sizes from the synthetic data, the rest from ML-100K). */
    public static RecConfig defaults() {
        // Outer rate 3e-4, up to 40 epochs, patience 5 (chosen on ML-100K, three splits: MAML's user-cold
        // MAE 0.780 at 1e-3, 0.773 at 3e-4, 0.769 at 1e-4 with 60 epochs; the factorised start is
        // good, and a large outer step overfits the 300 training users within a few epochs).
        return new RecConfig("melu", 32, List.of(64, 64), Feedback.explicit(), LearnerKind.DEFAULT.cliName(), 3, 0.01f, 3e-4f, 32, 40, 5, 0.1,
                LearnerConfig.Execution.AUTO, 1, true, false, true, false);
    }

    /**
     * MeLU's published settings (hoyeoplee/MeLU options.py): embedding 32, MLP 64-64, one local
     * update with local lr 5e-6, global lr 5e-5, batch 32, 20 epochs. NOTE: with a local rate that
     * small the adaptation barely moves the weights.
     */
    public static RecConfig meluPaper() {
        return new RecConfig("melu", 32, List.of(64, 64), Feedback.explicit(), LearnerKind.MAML.cliName(), 1, 5e-6f, 5e-5f, 32, 20, 0, 0.1,
                LearnerConfig.Execution.AUTO, 1, false, false, false, false);
    }

    public RecConfig withAlgo(String a) {
        return new RecConfig(model, embeddingDim, hidden, feedback, a, innerSteps, innerLr, outerLr, metaBatch, epochs, patience, validation, execution, seed, identity, lslr, variedSupport, foldIn);
    }

    public RecConfig withModel(String m) {
        return new RecConfig(m, embeddingDim, hidden, feedback, algo, innerSteps, innerLr, outerLr, metaBatch, epochs, patience, validation, execution, seed, identity, lslr, variedSupport, foldIn);
    }

    public RecConfig withEpochs(int e) {
        return new RecConfig(model, embeddingDim, hidden, feedback, algo, innerSteps, innerLr, outerLr, metaBatch, e, patience, validation, execution, seed, identity, lslr, variedSupport, foldIn);
    }

    public RecConfig withSeed(long s) {
        return new RecConfig(model, embeddingDim, hidden, feedback, algo, innerSteps, innerLr, outerLr, metaBatch, epochs, patience, validation, execution, s, identity, lslr, variedSupport, foldIn);
    }

    /** The learner this configuration trains. */
    public LearnerKind kind() {
        return LearnerKind.parse(algo);
    }

    /** The learner configuration (the adapted groups follow from the model). */
    public LearnerConfig learnerConfig() {
        // Meta-LSTM ignores second derivatives through the gradient, as Ravi & Larochelle do.
        return new LearnerConfig(innerSteps, innerLr, adaptedGroups(), kind().order(), 0f, 0f, execution, LearnerConfig.NonFinitePolicy.FAIL, outerLr, seed);
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
        return k == LearnerKind.LEO ? List.of(mlp, personal + ".bias") : List.of(mlp, personal);
    }
}
