package io.metarec.autograd;

import io.metarec.backend.Backend;
import io.metarec.backend.Buffer;
import io.metarec.backend.Indices;
import io.metarec.backend.ShapeException;

import java.util.List;

/**
 * Row lookups for embeddings. gatherRows and scatterAddRows are each other's adjoint, as are
 * segmentMean and segmentExpandMean, so every order of derivative stays inside these four ops.
 */
public final class Indexing {
    private Indexing() {}

    private record Rows(Indices ids, int count) {}

    static final Op GATHER_ROWS = Op.define("gather_rows", (g, n) -> {
        Rows r = n.attrs();
        return new Tensor[] {scatterAddRows(g, r.ids, r.count)};
    });
    static final Op SCATTER_ADD_ROWS = Op.define("scatter_add_rows", (g, n) -> {
        Rows r = n.attrs();
        return new Tensor[] {gatherRows(g, r.ids)};
    });
    static final Op SEGMENT_MEAN = Op.define("segment_mean", (g, n) -> {
        Rows r = n.attrs();
        return new Tensor[] {segmentExpandMean(g, r.ids, r.count)};
    });
    static final Op SEGMENT_EXPAND_MEAN = Op.define("segment_expand_mean", (g, n) -> {
        Rows r = n.attrs();
        return new Tensor[] {segmentMean(g, r.ids)};
    });

    /** A bag lookup's attributes: the rows looked up (ids, table rows) and the bags' offsets into them. */
    private record Bag(Rows rows, Indices offsets) {}

    // A bag's rows averaged: gather_rows then segment_mean as one op. Its gradient is theirs:
    // each looked-up row of bag s gets g[s] / |s| (segment_expand_mean), scattered into the table.
    static final Op BAG_MEAN = Op.define("bag_mean", (g, n) -> {
        Bag b = n.attrs();
        return new Tensor[] {scatterAddRows(lookupGradient(g, n), b.rows.ids, b.rows.count)};
    });

    /** Whether a node is a row lookup (its gradient is a scatter that {@link Autograd} may batch). */
    static boolean isGather(Node n) {
        return n.op == GATHER_ROWS || n.op == BAG_MEAN;
    }

    /**
     * The gradient with respect to a lookup's gathered rows, given its output's {@code g}: g itself
     * for gather_rows; for bag_mean, each row of bag s gets g[s] / |s| — what segment_mean's rule
     * gave the gathered rows when the two were separate ops.
     */
    static Tensor lookupGradient(Tensor g, Node n) {
        if (n.op != BAG_MEAN) return g;
        Bag b = n.attrs();
        return segmentExpandMean(g, b.offsets, b.rows.ids.length());
    }

    private static Rows rowsOf(Node n) {
        return n.op == BAG_MEAN ? n.<Bag>attrs().rows : n.attrs();
    }

    /**
     * The summed gradient of several lookups into one table: one scatter of all their gradient
     * rows, instead of one dense [rows, d] tensor per lookup added together. Differentiable
     * (concat and scatter have rules), so it serves second order too.
     */
    static Tensor scatterAll(List<Tensor> grads, List<Node> gathers) {
        Rows first = rowsOf(gathers.get(0));
        if (grads.size() == 1) return scatterAddRows(grads.get(0), first.ids, first.count);
        return scatterAddRows(ShapeOps.concat(grads, 0), concatIds(gathers), first.count);
    }

    /** {@link #scatterAll} as touched rows ({@link RowSparse}): the same rows in the same order, no zeroed table. */
    static RowSparse scatterAllSparse(List<Tensor> grads, List<Node> gathers) {
        Rows first = rowsOf(gathers.get(0));
        if (grads.size() == 1) return RowSparse.scatter(grads.get(0), first.ids, first.count);
        return RowSparse.scatter(ShapeOps.concat(grads, 0), concatIds(gathers), first.count);
    }

    private static Indices concatIds(List<Node> gathers) {
        int total = 0;
        for (Node n : gathers) total += rowsOf(n).ids.length();
        int[] ids = new int[total];
        int at = 0;
        for (Node n : gathers) {
            Indices part = rowsOf(n).ids;
            System.arraycopy(part.array(), 0, ids, at, part.length());
            at += part.length();
        }
        return Indices.wrap(ids);
    }

    /** out[i, :] = table[ids[i], :]: embedding lookup, table [V, d] → [ids.length, d]. */
    public static Tensor gatherRows(Tensor table, Indices ids) {
        checkLookup("gather_rows", table, ids);
        int rows = table.dim(0), cols = table.dim(1);
        Backend be = table.backend();
        Buffer out = be.allocate(ids.length() * cols);
        if (ids.length() > 0 && cols > 0) be.gatherRows(table.buffer(), cols, ids, out);
        return Tensor.result(be, new int[] {ids.length(), cols}, out, GATHER_ROWS, new Rows(ids, rows), table);
    }

