package io.metarec.backend.cuda;

import io.metarec.backend.Backend;
import io.metarec.backend.BackendUnavailableException;
import io.metarec.backend.Binary;
import io.metarec.backend.Broadcast;
import io.metarec.backend.Buffer;
import io.metarec.backend.Distribution;
import io.metarec.backend.Fused;
import io.metarec.backend.Indices;
import io.metarec.backend.MemoryScope;
import io.metarec.backend.Reduce;
import io.metarec.backend.Unary;

/**
 * The GPU backend: the kernels of {@code native/*.cu} (PTX in the jar, JIT-compiled by the driver)
 * launched through JCuda on one context and one stream, GEMM through cuBLAS when JCublas loads,
 * else through our tiled kernel. Memory comes from a caching allocator with scopes
 * ({@link #openScope}); data crosses the bus only in {@link #upload} / {@link #download} and
 * when an {@link Indices} is first used (its device copy is then cached in the Indices).
 *
 * <p>One instance per process ({@link #create}); it serializes its calls, so tensors may be used
 * from several threads, though the work still runs in order on the one stream. Every kernel's
 * buffers are checked against the sizes it will touch before it is queued: a GPU does not fault on
 * an out-of-range write, it corrupts another buffer.
 *
 * <p>System properties: {@code metarec.cuda.gemm=kernel} uses our GEMM even where cuBLAS loads;
 * {@code metarec.cuda.sync=true} waits after every launch, so an error names the kernel that
 * caused it; {@code metarec.cuda.profile=true} (or {@code =FILE}) times every device call (each
 * waited for) and prints them by total time at exit, to stderr (or FILE; {@link ProfilingDevice});
 * {@code metarec.cuda.device=N} picks a GPU (default 0).
 */
public final class CudaBackend implements Backend {
    private static CudaBackend instance;
    private static BackendUnavailableException failure;

    private final Device device;
    private final DeviceHeap heap;
    private final CudaLaunch launch;
    private final String gemmPath;
    private final boolean useBlas;

    /**
     * The process's CUDA backend, created on first call.
     *
     * @throws BackendUnavailableException naming why CUDA cannot run here (no driver library, no
     *                                     device, GPU too old, kernels missing, …); the same on every later call
     */
    public static synchronized CudaBackend create() {
        if (instance != null) return instance;
        if (failure != null) throw failure;
        String missing = JCudaDependency.driverMissing(); // JCuda is optional: say which artifact to add
        if (missing != null) throw failure = new BackendUnavailableException("cuda", missing);
        try {
            Device device = JCudaDevice.open();
            String profile = System.getProperty("metarec.cuda.profile", "false"); // true (or no value): stderr; else a file
            if (!profile.equals("false"))
                device = ProfilingDevice.reportingAtExit(device, profile.isEmpty() || profile.equals("true") ? null : java.nio.file.Path.of(profile));
            instance = new CudaBackend(device);
            return instance;
        } catch (BackendUnavailableException e) {
            failure = e;
            throw e;
        }
    }

    /** Whether {@link #create} succeeds here; never throws. */
    public static boolean available() {
        try {
            create();
            return true;
        } catch (BackendUnavailableException e) {
            return false;
        }
    }

    CudaBackend(Device device) {
        this.device = device;
        this.heap = new DeviceHeap(device);
        this.launch = new CudaLaunch(device.multiprocessors(), device.gridLimit());
        String blas = device.blasUnavailable();
        boolean forceKernel = "kernel".equals(System.getProperty("metarec.cuda.gemm", "auto"));
        this.useBlas = blas == null && !forceKernel;
        this.gemmPath = useBlas ? "cuBLAS" : "own tiled kernel (" + (blas != null ? "cuBLAS not loadable: " + blas : "-Dmetarec.cuda.gemm=kernel") + ")";
    }

    @Override public String name() { return "cuda"; }

    @Override public boolean hostResident() { return false; }

    @Override public String describe() {
        return device.describe() + "; GEMM: " + gemmPath;
    }

    /** Where GEMM runs: "cuBLAS" or our kernel with the reason. */
    public String gemmPath() { return gemmPath; }

    /** Device memory in use and cached, for diagnostics. */
    public synchronized String memoryStats() { return heap.stats(); }

    /** Returns cached (freed) device memory to the driver. */
    public synchronized void trimCache() { heap.trim(); }

    /** Waits until every queued kernel has finished (for timing; downloads wait by themselves). */
    public synchronized void synchronize() { device.synchronize(); }

    // ---- memory ----------------------------------------------------------------------------------

