package io.metarec.autograd;

import io.metarec.backend.Backend;
import io.metarec.backend.Buffer;
import io.metarec.backend.Indices;
import io.metarec.backend.ShapeException;

import java.util.Arrays;

/**
 * A [rows, cols] gradient that is zero outside a few rows: what row lookups into an embedding table
 * ({@link Indexing#gatherRows}) give it. Held as the touched rows' indices (ascending, distinct) and
 * a [k, cols] block of their values, so a task that reads 200 rows of a 13,679-row table costs 200
 * rows, not a zeroed table.
 *
 * <pre>
 *   ids    = [3, 7, 12]            dense view: row 3  = values[0, :]
 *   values = [3, cols] block                   row 7  = values[1, :]
 *                                              row 12 = values[2, :], every other row 0
 * </pre>
 *
 * <p>Bits: each element gets the float operations the dense path gives it, in the same order, so
 * {@link #toDense} is bitwise the dense gradient. {@link #scatter} is the dense scatter's sum into
 * zeros restricted to the touched rows; {@link #plus} adds each side into zeros, (0 + a) + b, where
 * the dense path adds a + b. NOTE: the two agree because no stored value is −0: every value is a sum
 * that started at +0, and +0 + x is −0 for no x (round to nearest: x + y = −0 only when both are
 * −0), so 0 + a = a bit for bit. {@link #scale} may produce −0 (a tiny negative value times 1/32),
 * which is why a scaled gradient is only densified or stepped with, never added.
 *
 * <p>Immutable once built; the values buffer is this object's own ({@link #release} frees it on a
 * backend with explicit memory).
 */
public final class RowSparse implements Gradient {
    private final Backend backend;
    private final int rows, cols;
    private final int[] ids;
    private final Buffer values;

    private RowSparse(Backend backend, int rows, int cols, int[] ids, Buffer values) {
        this.backend = backend;
        this.rows = rows;
        this.cols = cols;
        this.ids = ids;
        this.values = values;
    }

    /**
     * The gradient {@code scatterAddRows(src, ids, rows)} would give, as touched rows: row ids[r]
     * gets src[r, :], duplicates adding up in r's order.
     */
    public static RowSparse scatter(Tensor src, Indices ids, int rows) {
        if (src.rank() != 2 || src.dim(0) != ids.length())
            throw new ShapeException("row-sparse scatter: source must be [" + ids.length() + ", cols] for " + ids.length()
                    + " indices, got " + src.shapeString());
        int bad = ids.firstOutOfRange(rows);
        if (bad >= 0)
            throw new IndexOutOfBoundsException("row-sparse scatter: index " + ids.get(bad) + " at position " + bad
                    + " is out of range for " + rows + " rows");
        int n = ids.length(), cols = src.dim(1);
        int[] id = ids.array(), unique, at = new int[n]; // row r of src goes to row at[r] of the block
        if (rows <= 8L * n) {
            // a slot per table row: O(n + rows), where sorting and a binary search per index took
            // half the host time of a 1,024-task meta-step (61,440 actor ids into 8,030 rows); a
            // table much larger than the ids (one task's 20 rows into 3,402 zip codes) sorts them
            int[] slot = new int[rows];
            for (int r = 0; r < n; r++) slot[id[r]] = 1;
            int k = 0;
            for (int row = 0; row < rows; row++) if (slot[row] != 0) slot[row] = ++k;
            unique = new int[k];
            for (int row = 0; row < rows; row++) if (slot[row] != 0) unique[slot[row] - 1] = row;
            for (int r = 0; r < n; r++) at[r] = slot[id[r]] - 1;
        } else {
            int[] sorted = id.clone();
            Arrays.sort(sorted);
            int k = 0;
            for (int i = 0; i < n; i++) if (k == 0 || sorted[i] != sorted[k - 1]) sorted[k++] = sorted[i];
            unique = Arrays.copyOf(sorted, k);
            for (int r = 0; r < n; r++) at[r] = Arrays.binarySearch(unique, id[r]);
        }
        int k = unique.length;
        Backend be = src.backend();
        Buffer out = be.zeros(k * cols);
        if (n > 0 && cols > 0) be.scatterAddRows(src.buffer(), cols, Indices.wrap(at), out);
        return new RowSparse(be, rows, cols, unique, out);
    }

    /** this + o (same shape): the union of the rows, each element added as the dense sum adds it (see the class note). */
    public RowSparse plus(RowSparse o) {
        if (o.rows != rows || o.cols != cols)
            throw new ShapeException("row-sparse add: [" + rows + ", " + cols + "] + [" + o.rows + ", " + o.cols + "]");
        int[] union = new int[ids.length + o.ids.length], a = new int[ids.length], b = new int[o.ids.length];
        int i = 0, j = 0, u = 0;
        while (i < ids.length || j < o.ids.length) {
            int next = j == o.ids.length || (i < ids.length && ids[i] <= o.ids[j]) ? ids[i] : o.ids[j];
            if (i < ids.length && ids[i] == next) a[i++] = u;
            if (j < o.ids.length && o.ids[j] == next) b[j++] = u;
            union[u++] = next;
        }
        Buffer out = backend.zeros(u * cols);
        if (cols > 0) {
            if (a.length > 0) backend.scatterAddRows(values, cols, Indices.wrap(a), out);
            if (b.length > 0) backend.scatterAddRows(o.values, cols, Indices.wrap(b), out);
        }
        return new RowSparse(backend, rows, cols, Arrays.copyOf(union, u), out);
    }

    @Override public RowSparse scale(float c) {
        try (var off = GradMode.disabled()) {
            Tensor v = block().mul(c); // the dense path's kernel on the touched elements; 0 · c = 0 elsewhere
            return v.buffer() == values ? this : new RowSparse(backend, rows, cols, ids, v.buffer());
        }
    }

    /** The dense [rows, cols] tensor: gathered from the values and one zero row, an exact copy (−0 stays −0). */
    @Override public Tensor toDense() {
        int k = ids.length;
        Buffer padded = backend.zeros((k + 1) * cols);
        if (k * cols > 0) backend.copy2d(values, 0, k * cols, padded, 0, k * cols, 1, k * cols);
        int[] from = new int[rows];
        Arrays.fill(from, k);
        for (int j = 0; j < k; j++) from[ids[j]] = j;
        Buffer out = backend.allocate(rows * cols);
        if (rows * cols > 0) backend.gatherRows(padded, cols, Indices.wrap(from), out);
        backend.release(padded);
        return Tensor.wrap(backend, out, rows, cols);
    }

    @Override public Tensor sum() {
        try (var off = GradMode.disabled()) {
            return ids.length == 0 ? Tensor.zeros(backend) : block().sum();
        }
    }

    @Override public int[] shape() { return new int[] {rows, cols}; }

    /** The touched rows, ascending and distinct. */
    public Indices rowIds() { return Indices.wrap(ids.clone()); }

    /** The touched rows' values, [k, cols] in the order of {@link #rowIds}. */
    public Tensor block() { return Tensor.wrap(backend, values, ids.length, cols); }

    /** Number of touched rows. */
    public int touched() { return ids.length; }

    public Backend backend() { return backend; }

    /** Frees the values now (the caller guarantees nothing reads this again). */
    public void release() { backend.release(values); }

    @Override public String toString() {
        return "RowSparse[" + rows + ", " + cols + "] rows " + Indices.wrap(ids);
    }
}
