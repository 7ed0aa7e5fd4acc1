package io.metarec.backend;

/**
 * The optional fused optimizer kernels of {@link Backend}: their coefficients, their results, and
 * their reference implementation from primitive kernels (the {@code Backend} defaults). The
 * reference mirrors the tensor arithmetic {@code io.metarec.optim.Adam} / {@code Sgd} used before
 * the kernels existed, op for op, so a fused kernel that follows it gives the same bits.
 */
public final class Fused {
    private Fused() {}

    /**
     * Adam step t (from 1): m' = β1·m + (1−β1)·g', v' = β2·v + (1−β2)·g'², g' = g + wd·p,
     * p' = p − stepSize · m' / (√(invBias2 · v') + ε) with stepSize = lr / (1 − β1ᵗ) and
     * invBias2 = 1 / (1 − β2ᵗ), all as floats exactly as {@code Adam} computes them.
     */
    public record AdamCoefficients(float beta1, float oneMinusBeta1, float beta2, float oneMinusBeta2, float eps,
                                   float weightDecay, float stepSize, float invBias2) {
        public static AdamCoefficients of(float lr, float beta1, float beta2, float eps, float weightDecay, int step) {
            if (step < 1) throw new IllegalArgumentException("Adam: step counts from 1, got " + step);
            float c1 = (float) (1 - Math.pow(beta1, step)), c2 = (float) (1 - Math.pow(beta2, step));
            return new AdamCoefficients(beta1, 1 - beta1, beta2, 1 - beta2, eps, weightDecay, lr / c1, 1f / c2);
        }
    }

    /** New parameter values and moments (fresh buffers, never aliases of the inputs). */
    public record AdamResult(Buffer param, Buffer m, Buffer v) {}

    /** p' = p − lr·b' with b' = μ·b + g' (or g' itself when μ = 0), g' = g + wd·p. */
    public record SgdCoefficients(float lr, float momentum, float weightDecay) {}

    /** New parameter values and momentum buffer (null when μ = 0); fresh buffers. */
    public record SgdResult(Buffer param, Buffer momentum) {}

    /** {@link Backend#withRows} into {@code out}: base and block laid end to end, then one gather of every row. */
    public static void withRowsInto(Backend be, Buffer base, int cols, Indices rows, Buffer block, Buffer out) {
        int n = base.length(), k = rows.length(), tableRows = cols == 0 ? 0 : n / cols;
        if (n == 0) return;
        Buffer both = be.allocate(n + k * cols);
        be.copy2d(base, 0, n, both, 0, n, 1, n);
        if (k * cols > 0) be.copy2d(block, 0, k * cols, both, n, k * cols, 1, k * cols);
        int[] from = new int[tableRows];
        for (int i = 0; i < tableRows; i++) from[i] = i;
        for (int j = 0; j < k; j++) from[rows.get(j)] = tableRows + j;
        be.gatherRows(both, cols, Indices.wrap(from), out);
        be.release(both);
    }

    /** {@link Backend#adamStep} from primitive kernels; {@code m}, {@code v} null on the first step. */
    public static AdamResult adamByPrimitives(Backend be, Buffer param, Buffer grad, Buffer m, Buffer v, AdamCoefficients c) {
        Ops o = new Ops(be, param.length());
        Buffer g = grad;
        if (c.weightDecay() > 0) g = o.binary(Binary.ADD, g, o.affine(param, c.weightDecay(), 0f));
        Buffer gm = o.affine(g, c.oneMinusBeta1(), 0f);
        Buffer gv = o.affine(o.unary(Unary.SQUARE, g), c.oneMinusBeta2(), 0f);
        Buffer mi = m == null ? gm : o.binary(Binary.ADD, o.affine(m, c.beta1(), 0f), gm);
        Buffer vi = v == null ? gv : o.binary(Binary.ADD, o.affine(v, c.beta2(), 0f), gv);
        Buffer denom = o.affine(o.unary(Unary.SQRT, o.affine(vi, c.invBias2(), 0f)), 1f, c.eps());
        Buffer p = o.binary(Binary.SUB, param, o.affine(o.binary(Binary.DIV, mi, denom), c.stepSize(), 0f));
        return new AdamResult(p, o.fresh(mi, grad, m), o.fresh(vi, grad, v));
    }

    /** {@link Backend#sgdStep} from primitive kernels; {@code buffer} null on the first step. */
    public static SgdResult sgdByPrimitives(Backend be, Buffer param, Buffer grad, Buffer buffer, SgdCoefficients c) {
        Ops o = new Ops(be, param.length());
        Buffer g = grad;
        if (c.weightDecay() > 0) g = o.binary(Binary.ADD, g, o.affine(param, c.weightDecay(), 0f));
        Buffer b = null;
        if (c.momentum() > 0) {
            g = buffer == null ? g : o.binary(Binary.ADD, o.affine(buffer, c.momentum(), 0f), g);
            b = o.fresh(g, grad, buffer);
        }
        Buffer p = o.binary(Binary.SUB, param, o.affine(g, c.lr(), 0f));
        return new SgdResult(p, b);
    }

    /** Elementwise primitives over buffers of one length, with Elementwise.affine's identity shortcut. */
    private record Ops(Backend be, int n) {
        Buffer unary(Unary op, Buffer x) {
            Buffer out = be.allocate(n);
            be.unary(op, x, out, 0f, 0f);
            return out;
        }

        Buffer affine(Buffer x, float scale, float shift) {
            if (scale == 1f && shift == 0f) return x;
            Buffer out = be.allocate(n);
            be.unary(Unary.AFFINE, x, out, scale, shift);
            return out;
        }

        Buffer binary(Binary op, Buffer a, Buffer b) {
            Buffer out = be.allocate(n);
            be.binary(op, a, b, out, Broadcast.of(op.name(), new int[] {n}, new int[] {n}));
            return out;
        }

        /** x, or a copy of it when an identity shortcut left it aliasing one of the inputs. */
        Buffer fresh(Buffer x, Buffer... inputs) {
            for (Buffer in : inputs) {
                if (in == x) {
                    Buffer copy = be.allocate(n);
                    if (n > 0) be.copy2d(x, 0, n, copy, 0, n, 1, n);
                    return copy;
                }
            }
            return x;
        }
    }
}