    @Override public synchronized Buffer allocate(int length) {
        if (length < 0) throw new IllegalArgumentException("negative buffer length " + length);
        return new CudaBuffer(heap.allocate(4L * length, true), length);
    }

    private CudaBuffer allocateUnscoped(int length) {
        return new CudaBuffer(heap.allocate(4L * length, false), length);
    }

    @Override public synchronized Buffer zeros(int length) {
        Buffer b = allocate(length);
        if (length > 0) device.fill(mem(b, "zeros"), 0, length);
        return b;
    }

    @Override public synchronized Buffer upload(float[] data) {
        Buffer b = allocate(data.length);
        if (data.length > 0) device.upload(mem(b, "upload"), data, data.length);
        return b;
    }

    @Override public synchronized float[] download(Buffer buffer) {
        float[] out = new float[buffer.length()];
        Device.Allocation m = mem(buffer, "download");
        if (out.length > 0) device.download(m, out, out.length);
        return out;
    }

    @Override public synchronized void fill(Buffer out, float value) {
        Device.Allocation m = mem(out, "fill");
        if (out.length() > 0) device.fill(m, Float.floatToRawIntBits(value), out.length());
    }

    @Override public synchronized MemoryScope openScope() {
        return heap.open();
    }

    @Override public synchronized void release(Buffer buffer) {
        heap.free(CudaBuffer.of(buffer).block, "released with Backend.release");
    }

    // ---- elementwise -----------------------------------------------------------------------------

    @Override public synchronized void unary(Unary op, Buffer x, Buffer out, float p1, float p2) {
        int n = x.length();
        need(out.length() >= n, "unary", "output of " + out.length() + " floats for " + n + " inputs");
        if (n == 0) return;
        device.launch(Kernels.unary(op), launch.linear(n), mem(x, "unary"), mem(out, "unary"), n, p1, p2);
    }

    @Override public synchronized void binary(Binary op, Buffer a, Buffer b, Buffer out, Broadcast plan) {
        int n = plan.size;
        need(out.length() >= n, "binary", "output of " + out.length() + " floats for " + n + " results");
        if (n == 0) return;
        if (plan.isElementwise()) {
            need(a.length() >= n && b.length() >= n, "binary", "operands of " + a.length() + " and " + b.length() + " floats for " + n);
            device.launch(Kernels.binary(op), launch.linear(n), mem(a, "binary"), mem(b, "binary"), mem(out, "binary"), n);
        } else {
            int[] plan4 = plan4(plan, a, b, "binary");
            device.launch(Kernels.binaryBroadcast(op), launch.linear(n), mem(a, "binary"), mem(b, "binary"), mem(out, "binary"), n, plan4);
        }
    }

    @Override public synchronized void expand(Buffer x, Buffer out, Broadcast plan) {
        int n = plan.size;
        need(out.length() >= n, "expand", "output of " + out.length() + " floats for " + n);
        if (n == 0) return;
        int[] plan4 = plan4(plan, x, null, "expand");
        device.launch(Kernels.EXPAND, launch.linear(n), mem(x, "expand"), mem(out, "expand"), n, plan4);
    }

    /**
     * The kernels' Plan4 (elementwise.cuh): the plan's dims and strides right-aligned in four
     * slots, leading slots of size 1 and stride 0; checks that no read leaves the operands.
     */
    static int[] plan4(Broadcast plan, Buffer a, Buffer b, String op) {
        int r = plan.dims.length;
        if (r > 4) throw new IllegalArgumentException(op + ": broadcast over " + r + " dimensions; the CUDA kernels take at most 4");
        int[] p = new int[12];
        long lastA = 0, lastB = 0;
        for (int i = 0; i < 4; i++) {
            int j = i - (4 - r);
            p[i] = j < 0 ? 1 : plan.dims[j];
            p[4 + i] = j < 0 ? 0 : plan.aStrides[j];
            p[8 + i] = j < 0 ? 0 : plan.bStrides[j];
            lastA += (long) (p[i] - 1) * p[4 + i];
            lastB += (long) (p[i] - 1) * p[8 + i];
        }
        need(lastA < a.length(), op, "first operand of " + a.length() + " floats is too short for " + plan);
        if (b != null) need(lastB < b.length(), op, "second operand of " + b.length() + " floats is too short for " + plan);
        return p;
    }

