package io.metarec.backend.cuda;

/**
 * Launch geometry: grid and block sizes for each kernel family, and the multi-pass plans of the
 * reductions. Pure arithmetic on the problem shape and the device's SM count, so it is tested
 * without a GPU; the host harness then runs the kernels with exactly these launches.
 *
 * <p>Invariants the kernels rely on (native/metarec.cuh): gridDim.x · blockDim.x ≤ 2^30 for the
 * grid-stride kernels, grid y and z within the device limit (the kernels loop over the rest).
 */
final class CudaLaunch {
    /** Threads per block of the grid-stride and row-reduction kernels (REDUCE_THREADS in reduce.cuh). */
    static final int THREADS = 256;
    /** Transpose blocks: 32 × 8 threads over a 32 × 32 tile (TRANSPOSE_TILE, TRANSPOSE_ROWS). */
    static final int TRANSPOSE_TILE = 32, TRANSPOSE_ROWS = 8;
    /** Rows shorter than this are reduced by one thread each (reduce_cols), longer ones by a block. */
    static final int ROW_KERNEL_MIN_N = 128;

    /** A launch: grid (gx, gy, gz) of blocks of (bx, by, bz) threads. */
    record Grid(int gx, int gy, int gz, int bx, int by, int bz) {
        long threads() { return (long) gx * gy * gz * bx * by * bz; }
    }

    /** How one reduction runs: kernel family, chunking of n, and whether a second pass follows. */
    record ReducePlan(boolean rowKernel, int chunk, int chunks) {
        boolean twoPass() { return chunks > 1; }
    }

    private final int sms;
    private final int gridLimit;

    /**
     * @param sms       streaming multiprocessors of the device (sizes grids so all are busy)
     * @param gridLimit largest grid y / z dimension used (65535 on GPUs; the emulator passes less
     *                  so that the kernels' loops over the grid run in tests)
     */
    CudaLaunch(int sms, int gridLimit) {
        if (sms < 1 || gridLimit < 1) throw new IllegalArgumentException("sms and gridLimit must be positive: " + sms + ", " + gridLimit);
        this.sms = sms;
        this.gridLimit = gridLimit;
    }

    int multiprocessors() { return sms; }

    /** A grid-stride kernel over {@code work} items: enough blocks to fill the device, no more. */
    Grid linear(long work) {
        long blocks = Math.max(1, Math.min(ceilDiv(work, THREADS), Math.min(8L * sms, (1 << 30) / THREADS)));
        return new Grid((int) blocks, 1, 1, THREADS, 1, 1);
    }

    /** The Philox kernels: one thread per block of four elements. */
    Grid random(int n) {
        return linear(ceilDiv(n, 4));
    }

    /** The row-reduction kernel over (chunks, rows). */
    Grid reduceRows(int rows, int chunks) {
        return new Grid(Math.min(chunks, gridLimit), Math.min(rows, gridLimit), 1, THREADS, 1, 1);
    }

    Grid transpose(int batch, int rows, int cols) {
        int tilesX = ceilDiv(cols, TRANSPOSE_TILE), tilesY = ceilDiv(rows, TRANSPOSE_TILE);
        return new Grid(Math.min(tilesX, gridLimit), Math.min(tilesY, gridLimit), Math.min(batch, gridLimit),
                TRANSPOSE_TILE, TRANSPOSE_ROWS, 1);
    }

    Grid gemm(GemmTile tile, int batch, int m, int n) {
        return new Grid(Math.min(ceilDiv(n, tile.tileN), gridLimit), Math.min(ceilDiv(m, tile.tileM), gridLimit),
                Math.min(batch, gridLimit), GemmTile.THREADS_X, GemmTile.THREADS_Y, 1);
    }

    /**
     * The tile for a (batched) product: the largest whose tiles are at least half useful (not
     * mostly padding past m or n) and that still gives every SM a block; else the smallest. The
     * batched MAML shapes (many tasks of a few dozen rows) land on the medium or small tiles with
     * the whole batch in one launch.
     */
    GemmTile gemmTile(int batch, int m, int n) {
        for (GemmTile t : new GemmTile[] {GemmTile.LARGE, GemmTile.MEDIUM}) {
            long blocks = (long) batch * ceilDiv(m, t.tileM) * ceilDiv(n, t.tileN);
            double useful = (double) m * n / ((double) roundUp(m, t.tileM) * roundUp(n, t.tileN));
            if (useful >= 0.5 && blocks >= sms) return t;
        }
        return GemmTile.SMALL;
    }

    /**
     * Reduction of an [outer, n, inner] view. Long contiguous rows (inner = 1) go to the block
     * kernel, everything else to one thread per output. When the outputs cannot fill the device,
     * n is cut into chunks whose partial results a second pass (planned the same way) combines.
     */
    ReducePlan reduce(int outer, int n, int inner) {
        if (n == 0) return new ReducePlan(false, 1, 1);
        int chunks = 1;
        boolean rows = inner == 1 && n >= ROW_KERNEL_MIN_N;
        if (rows) {
            long targetBlocks = 4L * sms;
            if (outer < targetBlocks) chunks = (int) Math.max(1, Math.min(ceilDiv(targetBlocks, outer), ceilDiv(n, 4096)));
        } else {
            long outputs = (long) outer * inner, targetThreads = 2048L * sms;
            if (outputs < targetThreads) chunks = (int) Math.max(1, Math.min(ceilDiv(targetThreads, outputs), ceilDiv(n, 64)));
        }
        int chunk = ceilDiv(n, chunks);
        return new ReducePlan(rows, chunk, ceilDiv(n, chunk));
    }

    static int ceilDiv(int a, int b) {
        return (int) ceilDiv((long) a, b);
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    private static long roundUp(int a, int b) {
        return ceilDiv((long) a, b) * b;
    }
}
