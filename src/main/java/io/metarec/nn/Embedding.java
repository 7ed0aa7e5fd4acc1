package io.metarec.nn;

import io.metarec.autograd.Indexing;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Indices;

/** A lookup table {@code name.weight} [vocab, dim]: row i is the vector of id i. */
public record Embedding(String name, int vocab, int dim) {

    public Embedding {
        if (vocab <= 0 || dim <= 0) throw new IllegalArgumentException("Embedding " + name + ": vocab and dim must be positive, got " + vocab + "×" + dim);
    }

    public String weightName() { return name + ".weight"; }

    /** N(0, 1) rows, as PyTorch's default. */
    public Params init(long seed) {
        return Params.empty().with(weightName(), Init.STANDARD_NORMAL.draw(seed, weightName(), vocab, vocab, dim));
    }

    /** [ids.length, dim]. */
    public Tensor forward(Params p, Indices ids) {
        return Indexing.gatherRows(p.get(weightName()), ids);
    }
}
