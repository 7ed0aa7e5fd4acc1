package io.metarec.autograd;

import io.metarec.backend.Backend;
import io.metarec.backend.Binary;
import io.metarec.backend.Broadcast;
import io.metarec.backend.Buffer;
import io.metarec.backend.Reduce;
import io.metarec.backend.ShapeException;
import io.metarec.backend.Unary;

/**
 * Elementwise ops and their derivative rules, each written in Tensor ops (so they differentiate again).
 * Binary ops broadcast NumPy-style; their rules reduce the gradient back with {@link Reductions#sumTo}.
 */
public final class Elementwise {
    private Elementwise() {}

    /** Whether log/sqrt/pow check their inputs for NaN-producing values (on by default). */
    public static volatile boolean checkDomains = !"false".equals(System.getProperty("metarec.checkDomains"));

    // ---- unary ---------------------------------------------------------------------------------
    static final Op NEG = Op.define("neg", (g, n) -> new Tensor[] {neg(g)});
    static final Op EXP = Op.define("exp", (g, n) -> new Tensor[] {mul(g, n.output())});
    static final Op LOG = Op.define("log", (g, n) -> new Tensor[] {div(g, n.input(0))});
    // d sqrt(x) = 1 / (2 sqrt(x))
    static final Op SQRT = Op.define("sqrt", (g, n) -> new Tensor[] {affine(div(g, n.output()), 0.5f, 0f)});
    static final Op SQUARE = Op.define("square", (g, n) -> new Tensor[] {affine(mul(g, n.input(0)), 2f, 0f)});
    static final Op POW = Op.define("pow", (g, n) -> {
        float p = n.<Float>attrs();
        return new Tensor[] {mul(g, affine(pow(n.input(0), p - 1f), p, 0f))};
    });
    static final Op RECIPROCAL = Op.define("reciprocal", (g, n) -> new Tensor[] {neg(mul(g, square(n.output())))});
    static final Op ABS = Op.define("abs", (g, n) -> new Tensor[] {mul(g, sign(n.input(0)))});
    static final Op AFFINE = Op.define("affine", (g, n) -> new Tensor[] {affine(g, n.<float[]>attrs()[0], 0f)});
    static final Op RELU = Op.define("relu", (g, n) -> new Tensor[] {reluGrad(g, n.input(0))});
    static final Op LEAKY_RELU = Op.define("leaky_relu", (g, n) -> new Tensor[] {mul(g, step(n.input(0), n.<Float>attrs()))});
    static final Op SIGMOID = Op.define("sigmoid", (g, n) -> new Tensor[] {sigmoidGrad(g, n.output())});
    static final Op TANH = Op.define("tanh", (g, n) -> new Tensor[] {tanhGrad(g, n.output())});
    // d softplus(x) = sigmoid(x)
    static final Op SOFTPLUS = Op.define("softplus", (g, n) -> new Tensor[] {mul(g, sigmoid(n.input(0)))});
    static final Op CLAMP = Op.define("clamp", (g, n) -> {
        float[] b = n.attrs();
        return new Tensor[] {mul(g, inRange(n.input(0), b[0], b[1]))};
    });

    // ---- fused backward kernels, ops in their own right (double backward goes through them) -----
    // reluGrad(g, x) = g·[x > 0]: linear in g, piecewise constant in x.
    static final Op RELU_GRAD = Op.define("relu_grad", (gg, n) -> new Tensor[] {reluGrad(gg, n.input(1)), null});
    // sigmoidGrad(g, y) = g·y·(1 − y): ∂/∂g = y(1 − y), ∂/∂y = g(1 − 2y)
    static final Op SIGMOID_GRAD = Op.define("sigmoid_grad", (gg, n) -> new Tensor[] {
            n.needs(0) ? sigmoidGrad(gg, n.input(1)) : null,
            n.needs(1) ? mul(mul(gg, n.input(0)), affine(n.input(1), -2f, 1f)) : null});
    // tanhGrad(g, y) = g·(1 − y²): ∂/∂g = 1 − y², ∂/∂y = −2gy
    static final Op TANH_GRAD = Op.define("tanh_grad", (gg, n) -> new Tensor[] {
            n.needs(0) ? tanhGrad(gg, n.input(1)) : null,
            n.needs(1) ? affine(mul(mul(gg, n.input(0)), n.input(1)), -2f, 0f) : null});

