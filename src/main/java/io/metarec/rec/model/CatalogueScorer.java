package io.metarec.rec.model;

import io.metarec.autograd.GradMode;
import io.metarec.autograd.Tensor;
import io.metarec.meta.MetaLearner;
import io.metarec.nn.Params;

import java.util.ArrayList;
import java.util.List;

/**
 * Scores a whole catalogue for one user at a time, as a served model does per request, without
 * redoing per request what does not depend on the user: the items' side of every row (field
 * embeddings, identities; {@link MeluModel#embedItems}) is embedded once, with the learner's
 * meta-parameters θ, when this is made; a request embeds only its user's row and runs the head
 * under the adapted parameters, with nothing recorded, the user's share of the head's first layer
 * computed once for all items. The scores are {@code learner.predict(adapted, rows pairing the
 * user with every catalogue item)} up to float rounding (within 1e-5 on a rating scale, tested;
 * not bitwise: the first layer's sum is associated differently).
 *
 * <p>Only for a {@link MeluModel} whose embeddings the learner does not adapt (the default: the MLP
 * and the personal parameters adapt, the embeddings are meta-learned), see {@link #of}; and only
 * for parameters whose embeddings are θ's own tensors ({@link #validFor}: what
 * {@link MetaLearner#adaptTo} returns). Immutable, so requests on any threads may share one.
 */
public final class CatalogueScorer {
    private final MeluModel model;
    private final MeluModel.ItemSide items;
    /** θ's embedding-group tensors the item side was computed from. */
    private final List<String> names;
    private final List<Tensor> embeddings;

    private CatalogueScorer(MeluModel model, MeluModel.ItemSide items, List<String> names, List<Tensor> embeddings) {
        this.model = model;
        this.items = items;
        this.names = names;
        this.embeddings = embeddings;
    }

    /**
     * The catalogue {@code rows} (one per item, in catalogue order; their user fields are not read)
     * embedded with the learner's current θ, or null when that cannot stand for every user: the
     * model is not a {@link MeluModel}, or the learner adapts part of its embeddings.
     */
    public static CatalogueScorer of(MetaLearner<Examples> learner, Examples rows) {
        if (!(learner.model() instanceof MeluModel melu)) return null;
        List<String> groups = melu.embeddingGroups();
        for (String n : learner.adaptedNames())
            for (String g : groups) if (Params.inGroup(n, g)) return null;
        Params theta = learner.modelParams();
        List<String> names = new ArrayList<>();
        List<Tensor> embeddings = new ArrayList<>();
        for (String n : theta.names())
            for (String g : groups)
                if (Params.inGroup(n, g)) {
                    names.add(n);
                    embeddings.add(theta.get(n));
                    break;
                }
        try (var off = GradMode.disabled()) {
            return new CatalogueScorer(melu, melu.embedItems(theta, rows), List.copyOf(names), List.copyOf(embeddings));
        }
    }

    /** Number of catalogue rows scored. */
    public int rows() { return items.rows(); }

    /** Whether {@code params} reads the embeddings the catalogue was embedded with (θ's own tensors). */
    public boolean validFor(Params params) {
        for (int i = 0; i < names.size(); i++) {
            if (!params.contains(names.get(i))) return false;
            Tensor t = params.get(names.get(i));
            if (t != embeddings.get(i) && t.buffer() != embeddings.get(i).buffer()) return false;
        }
        return true;
    }

    /**
     * The model's output for every catalogue row paired with the user of {@code user} (one row,
     * its item side not read) under {@code params}, unrecorded: [rows, 1]. The paired rows are never
     * built: the head's first layer takes the user's inputs once ({@link MeluModel#pairedHead}).
     *
     * @throws IllegalArgumentException when {@code params} is not {@link #validFor valid} here
     */
    public Tensor score(Params params, Examples user) {
        if (!validFor(params)) throw new IllegalArgumentException("catalogue scorer: the parameters' embeddings are not those the catalogue was embedded with");
        try (var off = GradMode.disabled()) {
            return model.pairedHead(params, items, model.embedUser(params, items, user));
        }
    }
}
