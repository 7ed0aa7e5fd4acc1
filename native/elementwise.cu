// Entry points of the elementwise kernels (bodies and semantics in elementwise.cuh).
#include "elementwise.cuh"

#define MR_UNARY_KERNEL(name)                                                                        \
    extern "C" __global__ void unary_##name(const float* x, float* out, int n, float p1, float p2) { \
        mr::unary_body<mr::U_##name>(mr::this_thread(), x, out, n, p1, p2);                          \
    }
MR_UNARY_OPS(MR_UNARY_KERNEL)

#define MR_BINARY_KERNEL(name)                                                                                \
    extern "C" __global__ void binary_##name(const float* a, const float* b, float* out, int n) {             \
        mr::binary_body<mr::B_##name>(mr::this_thread(), a, b, out, n);                                       \
    }                                                                                                         \
    extern "C" __global__ void binary_bcast_##name(const float* a, const float* b, float* out, int n,         \
                                                   mr::Plan4 plan) {                                          \
        mr::binary_bcast_body<mr::B_##name>(mr::this_thread(), a, b, out, n, plan);                           \
    }
MR_BINARY_OPS(MR_BINARY_KERNEL)

extern "C" __global__ void expand(const float* x, float* out, int n, mr::Plan4 plan) {
    mr::expand_body(mr::this_thread(), x, out, n, plan);
}

extern "C" __global__ void where_select(const float* cond, const float* a, const float* b, float* out, int n) {
    mr::where_body(mr::this_thread(), cond, a, b, out, n);
}

extern "C" __global__ void copy2d(const float* src, int srcOffset, int srcStride, float* dst, int dstOffset,
                                  int dstStride, int rows, int cols) {
    mr::copy2d_body(mr::this_thread(), src, srcOffset, srcStride, dst, dstOffset, dstStride, rows, cols);
}

extern "C" __global__ void __launch_bounds__(mr::TRANSPOSE_TILE * mr::TRANSPOSE_ROWS)
    transpose(const float* x, float* out, int batch, int rows, int cols) {
    __shared__ float tile[mr::TRANSPOSE_SMEM];
    mr::DeviceBlock b;
    mr::transpose_body(b, tile, x, out, batch, rows, cols);
}
