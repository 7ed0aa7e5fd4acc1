package io.metarec.autograd;

import io.metarec.backend.Backend;
import io.metarec.backend.Broadcast;
import io.metarec.backend.Buffer;
import io.metarec.backend.ShapeException;
import io.metarec.backend.Shapes;

import java.util.Arrays;
import java.util.List;

/** Reshape (a view), transpose, expand, slice / pad and concat. */
public final class ShapeOps {
    private ShapeOps() {}

    private record Cut(int axis, int from, int length, int full) {}

    static final Op RESHAPE = Op.define("reshape", (g, n) -> new Tensor[] {reshape(g, n.input(0).shapeRef())});
    static final Op TRANSPOSE = Op.define("transpose", (g, n) -> new Tensor[] {transpose(g)});
    static final Op EXPAND = Op.define("expand", (g, n) -> new Tensor[] {Reductions.sumTo(g, n.input(0).shapeRef())});
    // slice and pad are each other's adjoint
    static final Op SLICE = Op.define("slice", (g, n) -> {
        Cut c = n.attrs();
        return new Tensor[] {pad(g, c.axis, c.from, c.full)};
    });
    static final Op PAD = Op.define("pad", (g, n) -> {
        Cut c = n.attrs();
        return new Tensor[] {slice(g, c.axis, c.from, c.from + c.length)};
    });
    static final Op CONCAT = Op.define("concat", (g, n) -> {
        int axis = n.<Integer>attrs();
        Tensor[] out = new Tensor[n.arity()];
        for (int i = 0, from = 0; i < n.arity(); i++) {
            int len = n.input(i).dim(axis);
            if (n.needs(i)) out[i] = slice(g, axis, from, from + len);
            from += len;
        }
        return out;
    });

