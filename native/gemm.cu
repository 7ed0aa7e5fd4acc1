// Entry points of the fallback SGEMM (tiling in gemm.cuh): gemm_<tile>_<ta><tb>, n = plain, t = transposed.
#include "gemm.cuh"

#define MR_GEMM_KERNEL(tile, Cfg, suffix, TA, TB)                                                          \
    extern "C" __global__ void __launch_bounds__(mr::Cfg::THREADS)                                          \
        gemm_##tile##_##suffix(const float* a, const float* b, float* c, int batch, int m, int n, int k) {  \
        __shared__ float smem[mr::Cfg::SMEM];                                                               \
        mr::DeviceBlock blk;                                                                                \
        mr::gemm_body<mr::Cfg, TA, TB>(blk, smem, a, b, c, batch, m, n, k);                                 \
    }
#define MR_GEMM_KERNELS(tile, Cfg)                   \
    MR_GEMM_KERNEL(tile, Cfg, nn, false, false)      \
    MR_GEMM_KERNEL(tile, Cfg, nt, false, true)       \
    MR_GEMM_KERNEL(tile, Cfg, tn, true, false)       \
    MR_GEMM_KERNEL(tile, Cfg, tt, true, true)

MR_GEMM_KERNELS(large, GemmLarge)
MR_GEMM_KERNELS(medium, GemmMedium)
MR_GEMM_KERNELS(small, GemmSmall)
