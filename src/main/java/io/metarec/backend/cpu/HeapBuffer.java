package io.metarec.backend.cpu;

import io.metarec.backend.Buffer;

/**
 * A float[] on the Java heap: the buffer type of both CPU backends (so their tensors mix freely).
 * Two buffers over the same array are equal. Once its memory scope closes and hands its array to
 * the next allocation ({@link HostScopes}, recycling), the buffer is marked, and a kernel that
 * reads it fails naming the cause instead of reading another computation's numbers (as a freed
 * device buffer does).
 */
public final class HeapBuffer implements Buffer {
    private final float[] data;
    /** Set by {@link HostScopes} when the array went back to the free lists; read by {@link #of}. */
    private boolean recycled;
    /** Where an {@link HostScopes} arena holds this buffer's array for the next repeating scope; −1: nowhere. */
    int arenaSlot = -1;

    public HeapBuffer(float[] data) {
        this.data = java.util.Objects.requireNonNull(data);
    }

    /** The array behind this buffer (without the recycled check: {@link HostScopes}' bookkeeping). */
    float[] data() { return data; }

    void markRecycled() { recycled = true; }

    @Override public int length() { return data.length; }

    /** The array behind a CPU buffer; fails clearly for a buffer of another backend or one whose array was recycled. */
    public static float[] of(Buffer b) {
        if (b instanceof HeapBuffer h) {
            if (h.recycled)
                throw new IllegalStateException("a CPU buffer of " + h.data.length + " floats was read after its memory scope closed "
                        + "(its array now serves another allocation): keep what must outlive a scope (MemoryScope.keep)");
            return h.data;
        }
        throw new IllegalArgumentException("a CPU kernel got a " + b.getClass().getSimpleName()
                + " (a tensor of another backend): move it with Tensor.to(backend) first");
    }

    @Override public boolean equals(Object o) { return o instanceof HeapBuffer h && h.data == data; }

    @Override public int hashCode() { return System.identityHashCode(data); }

    @Override public String toString() { return "HeapBuffer[" + data.length + " floats" + (recycled ? ", recycled" : "") + "]"; }
}
