package io.metarec.backend.cuda;

import io.metarec.backend.Buffer;
import io.metarec.cli.Main;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The parity contract on a real GPU (skipped, with the reason, where CUDA is unavailable). */
class GpuCudaParityTest extends CudaParityContract {
    private static CudaBackend backend;
    private static String unavailable;

    @BeforeAll static void open() {
        try {
            backend = CudaBackend.create();
        } catch (io.metarec.backend.BackendUnavailableException e) {
            unavailable = e.reason();
        }
    }

    @BeforeEach void requireCuda() { // per test, so every test reports itself skipped with the reason
        assumeTrue(backend != null, () -> "CUDA unavailable: " + unavailable);
    }

    @Override CudaBackend cuda() { return backend; }

    /** Every tile of our GEMM kernel on the device too (cuBLAS may be what gemm() uses). */
    @Test void everyGemmTileComputesEveryTranspose() {
        int[][] shapes = {{1, 1, 1}, {17, 33, 19}, {65, 70, 40}, {128, 128, 128}, {3, 1030, 5}, {257, 255, 300}};
        for (GemmTile tile : GemmTile.values())
            for (int[] s : shapes)
                for (int batch : new int[] {1, 5})
                    for (int f = 0; f < 4; f++) checkGemm(backend, tile, (f & 2) != 0, (f & 1) != 0, batch, s[0], s[1], s[2]);
    }

    @Test void theKernelsRunInOrderWithoutErrorsAfterManyLaunches() {
        Buffer x = backend.upload(data(1 << 20, 1, false));
        Buffer y = backend.allocate(1 << 20);
        for (int i = 0; i < 1000; i++) backend.unary(io.metarec.backend.Unary.AFFINE, x, y, 1f, 1f);
        backend.device().synchronize();
        float[] out = backend.download(y);
        assertEquals(out.length, 1 << 20);
    }

    @Test void verifyCommandPassesOnCuda() {
        assertEquals(0, Main.run("verify", "--backend", "cuda"), "metarec verify --backend cuda");
        assertTrue(backend.describe().contains("GEMM"), backend.describe());
    }
}
