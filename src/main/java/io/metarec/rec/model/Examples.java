package io.metarec.rec.model;

import io.metarec.autograd.Tensor;
import io.metarec.backend.Indices;

import java.util.List;

/**
 * A set of (user, item) examples as a recommendation model reads them: for every field of the
 * model, the ids of each row (CSR: row r has ids[offsets[r] .. offsets[r+1]); offsets is null when
 * every row has exactly one id), and the targets [rows, 1] (ratings, or 0/1 for implicit feedback).
 */
public record Examples(List<FieldIds> fields, Tensor targets) {

    /** The ids of one field for every row. */
    public record FieldIds(Indices ids, Indices offsets) {
        public int rows() {
            return offsets == null ? ids.length() : offsets.length() - 1;
        }
    }

    public Examples {
        fields = List.copyOf(fields);
        if (targets.rank() != 2 || targets.dim(1) != 1)
            throw new IllegalArgumentException("examples: targets must be [rows, 1], got " + targets.shapeString());
        for (int f = 0; f < fields.size(); f++)
            if (fields.get(f).rows() != targets.dim(0))
                throw new IllegalArgumentException("examples: field " + f + " has " + fields.get(f).rows() + " rows but there are "
                        + targets.dim(0) + " targets");
    }

    public int rows() { return targets.dim(0); }
}