    // ---- binary (broadcasting) -----------------------------------------------------------------
    static final Op ADD = Op.define("add", (g, n) -> new Tensor[] {
            n.needs(0) ? Reductions.sumTo(g, n.input(0).shapeRef()) : null,
            n.needs(1) ? Reductions.sumTo(g, n.input(1).shapeRef()) : null});
    static final Op SUB = Op.define("sub", (g, n) -> new Tensor[] {
            n.needs(0) ? Reductions.sumTo(g, n.input(0).shapeRef()) : null,
            n.needs(1) ? Reductions.sumTo(neg(g), n.input(1).shapeRef()) : null});
    static final Op MUL = Op.define("mul", (g, n) -> new Tensor[] {
            n.needs(0) ? Reductions.sumTo(mul(g, n.input(1)), n.input(0).shapeRef()) : null,
            n.needs(1) ? Reductions.sumTo(mul(g, n.input(0)), n.input(1).shapeRef()) : null});
    // d(a/b) = g/b, −g·a/b² = −g·(a/b)/b
    static final Op DIV = Op.define("div", (g, n) -> new Tensor[] {
            n.needs(0) ? Reductions.sumTo(div(g, n.input(1)), n.input(0).shapeRef()) : null,
            n.needs(1) ? Reductions.sumTo(neg(div(mul(g, n.output()), n.input(1))), n.input(1).shapeRef()) : null});
    static final Op WHERE = Op.define("where", (g, n) -> {
        Tensor c = n.input(0), zero = Tensor.zeros(g.backend(), g.shapeRef());
        return new Tensor[] {null, n.needs(1) ? where(c, g, zero) : null, n.needs(2) ? where(c, zero, g) : null};
    });

    // ---- piecewise-constant ops: masks and comparisons (zero derivative, no graph) -------------
    static final Op STEP = Op.constant("step");
    static final Op SIGN = Op.constant("sign");
    static final Op IN_RANGE = Op.constant("in_range");
    static final Op GREATER = Op.constant("greater");
    static final Op EQUAL = Op.constant("equal");

    // ---- forward ---------------------------------------------------------------------------------

    public static Tensor neg(Tensor x) { return unary(NEG, Unary.NEG, x, 0, 0, null); }
    public static Tensor exp(Tensor x) { return unary(EXP, Unary.EXP, x, 0, 0, null); }

    /** Natural log. NOTE: log(0) = −inf is allowed; a negative input is a NaN-producing domain error. */
    public static Tensor log(Tensor x) {
        checkNonNegative("log", x);
        return unary(LOG, Unary.LOG, x, 0, 0, null);
    }

    public static Tensor sqrt(Tensor x) {
        checkNonNegative("sqrt", x);
        return unary(SQRT, Unary.SQRT, x, 0, 0, null);
    }

    public static Tensor square(Tensor x) { return unary(SQUARE, Unary.SQUARE, x, 0, 0, null); }

    /** x^p for a scalar p; a negative base with a non-integer p is a domain error. */
    public static Tensor pow(Tensor x, float p) {
        if (p != Math.rint(p)) checkNonNegative("pow(x, " + p + ")", x);
        return unary(POW, Unary.POW, x, p, 0, p);
    }

    public static Tensor reciprocal(Tensor x) { return unary(RECIPROCAL, Unary.RECIPROCAL, x, 0, 0, null); }
    public static Tensor abs(Tensor x) { return unary(ABS, Unary.ABS, x, 0, 0, null); }

    /** scale·x + shift for scalars (also the scalar forms of add/sub/mul/div). */
    public static Tensor affine(Tensor x, float scale, float shift) {
        if (scale == 1f && shift == 0f) return x;
        return unary(AFFINE, Unary.AFFINE, x, scale, shift, new float[] {scale, shift});
    }

    public static Tensor relu(Tensor x) { return unary(RELU, Unary.RELU, x, 0, 0, null); }
    public static Tensor leakyRelu(Tensor x, float slope) { return unary(LEAKY_RELU, Unary.LEAKY_RELU, x, slope, 0, slope); }
    public static Tensor sigmoid(Tensor x) { return unary(SIGMOID, Unary.SIGMOID, x, 0, 0, null); }
    public static Tensor tanh(Tensor x) { return unary(TANH, Unary.TANH, x, 0, 0, null); }
    public static Tensor softplus(Tensor x) { return unary(SOFTPLUS, Unary.SOFTPLUS, x, 0, 0, null); }

    public static Tensor clamp(Tensor x, float lo, float hi) {
        if (!(lo <= hi)) throw new ShapeException("clamp: lower bound " + lo + " exceeds upper bound " + hi);
        return unary(CLAMP, Unary.CLAMP, x, lo, hi, new float[] {lo, hi});
    }

