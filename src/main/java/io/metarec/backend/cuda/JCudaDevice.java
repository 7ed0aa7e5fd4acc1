package io.metarec.backend.cuda;

import io.metarec.backend.BackendUnavailableException;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasMath;
import jcuda.jcublas.cublasOperation;
import jcuda.jcublas.cublasStatus;
import jcuda.runtime.cudaStream_t;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static jcuda.driver.JCudaDriver.*;

/**
 * {@link Device} on the CUDA driver API through JCuda: the device's primary context (shared with
 * cuBLAS, which uses the runtime API), one stream, the PTX modules of {@link Kernels} loaded once
 * with {@code cuModuleLoadData} and every entry looked up once into a map. Every driver call's
 * result is checked and turned into an exception naming the call and the CUDA error.
 */
final class JCudaDevice implements Device {
    private static final String CUDA = "cuda";
    private static final int MIN_MAJOR = 8; // the PTX targets compute_80

    private final CUdevice dev;
    private final CUcontext ctx;
    private final CUstream stream;
    private final List<CUmodule> modules;
    private final Map<String, CUfunction> functions;
    private final String description;
    private final int sms;
    private final cublasHandle blas;
    private final String blasUnavailable;
    private final boolean syncEachLaunch = Boolean.getBoolean("metarec.cuda.sync");
    private final ThreadLocal<Boolean> bound = ThreadLocal.withInitial(() -> false);

    private JCudaDevice(CUdevice dev, CUcontext ctx, CUstream stream, List<CUmodule> modules, Map<String, CUfunction> functions,
                        String description, int sms, cublasHandle blas, String blasUnavailable) {
        this.dev = dev;
        this.ctx = ctx;
        this.stream = stream;
        this.modules = modules;
        this.functions = functions;
        this.description = description;
        this.sms = sms;
        this.blas = blas;
        this.blasUnavailable = blasUnavailable;
        bound.set(true);
    }

