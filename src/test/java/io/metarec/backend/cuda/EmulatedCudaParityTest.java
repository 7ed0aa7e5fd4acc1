package io.metarec.backend.cuda;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The parity contract on {@link EmulatedDevice}: the real {@link CudaBackend} and the real kernel
 * bodies, executed per emulated thread on the CPU (1 SM, grid limit 3, so every loop over the grid
 * runs). Skipped only where no C++ compiler can build the harness.
 */
class EmulatedCudaParityTest extends CudaParityContract {
    private static CudaBackend backend;

    @BeforeAll static void start() {
        KernelHarness.get().ifPresent(h -> backend = new CudaBackend(new EmulatedDevice(h, 1, 3)));
    }

    @BeforeEach void requireHarness() {
        assumeTrue(backend != null, () -> "kernel harness unavailable: " + KernelHarness.unavailableReason());
    }

    @Override CudaBackend cuda() { return backend; }

    @Override int maxGemmSide() { return 300; }

    /** Each tile shape of the fallback GEMM, each transpose, batched, at edge-straddling sizes. */
    @Test void everyGemmTileComputesEveryTranspose() {
        int[][] shapes = {{1, 1, 1}, {17, 33, 19}, {65, 70, 40}, {16, 16, 16}, {3, 130, 5}};
        for (GemmTile tile : GemmTile.values())
            for (int[] s : shapes)
                for (int batch : new int[] {1, 4})
                    for (int f = 0; f < 4; f++) checkGemm(backend, tile, (f & 2) != 0, (f & 1) != 0, batch, s[0], s[1], s[2]);
    }
}
