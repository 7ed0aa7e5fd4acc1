package io.metarec.backend.cuda;

import io.metarec.backend.Buffer;
import io.metarec.backend.MemoryScope;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Device memory for one backend: a caching allocator and the scopes that own its blocks.
 *
 * <p><b>Caching.</b> Sizes round up to a bucket (four per power of two, at least 256 bytes, so
 * at most 25% is wasted); a freed block goes to its bucket's free list and the next request of
 * that bucket reuses it without a driver call. When the device is full, the cached blocks are
 * returned to the driver and the allocation retried once. Reusing a block right after it was
 * freed is safe because all kernels run in order on one stream.
 *
 * <p><b>Ownership.</b> Tensors are immutable and share buffers, so no reference count can say
 * when a buffer dies, and finalizers would free device memory at the garbage collector's whim.
 * Instead every block has one owner: the innermost {@link MemoryScope} open on the allocating
 * thread, or nobody ("unscoped": optimizer results, anything allocated outside scopes), in which
 * case it lives until {@link #free}. Closing a scope frees what it owns; {@code keep} moves a
 * block to the enclosing scope. A freed block stays marked, so any later use fails with a
 * message instead of reading memory that now belongs to someone else.
 */
final class DeviceHeap {
    private static final long MIN_BUCKET = 256;

    private final Device device;
    private final Map<Long, ArrayDeque<Device.Allocation>> cache = new HashMap<>();
    private final ThreadLocal<Scope> innermost = new ThreadLocal<>();
    private long cachedBytes, liveBytes;
    private int liveBlocks, openScopes;

    DeviceHeap(Device device) {
        this.device = device;
    }

    /** A block of device memory and its owner. */
    final class Block {
        final Device.Allocation memory; // null for an empty block
        final long bytes;
        Scope owner;
        String freedBy; // non-null once freed: why

        private Block(Device.Allocation memory, long bytes) {
            this.memory = memory;
            this.bytes = bytes;
        }

        DeviceHeap heap() { return DeviceHeap.this; }

        boolean freed() { return freedBy != null; }
    }

    /** A node of the per-thread scope stack; owns the blocks allocated while it is innermost. */
    final class Scope implements MemoryScope {
        private final Scope parent;
        private final Thread thread;
        private final Set<Block> owned = new LinkedHashSet<>();
        private boolean closed;

        private Scope(Scope parent) {
            this.parent = parent;
            this.thread = Thread.currentThread();
        }

        @Override public void keep(Buffer... buffers) {
            synchronized (DeviceHeap.this) {
                if (closed) throw new IllegalStateException("keep on a memory scope that is already closed");
                for (Buffer b : buffers) {
                    Block block = CudaBuffer.of(b).block;
                    checkOwnHeap(block);
                    if (block.freed()) throw CudaBuffer.freedError(block, "keep");
                    if (block.owner == this) move(block, parent);
                    else if (block.owner != null && !encloses(block.owner))
                        throw new IllegalArgumentException("keep: the buffer belongs to a memory scope that does not enclose this one");
                }
            }
        }

        /** True when {@code s} is this scope or one it is nested in (so it already outlives this one). */
        private boolean encloses(Scope s) {
            for (Scope p = this; p != null; p = p.parent) if (p == s) return true;
            return false;
        }

        @Override public void close() {
            synchronized (DeviceHeap.this) {
                if (closed) return;
                if (Thread.currentThread() != thread)
                    throw new IllegalStateException("a memory scope must be closed on the thread that opened it (" + thread.getName() + ")");
                if (innermost.get() != this)
                    throw new IllegalStateException("memory scopes must close innermost first: a scope opened inside this one is still open");
                for (Block b : owned) {
                    b.owner = null;
                    release(b, "its memory scope closed");
                }
                owned.clear();
                closed = true;
                openScopes--;
                if (parent == null) innermost.remove();
                else innermost.set(parent);
            }
        }

        @Override public String toString() {
            return "MemoryScope(" + owned.size() + " buffers" + (closed ? ", closed" : "") + ")";
        }
    }

    /** Opens a scope nested in this thread's innermost one. */
    synchronized Scope open() {
        Scope s = new Scope(innermost.get());
        innermost.set(s);
        openScopes++;
        return s;
    }

    /**
     * A block of at least {@code bytes}, owned by this thread's innermost scope when {@code scoped},
     * else unscoped.
     */
    synchronized Block allocate(long bytes, boolean scoped) {
        Block b;
        if (bytes <= 0) {
            b = new Block(null, 0);
        } else {
            long bucket = bucketBytes(bytes);
            ArrayDeque<Device.Allocation> free = cache.get(bucket);
            Device.Allocation mem = free == null ? null : free.pollLast();
            if (mem != null) {
                cachedBytes -= bucket;
            } else {
                mem = fresh(bucket);
            }
            b = new Block(mem, bucket);
            liveBytes += bucket;
            liveBlocks++;
        }
        Scope s = scoped ? innermost.get() : null;
        if (s != null) {
            b.owner = s;
            s.owned.add(b);
        }
        return b;
    }

    private Device.Allocation fresh(long bucket) {
        try {
            return device.allocate(bucket);
        } catch (DeviceOutOfMemoryException first) {
            trim();
            try {
                return device.allocate(bucket);
            } catch (DeviceOutOfMemoryException again) {
                throw new DeviceOutOfMemoryException("CUDA out of memory allocating " + mib(bucket) + " (" + stats()
                        + "). Run each training step inside Backend.openScope() and keep only its results.");
            }
        }
    }

    /** Frees a block now, whoever owns it (Backend.release, temporaries of multi-pass kernels). */
    synchronized void free(Block b, String why) {
        checkOwnHeap(b);
        if (b.freed()) return;
        if (b.owner != null) {
            b.owner.owned.remove(b);
            b.owner = null;
        }
        release(b, why);
    }

    private void release(Block b, String why) {
        b.freedBy = why;
        if (b.memory == null) return;
        cache.computeIfAbsent(b.bytes, k -> new ArrayDeque<>()).addLast(b.memory);
        cachedBytes += b.bytes;
        liveBytes -= b.bytes;
        liveBlocks--;
    }

    private void move(Block b, Scope to) {
        if (b.owner != null) b.owner.owned.remove(b);
        b.owner = to;
        if (to != null) to.owned.add(b);
    }

    private void checkOwnHeap(Block b) {
        if (b.heap() != this) throw new IllegalArgumentException("the buffer belongs to another CUDA backend instance");
    }

    /** Returns every cached block to the driver (after the queued kernels finished with them). */
    synchronized void trim() {
        if (cachedBytes == 0) return;
        device.synchronize();
        for (ArrayDeque<Device.Allocation> free : cache.values()) {
            for (Device.Allocation a : free) device.free(a);
            free.clear();
        }
        cachedBytes = 0;
    }

    synchronized long liveBytes() { return liveBytes; }

    synchronized int liveBlocks() { return liveBlocks; }

    synchronized long cachedBytes() { return cachedBytes; }

    synchronized String stats() {
        return String.format(Locale.ROOT, "%s in use in %d buffers, %s cached, %d scopes open",
                mib(liveBytes), liveBlocks, mib(cachedBytes), openScopes);
    }

    /** The size class of a request: at least 256 bytes, then four classes per power of two. */
    static long bucketBytes(long bytes) {
        if (bytes <= MIN_BUCKET) return MIN_BUCKET;
        int k = 63 - Long.numberOfLeadingZeros(bytes - 1); // 2^k < bytes <= 2^(k+1)
        long step = 1L << (k - 2);
        return (bytes + step - 1) / step * step;
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}
