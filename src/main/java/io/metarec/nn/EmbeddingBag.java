package io.metarec.nn;

import io.metarec.autograd.Indexing;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Indices;

/**
 * Mean of several rows per example (multi-valued features such as genres): example s averages the
 * rows {@code ids[offsets[s] .. offsets[s+1])}; an example with no ids gets a zero vector
 * (PyTorch's {@code EmbeddingBag(mode="mean")}).
 */
public record EmbeddingBag(String name, int vocab, int dim) {

    public EmbeddingBag {
        if (vocab <= 0 || dim <= 0) throw new IllegalArgumentException("EmbeddingBag " + name + ": vocab and dim must be positive, got " + vocab + "×" + dim);
    }

    public String weightName() { return name + ".weight"; }

    public Params init(long seed) {
        return Params.empty().with(weightName(), Init.STANDARD_NORMAL.draw(seed, weightName(), vocab, vocab, dim));
    }

    /** [offsets.length − 1, dim]. */
    public Tensor forward(Params p, Indices ids, Indices offsets) {
        return Indexing.segmentMean(Indexing.gatherRows(p.get(weightName()), ids), offsets);
    }
}