    /**
     * Bags of embedding rows averaged: out[s, :] = mean of table[ids[j], :] over j in
     * [offsets[s], offsets[s + 1]) — {@code segmentMean(gatherRows(table, ids), offsets)} as one op,
     * with its values and derivatives bit for bit, but without the gathered [ids.length, d] rows
     * (one backend call, {@link Backend#gatherSegmentMean}); table [V, d] → [S, d].
     */
    public static Tensor bagMean(Tensor table, Indices ids, Indices offsets) {
        checkLookup("bag_mean", table, ids);
        int rows = table.dim(0), cols = table.dim(1);
        checkOffsets("bag_mean", offsets, ids.length());
        int segments = offsets.length() - 1;
        Backend be = table.backend();
        Buffer out = be.allocate(segments * cols);
        if (segments > 0 && cols > 0) be.gatherSegmentMean(table.buffer(), cols, ids, offsets, out);
        return Tensor.result(be, new int[] {segments, cols}, out, BAG_MEAN, new Bag(new Rows(ids, rows), offsets), table);
    }

    /** out[ids[i], :] += src[i, :] into a [rows, d] zero tensor (duplicate ids add up). */
    public static Tensor scatterAddRows(Tensor src, Indices ids, int rows) {
        if (src.rank() != 2 || src.dim(0) != ids.length())
            throw new ShapeException("scatter_add_rows: source must be [" + ids.length() + ", cols] for " + ids.length()
                    + " indices, got " + src.shapeString());
        int bad = ids.firstOutOfRange(rows);
        if (bad >= 0)
            throw new IndexOutOfBoundsException("scatter_add_rows: index " + ids.get(bad) + " at position " + bad
                    + " is out of range for " + rows + " rows");
        int cols = src.dim(1);
        Backend be = src.backend();
        Buffer out = be.zeros(rows * cols);
        if (ids.length() > 0 && cols > 0) be.scatterAddRows(src.buffer(), cols, ids, out);
        return Tensor.result(be, new int[] {rows, cols}, out, SCATTER_ADD_ROWS, new Rows(ids, rows), src);
    }

    /**
     * Mean of consecutive row segments: x [N, d], offsets [S + 1] with offsets[0] = 0 and
     * offsets[S] = N, non-decreasing → [S, d]. An empty segment gives a zero row.
     */
    public static Tensor segmentMean(Tensor x, Indices offsets) {
        if (x.rank() != 2) throw new ShapeException("segment_mean: input must be [rows, cols], got " + x.shapeString());
        checkOffsets("segment_mean", offsets, x.dim(0));
        int segments = offsets.length() - 1, cols = x.dim(1);
        Backend be = x.backend();
        Buffer out = be.allocate(segments * cols);
        if (segments > 0 && cols > 0) be.segmentMean(x.buffer(), cols, offsets, out);
        return Tensor.result(be, new int[] {segments, cols}, out, SEGMENT_MEAN, new Rows(offsets, x.dim(0)), x);
    }

    /** The adjoint of segmentMean: row j of segment s gets g[s, :] / |s|; → [rows, d]. */
    public static Tensor segmentExpandMean(Tensor g, Indices offsets, int rows) {
        checkOffsets("segment_expand_mean", offsets, rows);
        if (g.rank() != 2 || g.dim(0) != offsets.length() - 1)
            throw new ShapeException("segment_expand_mean: gradient must be [" + (offsets.length() - 1) + ", cols], got " + g.shapeString());
        int cols = g.dim(1);
        Backend be = g.backend();
        Buffer out = be.allocate(rows * cols);
        if (rows > 0 && cols > 0) be.segmentExpandMean(g.buffer(), cols, offsets, out);
        return Tensor.result(be, new int[] {rows, cols}, out, SEGMENT_EXPAND_MEAN, new Rows(offsets, rows), g);
    }

    /** A lookup's table is [rows, cols] and every id one of its rows; the message names the op, the id, its position and the shape. */
    private static void checkLookup(String op, Tensor table, Indices ids) {
        if (table.rank() != 2) throw new ShapeException(op + ": table must be [rows, cols], got " + table.shapeString());
        int bad = ids.firstOutOfRange(table.dim(0));
        if (bad >= 0)
            throw new IndexOutOfBoundsException(op + ": index " + ids.get(bad) + " at position " + bad
                    + " is out of range for a table of shape " + table.shapeString());
    }

    private static void checkOffsets(String op, Indices offsets, int rows) {
        int n = offsets.length();
        if (n < 1 || offsets.get(0) != 0 || offsets.get(n - 1) != rows)
            throw new ShapeException(op + ": offsets " + offsets + " must start at 0 and end at the row count " + rows);
        for (int i = 1; i < n; i++)
            if (offsets.get(i) < offsets.get(i - 1))
                throw new ShapeException(op + ": offsets decrease at position " + i + " (" + offsets.get(i - 1) + " then " + offsets.get(i) + ")");
    }
}
