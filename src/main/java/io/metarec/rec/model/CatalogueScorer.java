package io.metarec.rec.model;

import io.metarec.autograd.GradMode;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Backend;
import io.metarec.backend.Buffer;
import io.metarec.meta.MetaLearner;
import io.metarec.nn.Params;

import java.util.ArrayList;
import java.util.List;

/**
 * Scores a whole catalogue for one user at a time, as a served model does per request, without
 * redoing per request what does not depend on the user: the items' side of every row (field
 * embeddings, identities; {@link MeluModel#embedItems}) is embedded once, with the learner's
 * meta-parameters θ, when this is made; a request embeds only its user's row and runs the head
 * under the adapted parameters, with nothing recorded. The scores are bitwise
 * {@code learner.predict(adapted, rows pairing the user with every catalogue item)}.
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
    /** Feature buffers of finished requests, their item columns filled (host backends only). */
    private final java.util.concurrent.ConcurrentLinkedQueue<Buffer> pool = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Buffers kept at most (more concurrent requests allocate their own and drop them after). */
    static final int MAX_POOLED = Math.max(2, Runtime.getRuntime().availableProcessors());

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
     * its item side not read) under {@code params}, unrecorded: [rows, 1].
     *
     * <p>On a host backend the rows' features are written into a buffer kept from an earlier
     * request, whose item columns already hold the catalogue: only the user's columns are written
     * (their one row repeated, {@link Backend#copy2d} with source stride 0). A request takes a
     * buffer from the pool for itself and gives it back once the head has run (the head's output
     * is a new buffer; nothing recorded keeps the features), so concurrent requests never share one.
     *
     * @throws IllegalArgumentException when {@code params} is not {@link #validFor valid} here
     */
    public Tensor score(Params params, Examples user) {
        if (!validFor(params)) throw new IllegalArgumentException("catalogue scorer: the parameters' embeddings are not those the catalogue was embedded with");
        try (var off = GradMode.disabled()) {
            MeluModel.UserSide side = model.embedUser(params, items, user);
            Backend be = embeddings.isEmpty() ? params.tensors().get(0).backend() : embeddings.get(0).backend();
            if (!be.hostResident()) return model.head(params, model.pairedFeatures(items, side));
            int n = items.rows(), width = items.width();
            Buffer buffer = pool.poll();
            Tensor features;
            if (buffer == null) { // the first request(s): the whole rows, whose buffer then joins the pool
                features = model.pairedFeatures(items, side);
                buffer = features.buffer();
                for (Tensor b : items.blocks()) if (b.buffer() == buffer) buffer = null; // one block, no user columns: nothing to keep
                for (Tensor b : side.blocks()) if (b.buffer() == buffer) buffer = null;
                // The request's memory scope owns what it computed; the pool's copy is an upload, which no host scope owns.
                if (buffer != null) features = Tensor.wrap(be, buffer = be.upload(features.toArray()), n, width);
            } else {
                for (int i = 0; i < side.blocks().size(); i++) {
                    Tensor b = side.blocks().get(i);
                    be.copy2d(b.buffer(), 0, b.dim(0) == 1 ? 0 : b.dim(1), buffer, side.columns()[i], width, n, b.dim(1));
                }
                features = Tensor.wrap(be, buffer, n, width);
            }
            try {
                return model.head(params, features);
            } finally {
                if (buffer != null && pool.size() < MAX_POOLED) pool.offer(buffer);
            }
        }
    }
}