    @Override public synchronized void where(Buffer cond, Buffer a, Buffer b, Buffer out) {
        int n = cond.length();
        need(a.length() >= n && b.length() >= n && out.length() >= n, "where", "buffers shorter than the condition (" + n + ")");
        if (n == 0) return;
        device.launch(Kernels.WHERE, launch.linear(n), mem(cond, "where"), mem(a, "where"), mem(b, "where"), mem(out, "where"), n);
    }

    // ---- reductions ------------------------------------------------------------------------------

    @Override public synchronized void reduce(Reduce op, Buffer x, Buffer out, int outer, int n, int inner) {
        need(outer >= 0 && n >= 0 && inner >= 0, "reduce", "negative extent in [" + outer + ", " + n + ", " + inner + "]");
        need(x.length() >= (long) outer * n * inner, "reduce", "input of " + x.length() + " floats for [" + outer + ", " + n + ", " + inner + "]");
        need(out.length() >= (long) outer * inner, "reduce", "output of " + out.length() + " floats for [" + outer + ", " + inner + "]");
        if ((long) outer * inner == 0) return;
        if (n == 0) device.fill(mem(out, "reduce"), Float.floatToRawIntBits(op.identity()), outer * inner); // empty: the identity
        else reducePass(op, mem(x, "reduce"), mem(out, "reduce"), outer, n, inner);
    }

    /** One planned reduction; a second pass over the per-chunk partials when the plan splits n. */
    private void reducePass(Reduce op, Device.Allocation x, Device.Allocation out, int outer, int n, int inner) {
        CudaLaunch.ReducePlan plan = launch.reduce(outer, n, inner);
        DeviceHeap.Block partial = null;
        Device.Allocation target = out;
        if (plan.twoPass()) {
            partial = heap.allocate(4L * outer * plan.chunks() * inner, false);
            target = partial.memory;
        }
        if (plan.rowKernel())
            device.launch(Kernels.reduceRows(op), launch.reduceRows(outer, plan.chunks()), x, target, outer, n, plan.chunk(), plan.chunks());
        else
            device.launch(Kernels.reduceCols(op), launch.linear((long) outer * plan.chunks() * inner), x, target, outer, n, inner,
                    plan.chunk(), plan.chunks());
        if (partial != null) {
            reducePass(op, partial.memory, out, outer, plan.chunks(), inner);
            heap.free(partial, "temporary of a reduction"); // safe: later kernels run after the ones reading it
        }
    }

    // ---- linear algebra --------------------------------------------------------------------------

    @Override public synchronized void gemm(boolean ta, boolean tb, int batch, int m, int n, int k, Buffer a, Buffer b, Buffer c) {
        gemm(null, ta, tb, batch, m, n, k, a, b, c);
    }

    /** GEMM on a given tile of our kernel ({@code tile} non-null: tests), else as configured. */
    synchronized void gemm(GemmTile tile, boolean ta, boolean tb, int batch, int m, int n, int k, Buffer a, Buffer b, Buffer c) {
        need(batch >= 0 && m >= 0 && n >= 0 && k >= 0, "gemm", "negative size in batch " + batch + ", m " + m + ", n " + n + ", k " + k);
        need(a.length() >= (long) batch * m * k, "gemm", "A of " + a.length() + " floats for " + batch + " × [" + m + ", " + k + "]");
        need(b.length() >= (long) batch * k * n, "gemm", "B of " + b.length() + " floats for " + batch + " × [" + k + ", " + n + "]");
        need(c.length() >= (long) batch * m * n, "gemm", "C of " + c.length() + " floats for " + batch + " × [" + m + ", " + n + "]");
        if ((long) batch * m * n == 0) return;
        if (k == 0) {
            device.fill(mem(c, "gemm"), 0, batch * m * n);
        } else if (tile == null && useBlas) {
            device.blasGemm(ta, tb, batch, m, n, k, mem(a, "gemm"), mem(b, "gemm"), mem(c, "gemm"));
        } else {
            GemmTile t = tile != null ? tile : launch.gemmTile(batch, m, n);
            device.launch(Kernels.gemm(t, ta, tb), launch.gemm(t, batch, m, n), mem(a, "gemm"), mem(b, "gemm"), mem(c, "gemm"), batch, m, n, k);
        }
    }

    @Override public synchronized void transpose(Buffer x, Buffer out, int batch, int rows, int cols) {
        long n = (long) batch * rows * cols;
        need(batch >= 0 && rows >= 0 && cols >= 0 && x.length() >= n && out.length() >= n, "transpose",
                "buffers of " + x.length() + " and " + out.length() + " floats for " + batch + " × [" + rows + ", " + cols + "]");
        if (n == 0) return;
        device.launch(Kernels.TRANSPOSE, launch.transpose(batch, rows, cols), mem(x, "transpose"), mem(out, "transpose"), batch, rows, cols);
    }