    /** 1 where x &gt; 0, else {@code below} (constant). */
    public static Tensor step(Tensor x, float below) { return unary(STEP, Unary.STEP, x, below, 0, null); }
    public static Tensor sign(Tensor x) { return unary(SIGN, Unary.SIGN, x, 0, 0, null); }
    public static Tensor inRange(Tensor x, float lo, float hi) { return unary(IN_RANGE, Unary.IN_RANGE, x, lo, hi, null); }

    public static Tensor add(Tensor a, Tensor b) { return binary(ADD, Binary.ADD, a, b); }
    public static Tensor sub(Tensor a, Tensor b) { return binary(SUB, Binary.SUB, a, b); }
    public static Tensor mul(Tensor a, Tensor b) { return binary(MUL, Binary.MUL, a, b); }
    public static Tensor div(Tensor a, Tensor b) { return binary(DIV, Binary.DIV, a, b); }
    /** 1 where a &gt; b, else 0 (constant). */
    public static Tensor greater(Tensor a, Tensor b) { return binary(GREATER, Binary.GT, a, b); }
    /** 1 where a == b, else 0 (constant). */
    public static Tensor equal(Tensor a, Tensor b) { return binary(EQUAL, Binary.EQ, a, b); }

    /** Fused relu backward: g where x &gt; 0, else 0. */
    public static Tensor reluGrad(Tensor g, Tensor x) { return sameShape(RELU_GRAD, Binary.RELU_GRAD, g, x); }
    /** Fused sigmoid backward: g·y·(1 − y) for y = sigmoid(x). */
    public static Tensor sigmoidGrad(Tensor g, Tensor y) { return sameShape(SIGMOID_GRAD, Binary.SIGMOID_GRAD, g, y); }
    /** Fused tanh backward: g·(1 − y²) for y = tanh(x). */
    public static Tensor tanhGrad(Tensor g, Tensor y) { return sameShape(TANH_GRAD, Binary.TANH_GRAD, g, y); }

    /** cond ≠ 0 ? a : b, elementwise; all three of one shape. The gradient flows to the chosen side only. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        if (!java.util.Arrays.equals(cond.shapeRef(), a.shapeRef()) || !java.util.Arrays.equals(a.shapeRef(), b.shapeRef()))
            throw new ShapeException("where: condition " + cond.shapeString() + ", a " + a.shapeString() + " and b "
                    + b.shapeString() + " must have one shape (expand them first)");
        Backend be = a.backend();
        Buffer out = be.allocate(a.size());
        be.where(cond.buffer(), a.buffer(), b.buffer(), out);
        return Tensor.result(be, a.shapeRef(), out, WHERE, null, cond.detach(), a, b);
    }

    // ---- plumbing --------------------------------------------------------------------------------

    static Tensor unary(Op op, Unary kernel, Tensor x, float p1, float p2, Object attrs) {
        Backend be = x.backend();
        Buffer out = be.allocate(x.size());
        be.unary(kernel, x.buffer(), out, p1, p2);
        return Tensor.result(be, x.shapeRef(), out, op, attrs, x);
    }

    static Tensor binary(Op op, Binary kernel, Tensor a, Tensor b) {
        Backend be = a.backend();
        Broadcast plan = Broadcast.of(op.name, a.shapeRef(), b.shapeRef());
        Buffer out = be.allocate(plan.size);
        be.binary(kernel, a.buffer(), b.buffer(), out, plan);
        return Tensor.result(be, plan.outShape, out, op, null, a, b);
    }

    private static Tensor sameShape(Op op, Binary kernel, Tensor a, Tensor b) {
        if (!java.util.Arrays.equals(a.shapeRef(), b.shapeRef()))
            throw new ShapeException(op.name + ": shapes " + a.shapeString() + " and " + b.shapeString() + " must match");
        return binary(op, kernel, a, b);
    }

    private static void checkNonNegative(String op, Tensor x) {
        if (!checkDomains || x.size() == 0) return;
        Backend be = x.backend();
        Buffer min = be.allocate(1);
        be.reduce(Reduce.MIN, x.buffer(), min, 1, x.size(), 1);
        if (!(be.download(min)[0] < 0f)) return; // also passes NaN through: not a domain error of this op
        float[] v = x.toArray();
        int i = 0;
        while (!(v[i] < 0f)) i++;
        throw new ArithmeticException(op + ": input of shape " + x.shapeString() + " has negative value " + v[i]
                + " at flat index " + i + ", which gives NaN (set -Dmetarec.checkDomains=false to allow it)");
    }
}
