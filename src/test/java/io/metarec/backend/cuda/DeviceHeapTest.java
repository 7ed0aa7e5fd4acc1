package io.metarec.backend.cuda;

import io.metarec.backend.MemoryScope;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The caching allocator and its scopes, on a fake device that counts driver allocations. */
class DeviceHeapTest {

    /** Device memory with a capacity; records allocations, frees and synchronizations. */
    static final class FakeDevice implements Device {
        final long capacity;
        long used;
        int allocations, frees, syncs;

        FakeDevice(long capacity) { this.capacity = capacity; }

        record Mem(long bytes) implements Allocation {}

        @Override public Allocation allocate(long bytes) {
            if (used + bytes > capacity) throw new DeviceOutOfMemoryException("fake: out of memory");
            used += bytes;
            allocations++;
            return new Mem(bytes);
        }

        @Override public void free(Allocation m) {
            used -= m.bytes();
            frees++;
        }

        @Override public void synchronize() { syncs++; }
        @Override public String describe() { return "fake"; }
        @Override public int multiprocessors() { return 1; }
        @Override public void upload(Allocation dst, float[] src, int count) {}
        @Override public void upload(Allocation dst, int[] src, int count) {}
        @Override public void download(Allocation src, float[] dst, int count) {}
        @Override public void fill(Allocation dst, int bits, int count) {}
        @Override public void launch(String kernel, CudaLaunch.Grid grid, Object... args) {}
        @Override public String blasUnavailable() { return "fake"; }
        @Override public void blasGemm(boolean ta, boolean tb, int batch, int m, int n, int k, Allocation a, Allocation b, Allocation c) {}
        @Override public void close() {}
    }

    private static CudaBuffer buffer(DeviceHeap heap, int floats, boolean scoped) {
        return new CudaBuffer(heap.allocate(4L * floats, scoped), floats);
    }

    @Test void bucketsRoundUpByAtMostAQuarter() {
        assertEquals(256, DeviceHeap.bucketBytes(1));
        assertEquals(256, DeviceHeap.bucketBytes(256));
        assertEquals(320, DeviceHeap.bucketBytes(257));
        assertEquals(640, DeviceHeap.bucketBytes(600));
        assertEquals(1024, DeviceHeap.bucketBytes(1000));
        assertEquals(1280, DeviceHeap.bucketBytes(1025));
        long previous = 0;
        for (long b = 1; b < 1 << 22; b += b / 7 + 1) {
            long k = DeviceHeap.bucketBytes(b);
            assertTrue(k >= b && (b <= 256 || k <= b * 1.25 + 1), b + " → " + k);
            assertTrue(k >= previous, "buckets grow with the request");
            assertEquals(k, DeviceHeap.bucketBytes(k), "a bucket size is its own bucket");
            previous = k;
        }
    }

    @Test void closingAScopeReturnsItsBlocksToTheCacheForReuse() {
        FakeDevice dev = new FakeDevice(1 << 20);
        DeviceHeap heap = new DeviceHeap(dev);
        CudaBuffer a;
        try (MemoryScope s = heap.open()) {
            a = buffer(heap, 1000, true);
            buffer(heap, 10, true);
        }
        assertTrue(a.block.freed());
        assertEquals(2, dev.allocations);
        assertEquals(0, heap.liveBlocks());
        try (MemoryScope s = heap.open()) {
            buffer(heap, 990, true); // same bucket as 1000 floats
            buffer(heap, 3, true);
        }
        assertEquals(2, dev.allocations, "both blocks came from the cache");
        assertEquals(0, dev.frees);
    }

    @Test void keepHandsABlockToTheEnclosingScopeAndOutermostKeepsLeaveItUnscoped() {
        DeviceHeap heap = new DeviceHeap(new FakeDevice(1 << 20));
        CudaBuffer kept, keptTwice;
        try (MemoryScope outer = heap.open()) {
            try (MemoryScope inner = heap.open()) {
                kept = buffer(heap, 8, true);
                keptTwice = buffer(heap, 8, true);
                inner.keep(kept, keptTwice);
                inner.keep(kept); // already the outer scope's: nothing to do
            }
            assertFalse(kept.block.freed());
            outer.keep(keptTwice);
        }
        assertTrue(kept.block.freed(), "kept once: freed with the outer scope");
        assertFalse(keptTwice.block.freed(), "kept by the outermost scope: unscoped");
        heap.free(keptTwice.block, "test");
        assertTrue(keptTwice.block.freed());
        assertEquals(0, heap.liveBlocks());
    }

    @Test void unscopedAllocationsIgnoreOpenScopes() {
        DeviceHeap heap = new DeviceHeap(new FakeDevice(1 << 20));
        CudaBuffer optimizerState;
        try (MemoryScope s = heap.open()) {
            optimizerState = buffer(heap, 64, false);
        }
        assertFalse(optimizerState.block.freed());
    }

    @Test void misuseOfScopesIsAClearError() throws Exception {
        DeviceHeap heap = new DeviceHeap(new FakeDevice(1 << 20));
        MemoryScope outer = heap.open();
        MemoryScope inner = heap.open();
        assertTrue(assertThrows(IllegalStateException.class, outer::close).getMessage().contains("innermost first"));
        CudaBuffer freed = buffer(heap, 4, true);
        inner.close();
        inner.close(); // idempotent
        assertTrue(assertThrows(IllegalStateException.class, () -> outer.keep(freed)).getMessage().contains("freed"));

        AtomicReference<MemoryScope> other = new AtomicReference<>();
        AtomicReference<CudaBuffer> foreign = new AtomicReference<>();
        Thread t = new Thread(() -> {
            other.set(heap.open());
            foreign.set(buffer(heap, 4, true));
        });
        t.start();
        t.join();
        assertThrows(IllegalArgumentException.class, () -> outer.keep(foreign.get()), "a buffer of another thread's scope");
        assertTrue(assertThrows(IllegalStateException.class, () -> other.get().close()).getMessage().contains("thread"));
        assertThrows(IllegalArgumentException.class, () -> outer.keep(new io.metarec.backend.cpu.HeapBuffer(new float[1])));
        outer.close();
        assertThrows(IllegalStateException.class, () -> outer.keep(freed), "keep on a closed scope");
    }

    @Test void whenTheDeviceIsFullTheCacheIsReturnedAndTheAllocationRetried() {
        FakeDevice dev = new FakeDevice(4096);
        DeviceHeap heap = new DeviceHeap(dev);
        try (MemoryScope s = heap.open()) {
            buffer(heap, 600, true); // 2560 bytes
        }
        assertEquals(2560, heap.cachedBytes());
        CudaBuffer big = buffer(heap, 700, false); // 2816 bytes: fits only after the cache is returned
        assertEquals(1, dev.frees);
        assertTrue(dev.syncs >= 1, "queued kernels finish before cached memory goes back to the driver");
        assertEquals(0, heap.cachedBytes());
        DeviceOutOfMemoryException e = assertThrows(DeviceOutOfMemoryException.class, () -> buffer(heap, 700, false));
        assertTrue(e.getMessage().contains("in use") && e.getMessage().contains("openScope"), e.getMessage());
        heap.free(big.block, "test");
    }

    @Test void emptyBuffersNeedNoDeviceMemory() {
        FakeDevice dev = new FakeDevice(0);
        DeviceHeap heap = new DeviceHeap(dev);
        List<CudaBuffer> bs = new ArrayList<>();
        for (int i = 0; i < 3; i++) bs.add(buffer(heap, 0, true));
        assertEquals(0, dev.allocations);
        bs.forEach(b -> heap.free(b.block, "test"));
    }
}
