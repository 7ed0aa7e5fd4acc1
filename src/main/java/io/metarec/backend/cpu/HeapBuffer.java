package io.metarec.backend.cpu;

import io.metarec.backend.Buffer;

/** A float[] on the Java heap: the buffer type of both CPU backends (so their tensors mix freely). */
public record HeapBuffer(float[] data) implements Buffer {
    @Override public int length() { return data.length; }

    /** The array behind a CPU buffer; fails clearly for a buffer of another backend. */
    public static float[] of(Buffer b) {
        if (b instanceof HeapBuffer h) return h.data;
        throw new IllegalArgumentException("a CPU kernel got a " + b.getClass().getSimpleName()
                + " (a tensor of another backend): move it with Tensor.to(backend) first");
    }
}
