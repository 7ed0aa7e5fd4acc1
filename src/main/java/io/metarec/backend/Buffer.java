package io.metarec.backend;

/**
 * Storage of {@code length()} float32 values owned by one {@link Backend}. Buffers are written once,
 * by the kernel that produces them, and never modified afterwards: tensors share them freely
 * (a reshape is the same buffer under another shape).
 */
public interface Buffer {
    /** Number of float32 elements. */
    int length();
}
