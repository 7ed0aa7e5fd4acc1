package io.metarec.backend.cuda;

/**
 * What {@link CudaBackend} needs from a GPU: memory, copies, kernel launches by name, and
 * optionally cuBLAS. {@link JCudaDevice} implements it with the CUDA driver API; the test suite
 * also runs the whole backend on an emulated device that executes the kernel bodies on the CPU.
 *
 * <p>All work goes to one stream in call order; {@link #download} waits for it. Every method
 * checks its driver calls and throws {@link CudaDriverException} with the CUDA error name and text.
 */
interface Device extends AutoCloseable {

    /** Device memory; opaque to the backend. */
    interface Allocation {
        long bytes();
    }

    /** One line: name, compute capability, SMs, memory, driver. */
    String describe();

    int multiprocessors();

    /** Largest grid y / z dimension to use: 65535 on every GPU. */
    default int gridLimit() {
        return 65535;
    }

    /** @throws DeviceOutOfMemoryException when the device has no room left (the caller may free cached memory and retry) */
    Allocation allocate(long bytes);

    void free(Allocation memory);

    void upload(Allocation dst, float[] src, int count);

    void upload(Allocation dst, int[] src, int count);

    /** Copies {@code count} floats to the host after all queued work has finished. */
    void download(Allocation src, float[] dst, int count);

    /** Sets {@code count} 32-bit words to {@code bits}. */
    void fill(Allocation dst, int bits, int count);

    /**
     * Queues kernel {@code kernel} (an entry of {@link Kernels#MODULES}). Arguments, in the
     * kernel's parameter order: {@link Allocation} (a device pointer), Integer (int), Float,
     * Long (unsigned long long), int[] (a struct of that many ints, e.g. Plan4).
     */
    void launch(String kernel, CudaLaunch.Grid grid, Object... args);

    /** Null when cuBLAS is usable, else why not (GEMM then runs on the kernels in native/gemm.cu). */
    String blasUnavailable();

    /** Backend.gemm through cuBLAS; only called when {@link #blasUnavailable()} is null. */
    void blasGemm(boolean ta, boolean tb, int batch, int m, int n, int k, Allocation a, Allocation b, Allocation c);

    /** Waits for all queued work; reports errors of earlier kernels. */
    void synchronize();

    @Override void close();
}
