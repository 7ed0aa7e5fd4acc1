// Entry points of the reductions (bodies and the two-kernel strategy in reduce.cuh).
#include "reduce.cuh"

#define MR_REDUCE_KERNELS(name)                                                                          \
    extern "C" __global__ void __launch_bounds__(mr::REDUCE_THREADS)                                     \
        reduce_rows_##name(const float* x, float* out, int rows, int n, int chunk, int chunks) {         \
        __shared__ float partial[mr::REDUCE_THREADS];                                                    \
        mr::DeviceBlock b;                                                                               \
        mr::reduce_rows_body<mr::R_##name>(b, partial, x, out, rows, n, chunk, chunks);                  \
    }                                                                                                    \
    extern "C" __global__ void reduce_cols_##name(const float* x, float* out, int outer, int n, int inner, \
                                                  int chunk, int chunks) {                               \
        mr::reduce_cols_body<mr::R_##name>(mr::this_thread(), x, out, outer, n, inner, chunk, chunks);   \
    }
MR_REDUCE_OPS(MR_REDUCE_KERNELS)
