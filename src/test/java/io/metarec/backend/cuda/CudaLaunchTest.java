package io.metarec.backend.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Launch geometry invariants the kernels rely on (see native/metarec.cuh), for GPU-sized and tiny devices. */
class CudaLaunchTest {
    private final CudaLaunch h200 = new CudaLaunch(132, 65535), tiny = new CudaLaunch(1, 3);

    @Test void gridStrideLaunchesFillTheDeviceAndNeverOverflowThirtyTwoBitIndices() {
        for (CudaLaunch l : new CudaLaunch[] {h200, tiny}) {
            for (long n : new long[] {1, 255, 256, 257, 1 << 20, Integer.MAX_VALUE}) {
                CudaLaunch.Grid g = l.linear(n);
                assertTrue(g.gx() >= 1 && g.gx() <= 8 * l.multiprocessors(), g.toString());
                assertTrue((long) g.gx() * g.bx() <= 1L << 30, g.toString());
                assertEquals(CudaLaunch.THREADS, g.bx());
            }
        }
        assertEquals(1056, h200.linear(Integer.MAX_VALUE).gx());
    }

    @Test void reductionPlansCoverEveryElementOnce() {
        for (CudaLaunch l : new CudaLaunch[] {h200, tiny}) {
            for (int outer : new int[] {1, 3, 500, 100_000})
                for (int n : new int[] {1, 7, 127, 128, 4099, 1 << 20})
                    for (int inner : new int[] {1, 5, 64}) {
                        CudaLaunch.ReducePlan p = l.reduce(outer, n, inner);
                        String what = "[" + outer + ", " + n + ", " + inner + "] " + p;
                        assertTrue((long) p.chunk() * p.chunks() >= n && (long) p.chunk() * (p.chunks() - 1) < n, what + ": chunks miss or leave an empty chunk");
                        assertEquals(inner == 1 && n >= CudaLaunch.ROW_KERNEL_MIN_N, p.rowKernel(), what);
                        if ((long) outer * inner >= 2048L * l.multiprocessors()) assertEquals(1, p.chunks(), what + ": enough outputs, one pass");
                    }
        }
        CudaLaunch.ReducePlan sumAll = h200.reduce(1, 1 << 24, 1);
        assertTrue(sumAll.rowKernel() && sumAll.chunks() >= 132, "a full sum spreads over every SM: " + sumAll);
    }

    @Test void gemmTilesFitTheMetaBatchShapes() {
        assertEquals(GemmTile.LARGE, h200.gemmTile(1, 1024, 1024));
        assertEquals(GemmTile.MEDIUM, h200.gemmTile(1024, 20, 64), "1024 tasks × 20 support rows × 64 hidden");
        assertEquals(GemmTile.SMALL, h200.gemmTile(32, 20, 64), "32 tasks: more, smaller blocks");
        assertEquals(GemmTile.SMALL, h200.gemmTile(1024, 20, 1), "the output layer");
        CudaLaunch.Grid g = h200.gemm(GemmTile.MEDIUM, 1024, 20, 64);
        assertEquals(new CudaLaunch.Grid(2, 1, 1024, 16, 16, 1), g);
        CudaLaunch.Grid capped = tiny.gemm(GemmTile.SMALL, 100, 1000, 1000);
        assertTrue(capped.gx() <= 3 && capped.gy() <= 3 && capped.gz() <= 3, capped.toString());
    }

    @Test void transposeGridsStayWithinTheDeviceLimits() {
        CudaLaunch.Grid g = h200.transpose(70_000, 5_000_000, 1);
        assertTrue(g.gy() <= 65535 && g.gz() <= 65535 && g.bx() == 32 && g.by() == 8, g.toString());
    }
}