    /** The same buffer under a new shape of equal size; one dimension may be -1 (inferred). */
    public static Tensor reshape(Tensor x, int... shape) {
        int[] s = shape.clone();
        int infer = -1, known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) throw new ShapeException("reshape: more than one -1 in " + Shapes.str(shape));
                infer = i;
            } else known *= s[i];
        }
        if (infer >= 0) {
            if (known == 0 || x.size() % known != 0)
                throw new ShapeException("reshape: cannot reshape " + x.shapeString() + " to " + Shapes.str(shape));
            s[infer] = x.size() / known;
        }
        if (Shapes.size(s) != x.size())
            throw new ShapeException("reshape: cannot reshape " + x.shapeString() + " (" + x.size() + " elements) to " + Shapes.str(shape));
        if (Arrays.equals(s, x.shapeRef())) return x;
        return Tensor.result(x.backend(), s, x.buffer(), RESHAPE, null, x);
    }

    /** Swaps the last two dimensions ([r, c] → [c, r]; [b, r, c] → [b, c, r]). */
    public static Tensor transpose(Tensor x) {
        int r = x.rank();
        if (r < 2) throw new ShapeException("transpose: needs rank 2 or more, got " + x.shapeString());
        int rows = x.dim(r - 2), cols = x.dim(r - 1), batch = x.size() / Math.max(1, rows * cols);
        int[] s = x.shapeRef().clone();
        s[r - 2] = cols;
        s[r - 1] = rows;
        Backend be = x.backend();
        Buffer out = be.allocate(x.size());
        if (x.size() > 0) be.transpose(x.buffer(), out, batch, rows, cols);
        return Tensor.result(be, s, out, TRANSPOSE, null, x);
    }

    /** Broadcasts x to {@code target} (NumPy rules: size-1 or missing leading dimensions repeat). */
    public static Tensor expand(Tensor x, int... target) {
        if (Arrays.equals(x.shapeRef(), target)) return x;
        Broadcast plan = Broadcast.expand("expand", x.shapeRef(), target);
        Backend be = x.backend();
        Buffer out = be.allocate(plan.size);
        be.expand(x.buffer(), out, plan);
        return Tensor.result(be, plan.outShape, out, EXPAND, null, x);
    }

    /**
     * The [1, …] tensor {@code t} was {@link #expand expanded} from along its first axis alone
     * (T equal copies), when the graph recorded it; null otherwise. Lets a batched product whose
     * every entry uses the same operand read that operand once ({@link Linalg#matmul}); sound because
     * a tensor's values never change once made (only gradient accumulators are written in place).
     */
    static Tensor batchBroadcastSource(Tensor t) {
        Node n = t.node();
        if (n == null || n.op != EXPAND) return null;
        Tensor src = n.input(0);
        int[] s = src.shapeRef(), e = t.shapeRef();
        if (s.length != e.length || s[0] != 1) return null;
        for (int i = 1; i < s.length; i++) if (s[i] != e[i]) return null;
        return src;
    }

    /** Elements [from, to) along {@code axis}. */
    public static Tensor slice(Tensor x, int axis, int from, int to) {
        int ax = Reductions.normalize("slice", x, axis);
        int full = x.dim(ax);
        if (from < 0 || to > full || from > to)
            throw new ShapeException("slice: range [" + from + ", " + to + ") is outside axis " + axis + " of " + x.shapeString());
        if (from == 0 && to == full) return x;
        int[] s = x.shapeRef().clone();
        s[ax] = to - from;
        int outer = Shapes.prod(s, 0, ax), inner = Shapes.prod(s, ax + 1, s.length);
        Backend be = x.backend();
        Buffer out = be.allocate(Shapes.size(s));
        if (outer > 0 && inner > 0 && to > from)
            be.copy2d(x.buffer(), from * inner, full * inner, out, 0, (to - from) * inner, outer, (to - from) * inner);
        return Tensor.result(be, s, out, SLICE, new Cut(ax, from, to - from, full), x);
    }

    /** Places x at offset {@code before} along {@code axis} in a zero tensor of length {@code full} there. */
    public static Tensor pad(Tensor x, int axis, int before, int full) {
        int ax = Reductions.normalize("pad", x, axis);
        int len = x.dim(ax);
        if (before < 0 || before + len > full)
            throw new ShapeException("pad: cannot place " + len + " entries at " + before + " in length " + full + " (axis " + axis + ")");
        if (len == full) return x;
        int[] s = x.shapeRef().clone();
        s[ax] = full;
        int outer = Shapes.prod(s, 0, ax), inner = Shapes.prod(s, ax + 1, s.length);
        Backend be = x.backend();
        Buffer out = be.zeros(Shapes.size(s));
        if (outer > 0 && inner > 0 && len > 0)
            be.copy2d(x.buffer(), 0, len * inner, out, before * inner, full * inner, outer, len * inner);
        return Tensor.result(be, s, out, PAD, new Cut(ax, before, len, full), x);
    }

    /**
     * Constants whose host values a device backend kept ({@link Tensor#hostValues}) are joined on
     * the host and uploaded once: on a GPU, one copy kernel per part costs a launch each, and a
     * meta-batch of 1,024 tasks stacks 2,048 small target tensors per step. Same values, no graph.
     */
    private static Tensor concatOnHost(List<Tensor> parts, int ax, int[] s, int outer, int inner) {
        float[] all = new float[Shapes.size(s)];
        int total = s[ax], at = 0;
        for (Tensor p : parts) {
            int len = p.dim(ax) * inner;
            for (int o = 0; o < outer; o++) System.arraycopy(p.hostValues(), o * len, all, (o * total + at) * inner, len);
            at += p.dim(ax);
        }
        return Tensor.of(parts.get(0).backend(), all, s);
    }

    /** Whether every part is a constant of {@code be} with its host values kept. */
    private static boolean allHostValues(List<Tensor> parts, Backend be) {
        for (Tensor p : parts) if (p.hostValues() == null || p.backend() != be) return false;
        return true;
    }

    /** Joins tensors along {@code axis}; all other dimensions must agree. */
    public static Tensor concat(List<Tensor> parts, int axis) {
        if (parts.isEmpty()) throw new ShapeException("concat: no tensors");
        Tensor first = parts.get(0);
        int ax = Reductions.normalize("concat", first, axis);
        int[] s = first.shapeRef().clone();
        int total = 0;
        for (Tensor p : parts) {
            if (p.rank() != s.length) throw new ShapeException("concat: ranks differ: " + first.shapeString() + " vs " + p.shapeString());
            for (int i = 0; i < s.length; i++)
                if (i != ax && p.dim(i) != s[i])
                    throw new ShapeException("concat along axis " + axis + ": shapes " + first.shapeString() + " and "
                            + p.shapeString() + " differ in dimension " + i);
            total += p.dim(ax);
        }
        if (parts.size() == 1) return first;
        s[ax] = total;
        int outer = Shapes.prod(s, 0, ax), inner = Shapes.prod(s, ax + 1, s.length);
        Backend be = first.backend();
        if (!be.hostResident() && allHostValues(parts, be)) return concatOnHost(parts, ax, s, outer, inner);
        Buffer out = be.allocate(Shapes.size(s));
        int at = 0;
        for (Tensor p : parts) {
            int len = p.dim(ax);
            if (outer > 0 && inner > 0 && len > 0)
                be.copy2d(p.buffer(), 0, len * inner, out, at * inner, total * inner, outer, len * inner);
            at += len;
        }
        return Tensor.result(be, s, out, CONCAT, ax, parts.toArray(new Tensor[0]));
    }
}
