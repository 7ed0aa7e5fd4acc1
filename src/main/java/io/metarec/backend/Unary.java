package io.metarec.backend;

/**
 * Elementwise unary kernels. {@link #apply} is the reference semantics every backend must match
 * (the scalar backend calls it directly); {@code p1}, {@code p2} are the op's scalar parameters.
 */
public enum Unary {
    NEG { public float apply(float x, float p1, float p2) { return -x; } },
    EXP { public float apply(float x, float p1, float p2) { return (float) Math.exp(x); } },
    LOG { public float apply(float x, float p1, float p2) { return (float) Math.log(x); } },
    SQRT { public float apply(float x, float p1, float p2) { return (float) Math.sqrt(x); } },
    ABS { public float apply(float x, float p1, float p2) { return Math.abs(x); } },
    /** -1, 0 or 1 (0 at 0, like torch.sign). */
    SIGN { public float apply(float x, float p1, float p2) { return x > 0 ? 1f : x < 0 ? -1f : 0f; } },
    SQUARE { public float apply(float x, float p1, float p2) { return x * x; } },
    RECIPROCAL { public float apply(float x, float p1, float p2) { return 1f / x; } },
    /** x^p1 for a scalar exponent. */
    POW { public float apply(float x, float p1, float p2) { return (float) Math.pow(x, p1); } },
    /** p1·x + p2 (scale and shift by scalars), as one fused multiply-add: the rounding a vector or GPU fma gives. */
    AFFINE { public float apply(float x, float p1, float p2) { return Math.fma(p1, x, p2); } },
    /** max(x, 0). NOTE: relu(NaN) = NaN (as PyTorch): a NaN must reach the loss to be detected; relu(−0) = +0. */
    RELU { public float apply(float x, float p1, float p2) { return Math.max(x, 0f); } },
    /** x for x > 0, else p1·x. */
    LEAKY_RELU { public float apply(float x, float p1, float p2) { return x > 0 ? x : p1 * x; } },
    /** NOTE: 1 for x > 0, else p1 (0 for relu). At exactly 0 the relu derivative is taken as 0, like PyTorch. */
    STEP { public float apply(float x, float p1, float p2) { return x > 0 ? 1f : p1; } },
    SIGMOID { public float apply(float x, float p1, float p2) { return (float) (1.0 / (1.0 + Math.exp(-x))); } },
    TANH { public float apply(float x, float p1, float p2) { return (float) Math.tanh(x); } },
    /** log(1 + e^x), computed as max(x, 0) + log1p(e^-|x|) so it neither overflows nor loses small values. */
    SOFTPLUS { public float apply(float x, float p1, float p2) { return (float) (Math.max(x, 0.0) + Math.log1p(Math.exp(-Math.abs(x)))); } },
    /** min(max(x, p1), p2). */
    CLAMP { public float apply(float x, float p1, float p2) { return Math.min(Math.max(x, p1), p2); } },
    /** 1 where p1 ≤ x ≤ p2, else 0 (clamp's derivative; inclusive bounds, as PyTorch). */
    IN_RANGE { public float apply(float x, float p1, float p2) { return x >= p1 && x <= p2 ? 1f : 0f; } },
    SIN { public float apply(float x, float p1, float p2) { return (float) Math.sin(x); } },
    COS { public float apply(float x, float p1, float p2) { return (float) Math.cos(x); } };

    public abstract float apply(float x, float p1, float p2);
}
