package io.metarec.backend.cuda;

import io.metarec.backend.Backend;
import io.metarec.backend.BackendUnavailableException;
import io.metarec.backend.Backends;
import io.metarec.cli.Main;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * How the CUDA backend is selected, and what users see where it cannot run: the reason, the
 * exit code 2 of {@code --backend cuda}, the one-line notice of {@code auto}, {@code info}'s line.
 */
class CudaAvailabilityTest {

    @Test void whereCudaCannotRunTheReasonIsStableAndSpecific() {
        assumeFalse(CudaBackend.available(), "CUDA is available here");
        BackendUnavailableException first = assertThrows(BackendUnavailableException.class, CudaBackend::create);
        BackendUnavailableException again = assertThrows(BackendUnavailableException.class, CudaBackend::create);
        assertEquals("cuda", first.backend());
        assertFalse(first.reason().isBlank());
        assertEquals(first.reason(), again.reason(), "the reason must not change between calls");
        if (!driverLibraryPresent()) assertEquals("no NVIDIA driver (libcuda.so.1)", first.reason());
    }

    @Test void backendCudaFailsWithTheReasonAndExitCode2() {
        assumeFalse(CudaBackend.available(), "CUDA is available here");
        String reason = reason();
        for (String command : List.of("verify", "info")) {
            Captured c = capture(() -> Main.run(command, "--backend", "cuda"));
            assertEquals(2, c.exit, command + " --backend cuda: exit code");
            assertTrue(c.err.contains("metarec " + command + ": cuda backend not available: " + reason), c.err);
        }
        System.setProperty("metarec.backend", "cuda");
        try {
            Captured c = capture(() -> Main.run("verify"));
            assertEquals(2, c.exit, "-Dmetarec.backend=cuda: exit code");
        } finally {
            System.clearProperty("metarec.backend");
        }
    }

    @Test void autoFallsBackToTheCpuWithOneNotice() {
        List<String> notices = new ArrayList<>();
        Consumer<String> saved = Backends.notices;
        Backends.notices = notices::add;
        Backend b;
        try {
            b = Backends.select("auto");
        } finally {
            Backends.notices = saved;
        }
        assertEquals(1, notices.size(), notices.toString());
        if (CudaBackend.available()) {
            assertEquals("cuda", b.name());
            assertTrue(notices.get(0).startsWith("backend auto: using cuda ("), notices.get(0));
        } else {
            assertNotEquals("cuda", b.name());
            assertEquals("backend auto: using " + b.name() + " (cuda not available: " + reason() + ")", notices.get(0));
        }
    }

    @Test void infoSaysWhyCudaIsUnavailableOrWhatItRunsOn() {
        Captured c = capture(() -> Main.run("info"));
        assertEquals(0, c.exit, c.err);
        if (CudaBackend.available()) assertTrue(c.out.contains("cuda: " + CudaBackend.create().describe()), c.out);
        else assertTrue(c.out.contains("  cuda: not available: " + reason()), c.out);
    }

    @Test void aWorkingBackendIsOneInstanceAndNamesItsGemm() {
        assumeTrue(CudaBackend.available(), "CUDA unavailable");
        assertSame(CudaBackend.create(), CudaBackend.create());
        assertTrue(CudaBackend.create().describe().contains("GEMM: "));
    }

    @Test void loaderErrorsBecomeShortReasons() {
        var noDriver = new UnsatisfiedLinkError("Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\"\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: cannot open shared object file: No such file or directory");
        assertEquals("no NVIDIA driver (libcuda.so.1)", JCudaDevice.driverLoadFailure(noDriver));
        assertEquals("no NVIDIA driver (libcuda.so.1)", JCudaDevice.driverLoadFailure(new NoClassDefFoundError("Could not initialize class jcuda.driver.JCudaDriver") {{
            initCause(noDriver);
        }}));
        var other = new UnsatisfiedLinkError("/tmp/libJCudaDriver.so: libstdc++.so.6: cannot open shared object file");
        assertEquals("JCuda's native library needs libstdc++.so.6, which is not installed", JCudaDevice.driverLoadFailure(other));
        var noBlas = new UnsatisfiedLinkError("Error while loading native library \"JCublas2-12.6.0-linux-x86_64\"\n"
                + "/tmp/libJCublas2-12.6.0-linux-x86_64.so: libcublas.so.12: cannot open shared object file: No such file or directory");
        assertTrue(JCudaDevice.blasLoadFailure(noBlas).startsWith("libcublas.so.12 not found"), JCudaDevice.blasLoadFailure(noBlas));
    }

    // ---- helpers -----------------------------------------------------------------------------

    private static String reason() {
        try {
            CudaBackend.create();
            throw new AssertionError("CUDA is available");
        } catch (BackendUnavailableException e) {
            return e.reason();
        }
    }

    /** Whether a libcuda.so.1 is in one of the places the dynamic loader usually finds it. */
    private static boolean driverLibraryPresent() {
        List<String> dirs = new ArrayList<>(List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu",
                "/usr/lib/wsl/lib", "/usr/local/cuda/lib64/stubs"));
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) dirs.addAll(List.of(ld.split(":")));
        return dirs.stream().anyMatch(d -> !d.isBlank() && Files.exists(Path.of(d, "libcuda.so.1")));
    }

    private record Captured(int exit, String out, String err) {}

    private static synchronized Captured capture(java.util.function.IntSupplier run) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int code = run.getAsInt();
            return new Captured(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