    @Override public synchronized void copy2d(Buffer src, int srcOffset, int srcStride, Buffer dst, int dstOffset, int dstStride, int rows, int cols) {
        need(rows >= 0 && cols >= 0 && srcOffset >= 0 && dstOffset >= 0 && srcStride >= 0 && dstStride >= 0, "copy2d", "negative argument");
        if ((long) rows * cols == 0) return;
        need(srcOffset + (long) (rows - 1) * srcStride + cols <= src.length(), "copy2d", "rows leave the source of " + src.length() + " floats");
        need(dstOffset + (long) (rows - 1) * dstStride + cols <= dst.length(), "copy2d", "rows leave the destination of " + dst.length() + " floats");
        device.launch(Kernels.COPY2D, launch.linear((long) rows * cols), mem(src, "copy2d"), srcOffset, srcStride, mem(dst, "copy2d"), dstOffset,
                dstStride, rows, cols);
    }

    // ---- indexing --------------------------------------------------------------------------------

    @Override public synchronized void gatherRows(Buffer table, int cols, Indices rows, Buffer out) {
        int nrows = rows.length();
        need(out.length() >= (long) nrows * cols, "gatherRows", "output of " + out.length() + " floats for " + nrows + " rows of " + cols);
        if ((long) nrows * cols == 0) return;
        need(rows.min() >= 0 && (long) (rows.max() + 1) * cols <= table.length(), "gatherRows",
                "index " + (rows.min() < 0 ? rows.min() : rows.max()) + " outside a table of " + table.length() / Math.max(cols, 1) + " rows");
        device.launch(Kernels.GATHER_ROWS, launch.linear((long) nrows * cols), mem(table, "gatherRows"), cols, indices(rows).values.memory,
                nrows, mem(out, "gatherRows"));
    }

    @Override public synchronized void scatterAddRows(Buffer src, int cols, Indices rows, Buffer out) {
        int nrows = rows.length();
        need(src.length() >= (long) nrows * cols, "scatterAddRows", "source of " + src.length() + " floats for " + nrows + " rows of " + cols);
        if ((long) nrows * cols == 0) return;
        need(rows.min() >= 0 && (long) (rows.max() + 1) * cols <= out.length(), "scatterAddRows",
                "index " + (rows.min() < 0 ? rows.min() : rows.max()) + " outside an output of " + out.length() / Math.max(cols, 1) + " rows");
        DeviceIndices d = indices(rows);
        if (!d.hasGroups()) {
            int[][] g = DeviceIndices.groupByValue(rows);
            d.dest = upload(g[0]);
            d.start = upload(g[1]);
            d.order = upload(g[2]);
            d.groups = g[0].length;
        }
        device.launch(Kernels.SCATTER_ADD_ROWS, launch.linear((long) d.groups * cols), mem(src, "scatterAddRows"), cols, d.dest.memory,
                d.start.memory, d.order.memory, d.groups, mem(out, "scatterAddRows"));
    }

    @Override public synchronized void segmentMean(Buffer x, int cols, Indices offsets, Buffer out) {
        int segments = offsets.length() - 1;
        need(segments >= 0, "segmentMean", "offsets must have at least one entry");
        need(out.length() >= (long) segments * cols, "segmentMean", "output of " + out.length() + " floats for " + segments + " segments of " + cols);
        if ((long) segments * cols == 0) return;
        need(offsets.min() >= 0 && (long) offsets.max() * cols <= x.length(), "segmentMean",
                "offset " + offsets.max() + " beyond an input of " + x.length() / Math.max(cols, 1) + " rows");
        device.launch(Kernels.SEGMENT_MEAN, launch.linear((long) segments * cols), mem(x, "segmentMean"), cols, indices(offsets).values.memory,
                segments, mem(out, "segmentMean"));
    }

    @Override public synchronized void segmentExpandMean(Buffer g, int cols, Indices offsets, Buffer out) {
        int segments = offsets.length() - 1;
        need(segments >= 0, "segmentExpandMean", "offsets must have at least one entry");
        if (cols == 0 || out.length() == 0 || segments == 0) return;
        int rows = out.length() / cols;
        need(g.length() >= (long) segments * cols, "segmentExpandMean", "gradient of " + g.length() + " floats for " + segments + " segments of " + cols);
        device.launch(Kernels.SEGMENT_EXPAND_MEAN, launch.linear((long) rows * cols), mem(g, "segmentExpandMean"), cols,
                indices(offsets).values.memory, segments, rows, mem(out, "segmentExpandMean"));
    }

