package io.metarec.backend.cuda;

/**
 * The tile shapes of the fallback GEMM kernel (native/gemm.cuh), all 16 × 16 threads: a block
 * computes tileM × tileN outputs of C, each thread (tileM/16) × (tileN/16) of them.
 */
enum GemmTile {
    LARGE("large", 64, 64),
    MEDIUM("medium", 32, 32),
    SMALL("small", 16, 16);

    final String kernelPrefix;
    final int tileM, tileN;

    GemmTile(String kernelPrefix, int tileM, int tileN) {
        this.kernelPrefix = kernelPrefix;
        this.tileM = tileM;
        this.tileN = tileN;
    }

    /** Threads per block in x and y (the same for every tile). */
    static final int THREADS_X = 16, THREADS_Y = 16;
}
