package io.metarec.backend.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * A {@link Device} whose kernels run in the host harness: {@link CudaBackend} runs unchanged on it,
 * so its launch planning, argument lists and memory handling are tested together with the kernel
 * bodies, on machines without a GPU. Beyond executing, every launch is checked:
 * <ul>
 *   <li>the argument kinds must match the entry's parameters in the committed PTX (what the GPU
 *       would receive), so a wrong argument order or type fails here, not on a device;</li>
 *   <li>each launch runs twice, threads and blocks in ascending then descending order, and the
 *       results must agree bit for bit (a race inside a phase would make them differ);</li>
 *   <li>fresh allocations are filled with NaN bytes, so output a kernel forgets to write shows.</li>
 * </ul>
 * A small SM count and grid limit make the grid-stride and tile loops actually loop.
 */
final class EmulatedDevice implements Device {
    private final KernelHarness harness;
    private final int sms, gridLimit;
    private final Map<String, String> signatures = NativeSources.allEntries();
    private int nextId = 1, launches;

    private static final class Memory implements Allocation {
        final int id;
        byte[] data;

        Memory(int id, byte[] data) {
            this.id = id;
            this.data = data;
        }

        @Override public long bytes() { return data.length; }
    }

    EmulatedDevice(KernelHarness harness, int sms, int gridLimit) {
        this.harness = harness;
        this.sms = sms;
        this.gridLimit = gridLimit;
    }

    /** Kernel launches so far. */
    int launches() { return launches; }

    @Override public String describe() { return "emulated device (host harness), " + sms + " SM(s)"; }

    @Override public int multiprocessors() { return sms; }

    @Override public int gridLimit() { return gridLimit; }

    @Override public Allocation allocate(long bytes) {
        byte[] b = new byte[Math.toIntExact(bytes)];
        Arrays.fill(b, (byte) 0xFF); // NaN in every float
        return new Memory(nextId++, b);
    }

    @Override public void free(Allocation memory) {
        Memory m = (Memory) memory;
        if (m.data == null) throw new IllegalStateException("device memory freed twice");
        m.data = null;
    }

    private static ByteBuffer buf(Allocation a, long bytes) {
        Memory m = (Memory) a;
        if (m.data == null) throw new IllegalStateException("use of freed device memory");
        if (bytes > m.data.length) throw new IllegalStateException("copy of " + bytes + " bytes into an allocation of " + m.data.length);
        return ByteBuffer.wrap(m.data).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override public void upload(Allocation dst, float[] src, int count) {
        buf(dst, 4L * count).asFloatBuffer().put(src, 0, count);
    }

    @Override public void upload(Allocation dst, int[] src, int count) {
        buf(dst, 4L * count).asIntBuffer().put(src, 0, count);
    }

    @Override public void download(Allocation src, float[] dst, int count) {
        buf(src, 4L * count).asFloatBuffer().get(dst, 0, count);
    }

    @Override public void fill(Allocation dst, int bits, int count) {
        var ib = buf(dst, 4L * count).asIntBuffer();
        for (int i = 0; i < count; i++) ib.put(i, bits);
    }

    @Override public void launch(String kernel, CudaLaunch.Grid grid, Object... args) {
        launches++;
        String ptx = signatures.get(kernel);
        if (ptx == null) throw new AssertionError("launch of '" + kernel + "', which no committed PTX module defines");
        StringBuilder kinds = new StringBuilder();
        Map<Memory, Boolean> seen = new IdentityHashMap<>();
        Object[] wire = new Object[args.length];
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a instanceof Memory m) {
                if (m.data == null) throw new AssertionError(kernel + ": argument " + i + " is freed device memory");
                kinds.append('8');
                wire[i] = new KernelHarness.Memory(m.id, m.data);
                seen.put(m, true);
            } else if (a instanceof Integer) {
                kinds.append('I');
                wire[i] = a;
            } else if (a instanceof Float) {
                kinds.append('F');
                wire[i] = a;
            } else if (a instanceof Long) {
                kinds.append('8');
                wire[i] = a;
            } else if (a instanceof int[] s) {
                kinds.append('S').append(4 * s.length);
                wire[i] = a;
            } else {
                throw new AssertionError(kernel + ": argument " + i + " of unsupported type " + a);
            }
        }
        if (!ptx.contentEquals(kinds))
            throw new AssertionError(kernel + ": launched with argument kinds " + kinds + " but its PTX entry takes " + ptx);
        long threads = grid.threads();
        if ((long) grid.gx() * grid.bx() > (1L << 30)) throw new AssertionError(kernel + ": gridDim.x·blockDim.x exceeds 2^30");
        if (grid.gy() > gridLimit || grid.gz() > gridLimit) throw new AssertionError(kernel + ": grid " + grid + " beyond the limit " + gridLimit);
        if (threads <= 0) throw new AssertionError(kernel + ": empty grid " + grid);

        Map<Integer, byte[]> forward = harness.launch(kernel, grid, false, wire);
        Map<Integer, byte[]> backward = harness.launch(kernel, grid, true, wire);
        for (Memory m : seen.keySet()) {
            byte[] f = forward.get(m.id), b = backward.get(m.id);
            if (!Arrays.equals(f, b))
                throw new AssertionError(kernel + ": the result depends on the order the threads run in (a race), grid " + grid);
            m.data = f;
        }
    }

    @Override public String blasUnavailable() { return "emulated device"; }

    @Override public void blasGemm(boolean ta, boolean tb, int batch, int m, int n, int k, Allocation a, Allocation b, Allocation c) {
        throw new UnsupportedOperationException("no cuBLAS on the emulated device");
    }

    @Override public void synchronize() {}

    @Override public void close() {}
}
