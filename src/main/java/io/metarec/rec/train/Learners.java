package io.metarec.rec.train;

import io.metarec.meta.LearnerKind;
import io.metarec.meta.Leo;
import io.metarec.meta.Maml;
import io.metarec.meta.MetaLearner;
import io.metarec.meta.MetaModel;
import io.metarec.meta.MetaLstm;
import io.metarec.meta.MetaSgd;
import io.metarec.meta.Pretrained;
import io.metarec.meta.Reptile;
import io.metarec.rec.model.Examples;
import io.metarec.rec.model.FeatureEncoder;
import io.metarec.rec.model.MeluModel;
import io.metarec.rec.model.MetricModel;


/** Builds the recommendation models and learners of a configuration (the learners' names are {@link LearnerKind}'s). */
public final class Learners {
    /** LEO's initial latent step size for recommendation heads. */
    public static final float LEO_LATENT_LR = 0.1f;

    private Learners() {}

    public static MetaModel<Examples> model(RecConfig c, FeatureEncoder enc, float meanTarget) {
        return model(c, enc, meanTarget, null);
    }

    /**
     * The model of {@code c}; with identities, the item identity rows start from {@code itemRows}
     * (numItems × (embeddingDim + 1): embedding, then bias; null: zero).
     */
    public static MetaModel<Examples> model(RecConfig c, FeatureEncoder enc, float meanTarget, float[] itemRows) {
        return model(c, enc, meanTarget, itemRows, (float) BiasedMf.DEFAULT_LAMBDA);
    }

    /** The same, the fold-in's ridge λ starting at {@code foldInLambda} (meta-learned from there; a loaded model reads its own). */
    public static MetaModel<Examples> model(RecConfig c, FeatureEncoder enc, float meanTarget, float[] itemRows, float foldInLambda) {
        int[] hidden = c.hidden().stream().mapToInt(Integer::intValue).toArray();
        float fold = c.foldsIn() ? foldInLambda : 0f;
        MeluModel.Identity id = c.identity() ? new MeluModel.Identity(enc.numItems(), enc.numUsers(), itemRows, fold) : null;
        return switch (c.model()) {
            case "melu" -> new MeluModel(enc.fields(), c.embeddingDim(), hidden, c.feedback().loss(), meanTarget, id);
            case "metric" -> new MetricModel(enc.fields(), c.embeddingDim(), hidden[0], c.feedback().loss(), meanTarget, id);
            default -> throw new IllegalArgumentException("unknown model " + c.model());
        };
    }

    public static MetaLearner<Examples> learner(RecConfig c, MetaModel<Examples> model) {
        var lc = c.learnerConfig();
        return switch (c.kind()) {
            case MAML, FOMAML -> new Maml<>(model, lc, null, c.lslr());
            // Adam on the pseudo-gradient θ − φ: interpolating with ε = 0.1 after 3 steps of 0.01 moved θ
            // by ~0.003·g and was still far from converged after 20 epochs (user-cold MAE 0.80 vs 0.72).
            case REPTILE -> new Reptile<>(model, lc, null);
            case METASGD -> new MetaSgd<>(model, lc);
            case METALSTM -> new MetaLstm<>(model, lc);
            // The paper's latent step size 1 diverges on rating heads; 0.1 is stable on both models.
            case LEO -> new Leo<>(model, lc, Leo.Options.defaults().withLatentLrInit(LEO_LATENT_LR), null);
            case PRETRAINED -> new Pretrained<>(model, lc);
        };
    }
}
