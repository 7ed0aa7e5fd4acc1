package io.metarec.autograd;

import io.metarec.backend.Backend;
import io.metarec.backend.Backends;
import io.metarec.backend.Buffer;
import io.metarec.backend.Indices;
import io.metarec.backend.ShapeException;
import io.metarec.backend.Shapes;

import java.util.Arrays;

/**
 * An immutable float32 array of rank 0 to 4, row-major, living on one {@link Backend}.
 * A tensor computed from tensors that need gradients carries the {@link Node} that made it; a leaf
 * made with {@link #requiringGrad()} is a variable that {@link Autograd#grad} can differentiate by.
 *
 * <p>Ops are defined once, with their derivative rules, in the op families ({@link Elementwise},
 * {@link Reductions}, {@link Linalg}, {@link ShapeOps}, {@link Indexing}, {@link Functional}); the
 * instance methods here are shorthands for them.
 */
public final class Tensor {
    private final int[] shape;
    private final int size;
    private final Buffer buffer;
    private final Backend backend;
    private final Node node;
    private final boolean leafRequiresGrad;
    /**
     * For a small constant uploaded from host data to a backend whose memory is not the host's (a
     * GPU): those values, so that joining many such constants (a meta-batch's targets, one small
     * tensor per task) is one upload instead of one device copy per part. Null otherwise: large
     * uploads (parameters, catalogues) gain nothing from it and would double their host memory.
     */
    private final float[] hostValues;
    /** The largest constant whose host values are kept (floats). */
    private static final int HOST_VALUES_MAX = 4096;

    private Tensor(Backend backend, int[] shape, Buffer buffer, Node node, boolean leafRequiresGrad) {
        this(backend, shape, buffer, node, leafRequiresGrad, null);
    }

    private Tensor(Backend backend, int[] shape, Buffer buffer, Node node, boolean leafRequiresGrad, float[] hostValues) {
        if (shape.length > 4) throw new ShapeException("tensors have rank 0 to 4, got shape " + Shapes.str(shape));
        this.backend = backend;
        this.shape = shape;
        this.size = Shapes.size(shape);
        if (buffer.length() != size)
            throw new ShapeException("buffer of " + buffer.length() + " floats cannot hold shape " + Shapes.str(shape));
        this.buffer = buffer;
        this.node = node;
        this.leafRequiresGrad = leafRequiresGrad;
        this.hostValues = hostValues;
        if (node != null) node.output = this;
    }

    // ---- construction ---------------------------------------------------------------------------

    /** A constant on the default backend holding a copy of {@code data}. */
    public static Tensor of(float[] data, int... shape) {
        return of(Backends.current(), data, shape);
    }

    public static Tensor of(Backend backend, float[] data, int... shape) {
        if (data.length != Shapes.size(shape))
            throw new ShapeException(data.length + " values do not fill shape " + Shapes.str(shape));
        return new Tensor(backend, shape.clone(), backend.upload(data), null, false, backend.hostResident() || data.length > HOST_VALUES_MAX ? null : data.clone());
    }

    /** The values of a small constant made by {@link #of} on a device backend, else null (see {@link #hostValues}); not to be written. */
    float[] hostValues() { return hostValues; }

    /** A rank-0 constant. */
    public static Tensor scalar(float value) {
        return of(new float[] {value});
    }

    public static Tensor zeros(int... shape) {
        return zeros(Backends.current(), shape);
    }

    public static Tensor zeros(Backend backend, int... shape) {
        return new Tensor(backend, shape.clone(), backend.zeros(Shapes.size(shape)), null, false);
    }

    public static Tensor full(float value, int... shape) {
        return full(Backends.current(), value, shape);
    }

    public static Tensor full(Backend be, float value, int... shape) {
        Buffer b = be.allocate(Shapes.size(shape));
        be.fill(b, value);
        return new Tensor(be, shape.clone(), b, null, false);
    }

    public static Tensor ones(int... shape) {
        return full(1f, shape);
    }

    /** The k × k identity matrix on a backend. */
    public static Tensor eye(Backend backend, int k) {
        float[] e = new float[k * k];
        for (int i = 0; i < k; i++) e[i * k + i] = 1f;
        return of(backend, e, k, k);
    }

    /** Wraps a buffer a kernel just wrote; records the graph node when an input needs gradients. */
    static Tensor result(Backend backend, int[] shape, Buffer buffer, Op op, Object attrs, Tensor... inputs) {
        Node node = null;
        if (op.differentiable && GradMode.isEnabled()) {
            for (Tensor t : inputs) {
                if (t.requiresGrad()) {
                    node = new Node(op, inputs, attrs);
                    break;
                }
            }
        }
        return new Tensor(backend, shape, buffer, node, false);
    }

