package io.metarec.rec.model;

import io.metarec.autograd.Tensor;
import io.metarec.meta.Batch;
import io.metarec.meta.LossKind;
import io.metarec.meta.MetaModel;
import io.metarec.nn.Activation;
import io.metarec.nn.Mlp;
import io.metarec.nn.Params;

import java.util.List;

/**
 * The MeLU user preference estimator (Lee et al. 2019): each user and item field embedded
 * (dim 32; multi-valued fields mean-pooled), concatenated, then an MLP 64-64-1 with ReLU.
 * Only the MLP ("mlp") adapts per user; the embeddings ("emb") are meta-learned.
 * Explicit feedback predicts the rating (MSE); implicit predicts a click logit (BCE).
 */
public final class MeluModel implements MetaModel<Examples> {
    private final FieldEmbedder embedder;
    private final Mlp mlp;
    private final LossKind loss;
    private final float initialBias;

    /**
     * @param initialBias the output bias at initialisation: the mean training rating (or the logit of
     *                    the like rate), so the inner loop does not start by chasing a constant offset
     */
    public MeluModel(List<FieldSpec> fields, int embeddingDim, int[] hidden, LossKind loss, float initialBias) {
        this.embedder = new FieldEmbedder(fields, embeddingDim);
        int[] sizes = new int[hidden.length + 2];
        sizes[0] = embedder.width();
        System.arraycopy(hidden, 0, sizes, 1, hidden.length);
        sizes[sizes.length - 1] = 1;
        this.mlp = new Mlp("mlp", sizes, Activation.RELU);
        this.loss = loss;
        this.initialBias = initialBias;
    }

    public MeluModel(List<FieldSpec> fields, int embeddingDim, int[] hidden, LossKind loss) {
        this(fields, embeddingDim, hidden, loss, 0f);
    }

    /** MeLU's sizes: embedding 32, hidden 64-64. */
    public MeluModel(List<FieldSpec> fields, LossKind loss) {
        this(fields, 32, new int[] {64, 64}, loss);
    }

    public FieldEmbedder embedder() { return embedder; }

    @Override public Params init(long seed) {
        Params p = embedder.init(seed).with(mlp.init(seed));
        String out = mlp.layers().get(mlp.layers().size() - 1).biasName();
        return p.with(out, Tensor.full(p.get(out).backend(), initialBias, 1));
    }

    @Override public int featureWidth() { return embedder.width(); }

    @Override public List<String> embeddingGroups() { return List.of("emb"); }

    @Override public Batch embed(Params params, Examples data) {
        return new Batch(embedder.embed(params, data, null), data.targets());
    }

    @Override public Tensor head(Params params, Tensor features) { return mlp.forward(params, features); }

    /** One lookup per table for the whole meta-batch (the backward pass then scatters once). */
    @Override public Batch embedStack(Params params, List<Examples> data) {
        return Batch.stackRows(embed(params, Examples.concat(data)), Examples.rows(data));
    }

    @Override public LossKind loss() { return loss; }
}