    /** Opens the configured GPU, or says why it cannot be used. */
    static JCudaDevice open() {
        try {
            JCudaDriver.setExceptionsEnabled(false);
        } catch (LinkageError e) {
            throw new BackendUnavailableException(CUDA, driverLoadFailure(e));
        }
        int r = cuInit(0);
        if (r == CUresult.CUDA_ERROR_NO_DEVICE) throw new BackendUnavailableException(CUDA, "no CUDA device (cuInit: " + errorText(r) + ")");
        if (r == CUresult.CUDA_ERROR_STUB_LIBRARY)
            throw new BackendUnavailableException(CUDA, "no NVIDIA driver (libcuda.so.1 is the CUDA toolkit's stub library)");
        if (r != CUresult.CUDA_SUCCESS) throw new BackendUnavailableException(CUDA, "cuInit failed: " + errorText(r));
        int[] count = {0};
        unavailableUnless(cuDeviceGetCount(count), "cuDeviceGetCount");
        if (count[0] == 0) throw new BackendUnavailableException(CUDA, "no CUDA device");
        int ordinal = Integer.getInteger("metarec.cuda.device", 0);
        if (ordinal < 0 || ordinal >= count[0])
            throw new BackendUnavailableException(CUDA, "-Dmetarec.cuda.device=" + ordinal + " but there are " + count[0] + " device(s)");
        CUdevice dev = new CUdevice();
        unavailableUnless(cuDeviceGet(dev, ordinal), "cuDeviceGet");

        byte[] nameBytes = new byte[256];
        unavailableUnless(cuDeviceGetName(nameBytes, nameBytes.length, dev), "cuDeviceGetName");
        String name = cString(nameBytes);
        int major = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        int minor = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        int sms = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        if (major < MIN_MAJOR)
            throw new BackendUnavailableException(CUDA, name + " has compute capability " + major + "." + minor
                    + "; the kernels are PTX for compute_80 and need an Ampere GPU or newer");
        long[] total = {0};
        unavailableUnless(cuDeviceTotalMem(total, dev), "cuDeviceTotalMem");
        int[] driver = {0};
        unavailableUnless(cuDriverGetVersion(driver), "cuDriverGetVersion");
        String driverVersion = driver[0] / 1000 + "." + driver[0] % 1000 / 10;

        CUcontext ctx = new CUcontext();
        unavailableUnless(cuDevicePrimaryCtxRetain(ctx, dev), "cuDevicePrimaryCtxRetain");
        unavailableUnless(cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
        CUstream stream = new CUstream();
        unavailableUnless(cuStreamCreate(stream, 0), "cuStreamCreate"); // blocking: ordered with the legacy-stream copies

        List<CUmodule> modules = new java.util.ArrayList<>();
        Map<String, CUfunction> functions = new HashMap<>();
        for (var e : Kernels.MODULES.entrySet()) {
            String resource = Kernels.RESOURCE_DIR + e.getKey() + ".ptx";
            byte[] ptx = resource(resource);
            if (ptx == null)
                throw new BackendUnavailableException(CUDA, "kernels missing: " + resource
                        + " is not on the classpath (build the PTX with cmake; see docs/backends.md)");
            CUmodule module = new CUmodule();
            r = cuModuleLoadData(module, Arrays.copyOf(ptx, ptx.length + 1)); // NUL-terminated PTX text
            if (r != CUresult.CUDA_SUCCESS)
                throw new BackendUnavailableException(CUDA, "the driver cannot load the kernels (cuModuleLoadData " + resource + ": "
                        + errorText(r) + "); they are PTX ISA 9.0 from CUDA 13, which needs a CUDA 13 driver (this one: " + driverVersion + ")");
            modules.add(module);
            for (String entry : e.getValue()) {
                CUfunction f = new CUfunction();
                r = cuModuleGetFunction(f, module, entry);
                if (r != CUresult.CUDA_SUCCESS)
                    throw new BackendUnavailableException(CUDA, "kernels missing: no entry '" + entry + "' in " + resource
                            + " (stale PTX: rebuild it with cmake)");
                functions.put(entry, f);
            }
        }

        cublasHandle blas = null;
        String blasUnavailable = JCudaDependency.blasMissing(); // JCublas is optional too: then our GEMM kernel
        if (blasUnavailable == null) {
            try {
                JCublas2.setExceptionsEnabled(false);
                cublasHandle h = new cublasHandle();
                int st = JCublas2.cublasCreate(h);
                if (st != cublasStatus.CUBLAS_STATUS_SUCCESS) {
                    blasUnavailable = "cublasCreate: " + cublasStatus.stringFor(st);
                } else {
                    checkBlas(JCublas2.cublasSetStream(h, new cudaStream_t(stream)), "cublasSetStream");
                    checkBlas(JCublas2.cublasSetMathMode(h, cublasMath.CUBLAS_DEFAULT_MATH), "cublasSetMathMode"); // FP32, no TF32
                    blas = h;
                }
            } catch (LinkageError e) {
                blasUnavailable = blasLoadFailure(e);
            }
        }

        String description = String.format(Locale.ROOT, "%s, compute capability %d.%d, %d SMs, %.1f GiB, driver %s",
                name, major, minor, sms, total[0] / 1073741824.0, driverVersion);
        return new JCudaDevice(dev, ctx, stream, List.copyOf(modules), functions, description, sms, blas, blasUnavailable);
    }

    // ---- Device ----------------------------------------------------------------------------------

    @Override public String describe() { return description; }

    @Override public int multiprocessors() { return sms; }

    /** A block of device memory (the pointer JCuda filled in). */
    private record Memory(CUdeviceptr ptr, long bytes) implements Allocation {}

    @Override public Allocation allocate(long bytes) {
        bind();
        CUdeviceptr p = new CUdeviceptr();
        int r = cuMemAlloc(p, bytes);
        if (r == CUresult.CUDA_ERROR_OUT_OF_MEMORY)
            throw new DeviceOutOfMemoryException("cuMemAlloc(" + bytes + " bytes): " + errorText(r));
        check(r, "cuMemAlloc(" + bytes + " bytes)");
        return new Memory(p, bytes);
    }

    @Override public void free(Allocation memory) {
        bind();
        check(cuMemFree(ptr(memory)), "cuMemFree");
    }

    /*
     * Uploads are queued on the stream (cuMemcpyHtoDAsync): the synchronous cuMemcpyHtoD runs on the
     * legacy stream and waits for every queued kernel first, so each of a meta-step's uploads (the
     * stacked batch's indices, ~130 a step at 1,024 tasks) drained the GPU's queue. From pageable
     * memory such as a Java array the driver copies the source into its staging memory before the
     * call returns, so the array may change or move afterwards.
     */
    @Override public void upload(Allocation dst, float[] src, int count) {
        bind();
        check(cuMemcpyHtoDAsync(ptr(dst), Pointer.to(src), 4L * count, stream), "cuMemcpyHtoDAsync(" + count + " floats)");
    }

    @Override public void upload(Allocation dst, int[] src, int count) {
        bind();
        check(cuMemcpyHtoDAsync(ptr(dst), Pointer.to(src), 4L * count, stream), "cuMemcpyHtoDAsync(" + count + " ints)");
    }

    @Override public void download(Allocation src, float[] dst, int count) {
        bind();
        int r = cuMemcpyDtoH(Pointer.to(dst), ptr(src), 4L * count);
        if (r != CUresult.CUDA_SUCCESS)
            throw new CudaDriverException("cuMemcpyDtoH(" + count + " floats) failed: " + errorText(r)
                    + (syncEachLaunch ? "" : "; the error may come from an earlier kernel: run with -Dmetarec.cuda.sync=true to find it"));
    }

    @Override public void fill(Allocation dst, int bits, int count) {
        bind();
        check(cuMemsetD32Async(ptr(dst), bits, count, stream), "cuMemsetD32Async(" + count + " words)");
    }

    @Override public void launch(String kernel, CudaLaunch.Grid g, Object... args) {
        bind();
        CUfunction f = functions.get(kernel);
        if (f == null) throw new IllegalArgumentException("no CUDA kernel '" + kernel + "' (see Kernels.MODULES)");
        Pointer[] params = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a instanceof Memory m) params[i] = Pointer.to(m.ptr());
            else if (a instanceof Integer v) params[i] = Pointer.to(new int[] {v});
            else if (a instanceof Float v) params[i] = Pointer.to(new float[] {v});
            else if (a instanceof Long v) params[i] = Pointer.to(new long[] {v});
            else if (a instanceof int[] s) params[i] = Pointer.to(s);
            else throw new IllegalArgumentException(kernel + ": argument " + i + " of unsupported type " + (a == null ? "null" : a.getClass().getName()));
        }
        int r = cuLaunchKernel(f, g.gx(), g.gy(), g.gz(), g.bx(), g.by(), g.bz(), 0, stream, Pointer.to(params), null);
        check(r, "cuLaunchKernel(" + kernel + ", grid " + g.gx() + "×" + g.gy() + "×" + g.gz() + ", block " + g.bx() + "×" + g.by() + "×" + g.bz() + ")");
        if (syncEachLaunch) check(cuStreamSynchronize(stream), "kernel " + kernel);
    }

    @Override public String blasUnavailable() { return blasUnavailable; }

    /**
     * Row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: cuBLAS gets B first, the
     * transposes as given, and leading dimensions of the row-major storage.
     */
    @Override public void blasGemm(boolean ta, boolean tb, int batch, int m, int n, int k, Allocation a, Allocation b, Allocation c) {
        bind();
        int opA = ta ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
        int opB = tb ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
        int lda = ta ? m : k, ldb = tb ? k : n;
        Pointer one = Pointer.to(new float[] {1f}), zero = Pointer.to(new float[] {0f});
        if (batch == 1) {
            checkBlas(JCublas2.cublasSgemm(blas, opB, opA, n, m, k, one, ptr(b), ldb, ptr(a), lda, zero, ptr(c), n), "cublasSgemm");
        } else {
            checkBlas(JCublas2.cublasSgemmStridedBatched(blas, opB, opA, n, m, k, one, ptr(b), ldb, (long) k * n, ptr(a), lda,
                    (long) m * k, zero, ptr(c), n, (long) m * n, batch), "cublasSgemmStridedBatched");
        }
        if (syncEachLaunch) check(cuStreamSynchronize(stream), "cuBLAS GEMM");
    }

    @Override public void synchronize() {
        bind();
        check(cuStreamSynchronize(stream), "cuStreamSynchronize");
    }

    @Override public void close() {
        bind();
        if (blas != null) JCublas2.cublasDestroy(blas);
        cuStreamSynchronize(stream);
        for (CUmodule m : modules) cuModuleUnload(m);
        cuStreamDestroy(stream);
        cuDevicePrimaryCtxRelease(dev);
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** Makes the context current on the calling thread (once per thread). */
    private void bind() {
        if (!bound.get()) {
            check(cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
            bound.set(true);
        }
    }

    private static CUdeviceptr ptr(Allocation a) {
        return ((Memory) a).ptr();
    }

    private static int attribute(CUdevice dev, int attribute) {
        int[] v = {0};
        unavailableUnless(cuDeviceGetAttribute(v, attribute, dev), "cuDeviceGetAttribute(" + CUdevice_attribute.stringFor(attribute) + ")");
        return v[0];
    }

    private static void check(int result, String call) {
        if (result != CUresult.CUDA_SUCCESS) throw new CudaDriverException(call + " failed: " + errorText(result));
    }

    private static void checkBlas(int status, String call) {
        if (status != cublasStatus.CUBLAS_STATUS_SUCCESS) throw new CudaDriverException(call + " failed: " + cublasStatus.stringFor(status));
    }

    private static void unavailableUnless(int result, String call) {
        if (result != CUresult.CUDA_SUCCESS) throw new BackendUnavailableException(CUDA, call + " failed: " + errorText(result));
    }

    /** "CUDA_ERROR_X (the driver's text)". */
    static String errorText(int result) {
        String[] name = {null}, text = {null};
        cuGetErrorName(result, name);
        cuGetErrorString(result, text);
        return (name[0] != null ? name[0] : CUresult.stringFor(result)) + (text[0] != null ? " (" + text[0] + ")" : "");
    }

    private static byte[] resource(String path) {
        try (InputStream in = JCudaDevice.class.getClassLoader().getResourceAsStream(path)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new BackendUnavailableException(CUDA, "kernels unreadable: " + path + ": " + e.getMessage());
        }
    }

    private static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    private static final Pattern MISSING_LIBRARY = Pattern.compile("(lib[\\w.+-]+?\\.so(?:\\.\\d+)*): cannot open shared object file");

    /** Why JCuda's driver binding did not load, from the error and its causes (JCuda nests them in the message). */
    static String driverLoadFailure(Throwable e) {
        String all = chainText(e);
        if (all.contains("No resource found with name '/lib/libJCudaDriver"))
            return "JCuda's native library is not on the classpath: add " + JCudaDependency.DRIVER_NATIVES;
        if (all.contains("libcuda.so")) return "no NVIDIA driver (libcuda.so.1)";
        Matcher m = MISSING_LIBRARY.matcher(all);
        if (m.find()) return "JCuda's native library needs " + m.group(1) + ", which is not installed";
        return "JCuda's native library failed to load: " + firstLine(e);
    }

    /** Why JCublas did not load (typically: no libcuda 12 cuBLAS on a CUDA-13-only machine). */
    static String blasLoadFailure(Throwable e) {
        String all = chainText(e);
        if (all.contains("No resource found with name '/lib/libJCublas"))
            return "JCublas's native library is not on the classpath (add " + JCudaDependency.BLAS_NATIVES + ")";
        Matcher m = MISSING_LIBRARY.matcher(all);
        if (m.find()) return m.group(1) + " not found (JCublas 12.6 links the CUDA 12 cuBLAS; add its directory to LD_LIBRARY_PATH to use it)";
        return "JCublas failed to load: " + firstLine(e);
    }

    private static String chainText(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            sb.append(t).append('\n');
            for (Throwable s : t.getSuppressed()) sb.append(s).append('\n');
        }
        return sb.toString();
    }

    private static String firstLine(Throwable e) {
        String s = String.valueOf(e.getMessage());
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