    /** A constant with a buffer produced outside the graph (optimizer updates, data). */
    public static Tensor wrap(Backend backend, Buffer buffer, int... shape) {
        return new Tensor(backend, shape.clone(), buffer, null, false);
    }

    // ---- identity -------------------------------------------------------------------------------

    /** The same values as a leaf variable: gradients can be taken with respect to it. */
    public Tensor requiringGrad() {
        return new Tensor(backend, shape, buffer, null, true);
    }

    /** The same values with no history and no gradient requirement. */
    public Tensor detach() {
        return node == null && !leafRequiresGrad ? this : new Tensor(backend, shape, buffer, null, false);
    }

    /** True for a variable leaf and for anything computed from one while recording. */
    public boolean requiresGrad() {
        return leafRequiresGrad || node != null;
    }

    /** The node that produced this tensor, or null for a leaf or constant. */
    public Node node() { return node; }

    public Backend backend() { return backend; }

    public Buffer buffer() { return buffer; }

    /** Copy to another backend (a constant: the copy has no history). */
    public Tensor to(Backend target) {
        if (target == backend) return this;
        return new Tensor(target, shape, target.upload(backend.download(buffer)), null, false);
    }

    // ---- shape ----------------------------------------------------------------------------------

    public int[] shape() { return shape.clone(); }

    int[] shapeRef() { return shape; }

    public int rank() { return shape.length; }

    /** Size of dimension i; negative i counts from the end. */
    public int dim(int i) { return shape[i < 0 ? shape.length + i : i]; }

    public int size() { return size; }

    public String shapeString() { return Shapes.str(shape); }

    // ---- values ---------------------------------------------------------------------------------

    /** A host copy of the values, row-major. */
    public float[] toArray() { return backend.download(buffer); }

    /** The single value of a one-element tensor. */
    public float item() {
        if (size != 1) throw new ShapeException("item() needs a one-element tensor, got shape " + Shapes.str(shape));
        return toArray()[0];
    }

    // ---- shorthands for the op families ---------------------------------------------------------

    public Tensor add(Tensor b) { return Elementwise.add(this, b); }
    public Tensor sub(Tensor b) { return Elementwise.sub(this, b); }
    public Tensor mul(Tensor b) { return Elementwise.mul(this, b); }
    public Tensor div(Tensor b) { return Elementwise.div(this, b); }
    public Tensor add(float c) { return Elementwise.affine(this, 1f, c); }
    public Tensor sub(float c) { return Elementwise.affine(this, 1f, -c); }
    public Tensor mul(float c) { return Elementwise.affine(this, c, 0f); }
    public Tensor div(float c) { return Elementwise.affine(this, 1f / c, 0f); }
    public Tensor neg() { return Elementwise.neg(this); }
    public Tensor exp() { return Elementwise.exp(this); }
    public Tensor log() { return Elementwise.log(this); }
    public Tensor sqrt() { return Elementwise.sqrt(this); }
    public Tensor square() { return Elementwise.square(this); }
    public Tensor pow(float p) { return Elementwise.pow(this, p); }
    public Tensor abs() { return Elementwise.abs(this); }
    public Tensor relu() { return Elementwise.relu(this); }
    public Tensor leakyRelu(float slope) { return Elementwise.leakyRelu(this, slope); }
    public Tensor sigmoid() { return Elementwise.sigmoid(this); }
    public Tensor tanh() { return Elementwise.tanh(this); }
    public Tensor softplus() { return Elementwise.softplus(this); }
    public Tensor clamp(float lo, float hi) { return Elementwise.clamp(this, lo, hi); }

    public Tensor sum() { return Reductions.sum(this); }
    public Tensor sum(int axis, boolean keepDim) { return Reductions.sum(this, axis, keepDim); }
    public Tensor mean() { return Reductions.mean(this); }
    public Tensor mean(int axis, boolean keepDim) { return Reductions.mean(this, axis, keepDim); }
    public Tensor max(int axis, boolean keepDim) { return Reductions.max(this, axis, keepDim); }

    public Tensor matmul(Tensor b) { return Linalg.matmul(this, b); }
    public Tensor reshape(int... newShape) { return ShapeOps.reshape(this, newShape); }
    public Tensor transpose() { return ShapeOps.transpose(this); }
    public Tensor expand(int... target) { return ShapeOps.expand(this, target); }
    public Tensor slice(int axis, int from, int to) { return ShapeOps.slice(this, axis, from, to); }
    public Tensor gatherRows(Indices rows) { return Indexing.gatherRows(this, rows); }

    @Override public String toString() {
        float[] v = toArray();
        String values = v.length <= 8 ? Arrays.toString(v) : Arrays.toString(Arrays.copyOf(v, 8)).replace("]", ", …]");
        return "Tensor" + Shapes.str(shape) + (requiresGrad() ? "(grad)" : "") + " " + values;
    }
}
