package io.metarec.autograd;

import io.metarec.backend.Backend;
import io.metarec.backend.Buffer;
import io.metarec.backend.Reduce;
import io.metarec.backend.ShapeException;
import io.metarec.backend.Shapes;

import java.util.Arrays;

/** Sums, means and maxima over all elements or one axis, and {@link #sumTo} (the adjoint of broadcasting). */
public final class Reductions {
    private Reductions() {}

    private record Axis(int axis, boolean keepDim) {}

    // d sum_axis(x) = g broadcast back along the axis
    static final Op SUM = Op.define("sum", (g, n) -> {
        Tensor x = n.input(0);
        return new Tensor[] {ShapeOps.expand(ShapeOps.reshape(g, keptShape(x.shapeRef(), n.<Axis>attrs())), x.shapeRef())};
    });
    // d max_axis(x): the gradient goes to the maxima, split evenly between ties (as torch.amax)
    static final Op MAX = Op.define("max", (g, n) -> {
        Tensor x = n.input(0);
        Axis a = n.attrs();
        int[] kept = keptShape(x.shapeRef(), a);
        Tensor mask = Elementwise.equal(x, ShapeOps.reshape(n.output(), kept).detach());
        Tensor ties = sum(mask, a.axis, true);
        Tensor share = Elementwise.div(ShapeOps.reshape(g, kept), ties);
        return new Tensor[] {Elementwise.mul(mask, share)};
    });

    /** Sum of all elements (rank 0). */
    public static Tensor sum(Tensor x) {
        return ShapeOps.reshape(sum(ShapeOps.reshape(x, x.size()), 0, false));
    }

    /** Mean of all elements (rank 0). */
    public static Tensor mean(Tensor x) {
        if (x.size() == 0) throw new ShapeException("mean: empty tensor " + x.shapeString());
        return Elementwise.affine(sum(x), 1f / x.size(), 0f);
    }

    public static Tensor sum(Tensor x, int axis, boolean keepDim) {
        return reduce(SUM, Reduce.SUM, x, axis, keepDim);
    }

    public static Tensor mean(Tensor x, int axis, boolean keepDim) {
        int ax = normalize("mean", x, axis);
        if (x.dim(ax) == 0) throw new ShapeException("mean: axis " + axis + " of " + x.shapeString() + " is empty");
        return Elementwise.affine(sum(x, ax, keepDim), 1f / x.dim(ax), 0f);
    }

    /** Maximum along an axis (for stable softmax); the gradient is split between ties. */
    public static Tensor max(Tensor x, int axis, boolean keepDim) {
        if (x.dim(normalize("max", x, axis)) == 0) throw new ShapeException("max: axis " + axis + " of " + x.shapeString() + " is empty");
        return reduce(MAX, Reduce.MAX, x, axis, keepDim);
    }

    /**
     * Sums {@code g} down to {@code shape} (the shape of an operand broadcast up to g's shape): over
     * leading dimensions g has in excess, and over dimensions where {@code shape} has 1.
     */
    public static Tensor sumTo(Tensor g, int[] shape) {
        int[] gs = g.shapeRef();
        if (Arrays.equals(gs, shape)) return g;
        int lead = gs.length - shape.length;
        if (lead < 0) throw new ShapeException("sumTo: cannot reduce " + g.shapeString() + " to " + Shapes.str(shape));
        // Fast path, e.g. a bias: shape is a suffix of g's shape, so one reduction over the leading block.
        if (Arrays.equals(Arrays.copyOfRange(gs, lead, gs.length), shape)) {
            int inner = Shapes.size(shape);
            return ShapeOps.reshape(sum(ShapeOps.reshape(g, g.size() / Math.max(inner, 1), inner), 0, false), shape);
        }
        Tensor t = g;
        for (int i = 0; i < lead; i++) t = sum(t, 0, false);
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 1 && t.dim(i) != 1) t = sum(t, i, true);
            else if (shape[i] != t.dim(i))
                throw new ShapeException("sumTo: cannot reduce " + g.shapeString() + " to " + Shapes.str(shape));
        }
        return t;
    }

    static int normalize(String op, Tensor x, int axis) {
        int r = x.rank();
        int a = axis < 0 ? axis + r : axis;
        if (a < 0 || a >= r) throw new ShapeException(op + ": axis " + axis + " is out of range for shape " + x.shapeString());
        return a;
    }

    private static int[] keptShape(int[] shape, Axis a) {
        int[] k = shape.clone();
        k[a.axis] = 1;
        return k;
    }

    private static Tensor reduce(Op op, Reduce kernel, Tensor x, int axis, boolean keepDim) {
        int ax = normalize(op.name, x, axis);
        int[] s = x.shapeRef();
        int outer = Shapes.prod(s, 0, ax), n = s[ax], inner = Shapes.prod(s, ax + 1, s.length);
        int[] outShape;
        if (keepDim) {
            outShape = s.clone();
            outShape[ax] = 1;
        } else {
            outShape = new int[s.length - 1];
            for (int i = 0, j = 0; i < s.length; i++) if (i != ax) outShape[j++] = s[i];
        }
        Backend be = x.backend();
        Buffer out = be.allocate(outer * inner);
        be.reduce(kernel, x.buffer(), out, outer, n, inner);
        return Tensor.result(be, outShape, out, op, new Axis(ax, keepDim), x);
    }
}
