package io.metarec.backend.cuda;

import io.metarec.backend.Buffer;

/** A buffer of float32 in device memory: {@code length} floats at the start of a heap block. */
final class CudaBuffer implements Buffer {
    final DeviceHeap.Block block;
    private final int length;

    CudaBuffer(DeviceHeap.Block block, int length) {
        this.block = block;
        this.length = length;
    }

    @Override public int length() { return length; }

    /** The CUDA buffer behind a Buffer; fails clearly for a buffer of another backend. */
    static CudaBuffer of(Buffer b) {
        if (b instanceof CudaBuffer c) return c;
        throw new IllegalArgumentException("a CUDA kernel got a " + (b == null ? "null buffer" : b.getClass().getSimpleName()
                + " (a tensor of another backend): move it with Tensor.to(backend) first"));
    }

    static IllegalStateException freedError(DeviceHeap.Block block, String op) {
        return new IllegalStateException(op + ": a CUDA buffer of " + block.bytes + " bytes was already freed (" + block.freedBy
                + ") and cannot be used; keep results that outlive a memory scope with MemoryScope.keep");
    }

    @Override public String toString() {
        return "CudaBuffer[" + length + (block.freed() ? ", freed" : "") + "]";
    }
}
