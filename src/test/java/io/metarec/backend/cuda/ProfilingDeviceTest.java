package io.metarec.backend.cuda;

import io.metarec.autograd.ShapeOps;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Binary;
import io.metarec.backend.Broadcast;
import io.metarec.backend.Buffer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** -Dmetarec.cuda.profile's device: results unchanged, every launch counted under its kernel and grid. */
class ProfilingDeviceTest {

    /** A profiling device over the emulated one (skips where the harness cannot be compiled). */
    private static ProfilingDevice profiledEmulator() {
        var harness = KernelHarness.get();
        assumeTrue(harness.isPresent(), "no C++ compiler for the kernel harness");
        return new ProfilingDevice(new EmulatedDevice(harness.get(), 1, 3));
    }

    @Test
    void countsEachKernelAndLeavesResultsAlone() {
        ProfilingDevice profiled = profiledEmulator();
        CudaBackend cuda = new CudaBackend(profiled);
        Broadcast same = Broadcast.of("test", new int[] {3}, new int[] {3});
        Buffer a = cuda.upload(new float[] {1, 2, 3}), b = cuda.upload(new float[] {10, 20, 30}), c = cuda.allocate(3);
        for (int i = 0; i < 3; i++) cuda.binary(Binary.ADD, a, b, c, same);
        cuda.binary(Binary.MUL, a, b, c, same);
        assertArrayEquals(new float[] {10, 40, 90}, cuda.download(c));

        String report = report(profiled);
        assertTrue(report.startsWith("cuda profile: "), report);
        assertTrue(report.lines().anyMatch(l -> l.trim().startsWith("3 ") && l.contains(Kernels.binary(Binary.ADD) + " (")), report);
        assertTrue(report.lines().anyMatch(l -> l.trim().startsWith("1 ") && l.contains(Kernels.binary(Binary.MUL) + " (")), report);
        assertTrue(report.lines().anyMatch(l -> l.trim().startsWith("2 ") && l.endsWith("upload")), report);
        assertTrue(report.lines().anyMatch(l -> l.trim().startsWith("1 ") && l.endsWith("download")), report);
    }

    /**
     * Constants uploaded from host data are joined on the host (one upload, no copy kernel per
     * part: a 1,024-task meta-batch stacks 2,048 target tensors a step); a part that needs
     * gradients keeps the device copies and the graph. Same values either way.
     */
    @Test
    void concatOfUploadedConstantsIsOneUploadNotOneCopyPerPart() {
        ProfilingDevice profiled = profiledEmulator();
        CudaBackend cuda = new CudaBackend(profiled);
        java.util.List<Tensor> parts = new java.util.ArrayList<>();
        float[] expected = new float[3 * 40];
        for (int p = 0; p < 40; p++) {
            float[] v = {p, p + 0.25f, p + 0.5f};
            System.arraycopy(v, 0, expected, 3 * p, 3);
            parts.add(Tensor.of(cuda, v, 3, 1));
        }
        String before = report(profiled);
        Tensor joined = ShapeOps.concat(parts, 0);
        assertArrayEquals(expected, joined.toArray());
        assertArrayEquals(new int[] {120, 1}, joined.shape());
        String after = report(profiled);
        assertEquals(count(before, "copy2d"), count(after, "copy2d"), after);
        assertEquals(count(before, "upload") + 1, count(after, "upload"), after);

        // along axis 1 (outer > 1) too
        Tensor a = Tensor.of(cuda, new float[] {1, 2, 3, 4}, 2, 2), b = Tensor.of(cuda, new float[] {5, 6}, 2, 1);
        assertArrayEquals(new float[] {1, 2, 5, 3, 4, 6}, ShapeOps.concat(java.util.List.of(a, b), 1).toArray());

        // a large constant keeps no host copy (a parameter, a catalogue): its concat copies on the device
        String beforeLarge = report(profiled);
        Tensor large = Tensor.of(cuda, new float[5000], 5000, 1);
        assertArrayEquals(new float[] {5, 6}, java.util.Arrays.copyOfRange(ShapeOps.concat(java.util.List.of(b, large), 0).toArray(), 0, 2));
        assertEquals(count(beforeLarge, "copy2d") + 2, count(report(profiled), "copy2d"));

        // a variable among the parts: the device path, differentiable
        Tensor w = Tensor.of(cuda, new float[] {7, 8}, 2, 1).requiringGrad();
        Tensor mixed = ShapeOps.concat(java.util.List.of(b, w), 0);
        assertArrayEquals(new float[] {5, 6, 7, 8}, mixed.toArray());
        assertTrue(mixed.requiresGrad());
        assertTrue(count(report(profiled), "copy2d") > count(after, "copy2d"));
        assertArrayEquals(new float[] {1, 1}, io.metarec.autograd.Autograd.grad(mixed.sum(), java.util.List.of(w), false).get(0).toArray());
    }

    private static String report(ProfilingDevice profiled) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        profiled.report(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The calls of every report line whose call starts with {@code call}. */
    private static long count(String report, String call) {
        return report.lines().skip(2).map(String::trim).filter(l -> l.split("\\s+", 6)[5].startsWith(call))
                .mapToLong(l -> Long.parseLong(l.split("\\s+")[0])).sum();
    }
}