    /** The device copy of {@code ids}, uploaded on first use and cached in {@link Indices#deviceCopy}. */
    private DeviceIndices indices(Indices ids) {
        if (ids.deviceCopy instanceof DeviceIndices d && d.valid(heap)) return d;
        DeviceIndices d = new DeviceIndices(upload(ids.array()));
        ids.deviceCopy = d;
        return d;
    }

    private DeviceHeap.Block upload(int[] values) {
        DeviceHeap.Block b = heap.allocate(4L * values.length, true);
        if (values.length > 0) device.upload(b.memory, values, values.length);
        return b;
    }

    // ---- random ----------------------------------------------------------------------------------

    @Override public synchronized void random(Distribution distribution, long seed, long stream, float p1, float p2, Buffer out) {
        int n = out.length();
        if (n == 0) return;
        String k = distribution == Distribution.UNIFORM ? Kernels.RANDOM_UNIFORM : Kernels.RANDOM_NORMAL;
        device.launch(k, launch.random(n), mem(out, "random"), n, seed, stream, p1, p2);
    }

    // ---- fused optimizer updates -----------------------------------------------------------------

    @Override public synchronized Fused.AdamResult adamStep(Buffer param, Buffer grad, Buffer m, Buffer v, Fused.AdamCoefficients c) {
        int n = param.length();
        need(grad.length() == n && (m == null) == (v == null) && (m == null || (m.length() == n && v.length() == n)), "adamStep",
                "parameter, gradient and moments must have one length (" + n + "), moments both present or both null");
        CudaBuffer p2 = allocateUnscoped(n), m2 = allocateUnscoped(n), v2 = allocateUnscoped(n);
        if (n > 0) {
            Device.Allocation mIn = m == null ? mem(grad, "adamStep") : mem(m, "adamStep"); // not read when there is no state
            Device.Allocation vIn = v == null ? mIn : mem(v, "adamStep");
            device.launch(Kernels.ADAM_STEP, launch.linear(n), mem(param, "adamStep"), mem(grad, "adamStep"), mIn, vIn, p2.block.memory,
                    m2.block.memory, v2.block.memory, n, m == null ? 0 : 1, c.beta1(), c.oneMinusBeta1(), c.beta2(), c.oneMinusBeta2(),
                    c.eps(), c.weightDecay(), c.stepSize(), c.invBias2());
        }
        return new Fused.AdamResult(p2, m2, v2);
    }

    @Override public synchronized Buffer withRows(Buffer base, int cols, Indices rows, Buffer block) {
        CudaBuffer out = allocateUnscoped(base.length()); // a parameter or moment for the next step: outlives the step's scope
        Fused.withRowsInto(this, base, cols, rows, block, out);
        return out;
    }

    @Override public synchronized Fused.SgdResult sgdStep(Buffer param, Buffer grad, Buffer momentum, Fused.SgdCoefficients c) {
        int n = param.length();
        need(grad.length() == n && (momentum == null || momentum.length() == n), "sgdStep",
                "parameter, gradient and momentum buffer must have one length (" + n + ")");
        CudaBuffer p2 = allocateUnscoped(n);
        CudaBuffer b2 = c.momentum() > 0 ? allocateUnscoped(n) : null;
        if (n > 0) {
            Device.Allocation bIn = momentum == null ? mem(grad, "sgdStep") : mem(momentum, "sgdStep"); // not read without a buffer
            device.launch(Kernels.SGD_STEP, launch.linear(n), mem(param, "sgdStep"), mem(grad, "sgdStep"), bIn, p2.block.memory,
                    b2 == null ? p2.block.memory : b2.block.memory, n, momentum == null ? 0 : 1, c.lr(), c.momentum(), c.weightDecay());
        }
        return new Fused.SgdResult(p2, b2);
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** The device memory of a live buffer of this backend. */
    private Device.Allocation mem(Buffer b, String op) {
        CudaBuffer c = CudaBuffer.of(b);
        if (c.block.heap() != heap) throw new IllegalArgumentException(op + ": the buffer belongs to another CUDA backend instance");
        if (c.block.freed()) throw CudaBuffer.freedError(c.block, op);
        return c.block.memory;
    }

    private static void need(boolean ok, String op, String what) {
        if (!ok) throw new IllegalArgumentException("cuda " + op + ": " + what);
    }

    DeviceHeap heap() { return heap; }

    CudaLaunch launchPlanner() { return launch; }

    Device device() { return device; }
}
