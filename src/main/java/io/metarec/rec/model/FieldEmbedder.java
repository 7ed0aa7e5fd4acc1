package io.metarec.rec.model;

import io.metarec.autograd.Indexing;
import io.metarec.autograd.ShapeOps;
import io.metarec.autograd.Tensor;
import io.metarec.nn.Init;
import io.metarec.nn.Params;

import java.util.ArrayList;
import java.util.List;

/**
 * Embeds every field of an example and concatenates the vectors in field order (MeLU's input
 * layer): a lookup for a single-valued field, the mean of the rows (embedding bag) for a
 * multi-valued one. Tables are N(0, 1) as PyTorch's nn.Embedding.
 */
public final class FieldEmbedder {
    private final List<FieldSpec> fields;
    private final int dim;

    public FieldEmbedder(List<FieldSpec> fields, int dim) {
        if (fields.isEmpty()) throw new IllegalArgumentException("a model needs at least one field");
        if (dim < 1) throw new IllegalArgumentException("embedding dimension must be ≥ 1, got " + dim);
        this.fields = List.copyOf(fields);
        this.dim = dim;
    }

    public List<FieldSpec> fields() { return fields; }

    public int dim() { return dim; }

    /** Width of the concatenated embedding. */
    public int width() { return fields.size() * dim; }

    /** Width of one side's concatenated embedding. */
    public int width(FieldSpec.Side side) {
        return (int) fields.stream().filter(f -> f.side() == side).count() * dim;
    }

    /** Number of values in {@link #init}'s tables: vocabulary × dimension per field. */
    public long parameterCount() {
        long n = 0;
        for (FieldSpec f : fields) n += (long) f.vocab() * dim;
        return n;
    }

    /**
     * N(0, 1) rows, except row 0 — the "unknown / missing" value — which starts at zero, the mean
     * of the others: a value training never saw (a new item's new director) then enters the model
     * as an average value rather than as noise.
     */
    public Params init(long seed) {
        Params p = Params.empty();
        for (FieldSpec f : fields) {
            float[] rows = Init.STANDARD_NORMAL.draw(seed, f.tableName(), f.vocab(), f.vocab(), dim).toArray();
            java.util.Arrays.fill(rows, 0, dim, 0f);
            p = p.with(f.tableName(), Tensor.of(rows, f.vocab(), dim));
        }
        return p;
    }

    /** [rows, fields × dim] for the fields of the given side (null = all), in field order. */
    public Tensor embed(Params p, Examples x, FieldSpec.Side side) {
        List<Tensor> parts = parts(p, x, side);
        return parts.size() == 1 ? parts.get(0) : ShapeOps.concat(parts, 1);
    }

    /** Each field's [rows, dim] embedding, for the fields of the given side (null = all), in field order. */
    public List<Tensor> parts(Params p, Examples x, FieldSpec.Side side) {
        if (x.fields().size() != fields.size())
            throw new IllegalArgumentException("examples carry " + x.fields().size() + " fields, the model has " + fields.size());
        List<Tensor> parts = new ArrayList<>();
        for (int i = 0; i < fields.size(); i++) {
            FieldSpec f = fields.get(i);
            if (side != null && f.side() != side) continue;
            Examples.FieldIds ids = x.fields().get(i);
            Tensor table = p.get(f.tableName());
            int bad = ids.ids().firstOutOfRange(f.vocab());
            if (bad >= 0)
                throw new IndexOutOfBoundsException("field " + f.name() + ": id " + ids.ids().get(bad) + " is outside its vocabulary of "
                        + f.vocab() + " (was the model trained on another dataset?)");
            parts.add(ids.offsets() == null ? Indexing.gatherRows(table, ids.ids())
                    : Indexing.bagMean(table, ids.ids(), ids.offsets()));
        }
        return parts;
    }
}
