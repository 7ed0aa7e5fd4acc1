package io.metarec.rec.model;

import io.metarec.autograd.Tensor;
import io.metarec.backend.Indices;

import java.util.List;

/**
 * A set of (user, item) examples as a recommendation model reads them: for every field of the
 * model, the ids of each row (CSR: row r has ids[offsets[r] .. offsets[r+1]); offsets is null when
 * every row has exactly one id), the identities of each row's item and user (row of the id
 * embedding tables: catalogue index + 1, 0 = unknown; null when the caller has none, read as
 * unknown), and the targets [rows, 1] (ratings, or 0/1 for implicit feedback).
 */
public record Examples(List<FieldIds> fields, Indices itemIds, Indices userIds, Tensor targets) {

    /** Examples without identities (every item and user unknown). */
    public Examples(List<FieldIds> fields, Tensor targets) {
        this(fields, null, null, targets);
    }

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
        if (itemIds != null && itemIds.length() != targets.dim(0) || userIds != null && userIds.length() != targets.dim(0))
            throw new IllegalArgumentException("examples: one item and one user identity per row needed (" + targets.dim(0) + " rows)");
    }

    /** Row ids of the item (or user) identity table, one per row; zeros (unknown) when absent. */
    public Indices identities(FieldSpec.Side side) {
        Indices ids = side == FieldSpec.Side.ITEM ? itemIds : userIds;
        return ids != null ? ids : Indices.wrap(new int[rows()]);
    }

    public int rows() { return targets.dim(0); }

    /** All rows of several example sets, in order (ids concatenated, offsets shifted). */
    public static Examples concat(List<Examples> parts) {
        if (parts.size() == 1) return parts.get(0);
        int fields = parts.get(0).fields.size();
        List<FieldIds> out = new java.util.ArrayList<>(fields);
        for (int f = 0; f < fields; f++) {
            boolean single = true;
            int ids = 0, rows = 0;
            for (Examples e : parts) {
                FieldIds x = e.fields.get(f);
                single &= x.offsets == null;
                ids += x.ids.length();
                rows += x.rows();
            }
            int[] all = new int[ids];
            int[] offsets = single ? null : new int[rows + 1];
            int at = 0, row = 0;
            for (Examples e : parts) {
                FieldIds x = e.fields.get(f);
                if (offsets != null) {
                    for (int r = 0; r < x.rows(); r++) offsets[row + r + 1] = at + (x.offsets == null ? r + 1 : x.offsets.get(r + 1));
                }
                System.arraycopy(x.ids.array(), 0, all, at, x.ids.length());
                at += x.ids.length();
                row += x.rows();
            }
            out.add(new FieldIds(Indices.wrap(all), offsets == null ? null : Indices.wrap(offsets)));
        }
        List<Tensor> targets = new java.util.ArrayList<>();
        for (Examples e : parts) targets.add(e.targets);
        return new Examples(out, concatIds(parts, FieldSpec.Side.ITEM), concatIds(parts, FieldSpec.Side.USER),
                io.metarec.autograd.ShapeOps.concat(targets, 0));
    }

    private static Indices concatIds(List<Examples> parts, FieldSpec.Side side) {
        int n = 0;
        for (Examples e : parts) n += e.rows();
        int[] all = new int[n];
        int at = 0;
        for (Examples e : parts) {
            Indices ids = side == FieldSpec.Side.ITEM ? e.itemIds : e.userIds;
            if (ids != null) System.arraycopy(ids.array(), 0, all, at, ids.length());
            at += e.rows();
        }
        return Indices.wrap(all);
    }

    /** Row counts of several example sets. */
    public static int[] rows(List<Examples> parts) {
        int[] r = new int[parts.size()];
        for (int i = 0; i < r.length; i++) r[i] = parts.get(i).rows();
        return r;
    }
}
