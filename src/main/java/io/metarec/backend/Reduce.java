package io.metarec.backend;

/** Reductions over the middle axis of an [outer, n, inner] view. */
public enum Reduce {
    SUM { public float identity() { return 0f; } public float combine(float acc, float x) { return acc + x; } },
    MAX { public float identity() { return Float.NEGATIVE_INFINITY; } public float combine(float acc, float x) { return Math.max(acc, x); } },
    MIN { public float identity() { return Float.POSITIVE_INFINITY; } public float combine(float acc, float x) { return Math.min(acc, x); } };

    public abstract float identity();
    public abstract float combine(float acc, float x);
}
