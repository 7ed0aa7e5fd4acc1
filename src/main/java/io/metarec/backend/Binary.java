package io.metarec.backend;

/**
 * Elementwise binary kernels (with broadcasting, see {@link Broadcast}). {@link #apply} is the reference
 * semantics. The {@code *_GRAD} entries are fused backward kernels; each is an op with its own
 * derivative rule in the autograd layer, so double backward through them stays correct.
 */
public enum Binary {
    ADD { public float apply(float a, float b) { return a + b; } },
    SUB { public float apply(float a, float b) { return a - b; } },
    MUL { public float apply(float a, float b) { return a * b; } },
    DIV { public float apply(float a, float b) { return a / b; } },
    MAX { public float apply(float a, float b) { return Math.max(a, b); } },
    MIN { public float apply(float a, float b) { return Math.min(a, b); } },
    /** 1 where a &gt; b, else 0. */
    GT { public float apply(float a, float b) { return a > b ? 1f : 0f; } },
    /** 1 where a == b, else 0. */
    EQ { public float apply(float a, float b) { return a == b ? 1f : 0f; } },
    /** relu backward: a where b &gt; 0, else 0 (a = incoming gradient, b = relu input). */
    RELU_GRAD { public float apply(float a, float b) { return b > 0 ? a : 0f; } },
    /** sigmoid backward: a·b·(1 − b) (b = sigmoid output). */
    SIGMOID_GRAD { public float apply(float a, float b) { return a * b * (1f - b); } },
    /** tanh backward: a·(1 − b²) (b = tanh output). */
    TANH_GRAD { public float apply(float a, float b) { return a * (1f - b * b); } };

    public abstract float apply(float a, float b);
}
