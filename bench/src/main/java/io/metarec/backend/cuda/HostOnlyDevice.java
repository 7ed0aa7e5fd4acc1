package io.metarec.backend.cuda;

/**
 * A {@link Device} that does nothing: allocations are handles, launches and copies return at
 * once, downloads leave zeros. The CUDA backend on it runs all of its host side (graph building,
 * index plans, stacking, launch planning) with no GPU work, so a benchmark on it measures the
 * host's cost per step: the ceiling of the real backend wherever the GPU finishes its queue
 * sooner than the host fills it (a 1,024-task MeLU meta-step on an H200, docs/benchmarks.md).
 * Lives in the backend's package, in bench/ only: the backend's device interface is not public.
 */
public final class HostOnlyDevice implements Device {
    private record Handle(long bytes) implements Allocation {}

    private HostOnlyDevice() {}

    /** A CUDA backend on a device that does nothing (its own instance, not the process's GPU backend). */
    public static CudaBackend backend() {
        return new CudaBackend(new HostOnlyDevice());
    }

    @Override public String describe() { return "host only: no GPU work"; }

    @Override public int multiprocessors() { return 132; } // an H200's, so launch plans are those of the measured GPU

    @Override public Allocation allocate(long bytes) { return new Handle(bytes); }

    @Override public void free(Allocation memory) {}

    @Override public void upload(Allocation dst, float[] src, int count) {}

    @Override public void upload(Allocation dst, int[] src, int count) {}

    @Override public void download(Allocation src, float[] dst, int count) {}

    @Override public void fill(Allocation dst, int bits, int count) {}

    @Override public void launch(String kernel, CudaLaunch.Grid grid, Object... args) {}

    @Override public String blasUnavailable() { return "host-only device"; }

    @Override public void blasGemm(boolean ta, boolean tb, int batch, int m, int n, int k, Allocation a, Allocation b, Allocation c) {}

    @Override public void synchronize() {}

    @Override public void close() {}
}
