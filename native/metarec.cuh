// Common definitions of the metarec CUDA kernels.
//
// Every kernel body in native/*.cuh is a __host__ __device__ function, so the same code runs in
// two places: on the GPU, called by the extern "C" __global__ wrappers in native/*.cu, and on the
// CPU, called per emulated thread by the host harness (native/harness/harness.cpp), which the
// JUnit suite drives against the Java oracle (ScalarBackend, Philox) on machines without a GPU.
//
//   * Grid-stride kernels take a `const Thread&` (their position in the launch).
//   * Block-cooperative kernels (shared memory, __syncthreads) take a Block and are written as
//     phases: `b.each([&](Dim3 tid, int lin) {...})` runs a phase for every thread of the block
//     (on the GPU: for this thread), `b.sync()` separates phases, `Reg<T>` is per-thread state that
//     lives across phases. The harness runs each phase for all threads in turn, in ascending or
//     descending thread order, so a race inside a phase changes the result and fails a test.
//
// Numerics: the kernels must give the same bits as the Java reference wherever Java does (the
// enums' apply methods). Hence: products and sums that Java rounds separately are written with
// mul()/add() (__fmul_rn/__fadd_rn on the device, never contracted into an fma; the build also
// passes -fmad=false), fused multiply-adds only where Java calls Math.fma (Unary.AFFINE, Philox)
// or where no bitwise match is expected (GEMM), and the transcendental ops in double, as
// Unary.apply computes them.
//
// Index arithmetic: tensors hold fewer than 2^31 elements and the Java launch planner keeps
// gridDim.x * blockDim.x <= 2^30, so 32-bit unsigned loop indices never wrap.
#pragma once

#include <stdint.h>

#if defined(__CUDACC__)
#define MR_HD __host__ __device__ __forceinline__
#define MR_UNROLL _Pragma("unroll")
#else
#define MR_HD inline
#define MR_UNROLL
#endif
#include <cmath>
#include <cstring>

namespace mr {

struct Dim3 {
    unsigned x, y, z;
};

/** One thread's place in a launch: grid and block sizes, its block index and its thread index. */
struct Thread {
    Dim3 grid, block, bid, tid;
    MR_HD unsigned first() const { return bid.x * block.x + tid.x; }
    MR_HD unsigned stride() const { return grid.x * block.x; }
};

#if defined(__CUDACC__)
__device__ __forceinline__ Thread this_thread() {
    return Thread{{gridDim.x, gridDim.y, gridDim.z}, {blockDim.x, blockDim.y, blockDim.z},
                  {blockIdx.x, blockIdx.y, blockIdx.z}, {threadIdx.x, threadIdx.y, threadIdx.z}};
}

/** The GPU side of the Block contract: each() runs the phase for the calling thread. */
struct DeviceBlock {
    Dim3 grid, block, bid;
    __device__ DeviceBlock()
        : grid{gridDim.x, gridDim.y, gridDim.z}, block{blockDim.x, blockDim.y, blockDim.z},
          bid{blockIdx.x, blockIdx.y, blockIdx.z} {}
    template <class F> __device__ __forceinline__ void each(F f) const {
        f(Dim3{threadIdx.x, threadIdx.y, threadIdx.z},
          (int)(threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z)));
    }
    __device__ __forceinline__ void sync() const { __syncthreads(); }
    /** Per-thread state: on the GPU simply a local (register) variable. */
    template <class T> struct Reg {
        T v;
        __device__ explicit Reg(const DeviceBlock&) {}
        __device__ __forceinline__ T& operator[](int) { return v; }
    };
};
#endif

// ---- IEEE-754 operations that must not be contracted or reordered -------------------------------

MR_HD float add(float a, float b) {
#if defined(__CUDA_ARCH__)
    return __fadd_rn(a, b);
#else
    return a + b;
#endif
}
MR_HD float sub(float a, float b) {
#if defined(__CUDA_ARCH__)
    return __fsub_rn(a, b);
#else
    return a - b;
#endif
}
MR_HD float mul(float a, float b) {
#if defined(__CUDA_ARCH__)
    return __fmul_rn(a, b);
#else
    return a * b;
#endif
}
MR_HD float div(float a, float b) {
#if defined(__CUDA_ARCH__)
    return __fdiv_rn(a, b);
#else
    return a / b;
#endif
}
/** Math.fma(a, b, c): one rounding. */
MR_HD float fma(float a, float b, float c) {
#if defined(__CUDA_ARCH__)
    return __fmaf_rn(a, b, c);
#else
    return std::fma(a, b, c);
#endif
}
/** (float) Math.sqrt(x): correctly rounded, as is the float square root. */
MR_HD float sqrt_rn(float x) {
#if defined(__CUDA_ARCH__)
    return __fsqrt_rn(x);
#else
    return std::sqrt(x);
#endif
}
MR_HD int32_t float_bits(float x) {
#if defined(__CUDA_ARCH__)
    return __float_as_int(x);
#else
    int32_t i;
    std::memcpy(&i, &x, 4);
    return i;
#endif
}
MR_HD float bits_float(int32_t i) {
#if defined(__CUDA_ARCH__)
    return __int_as_float(i);
#else
    float x;
    std::memcpy(&x, &i, 4);
    return x;
#endif
}
/** High 32 bits of the 64-bit product. */
MR_HD uint32_t mulhi(uint32_t a, uint32_t b) {
#if defined(__CUDA_ARCH__)
    return __umulhi(a, b);
#else
    return (uint32_t)(((uint64_t)a * b) >> 32);
#endif
}

// Double-precision library functions, as Java's Math computes the transcendental Unary ops.
MR_HD double d_exp(double x) { return std::exp(x); }
MR_HD double d_log(double x) { return std::log(x); }
MR_HD double d_log1p(double x) { return std::log1p(x); }
MR_HD double d_sqrt(double x) { return std::sqrt(x); }
MR_HD double d_tanh(double x) { return std::tanh(x); }
MR_HD double d_sin(double x) { return std::sin(x); }
MR_HD double d_cos(double x) { return std::cos(x); }
MR_HD double d_pow(double x, double y) { return std::pow(x, y); }
MR_HD float f_floor(float x) { return std::floor(x); }

/** java.lang.Math.max(float, float): NaN wins, +0 beats -0. */
MR_HD float jmax(float a, float b) {
    if (a != a) return a;
    if (a == 0.0f && b == 0.0f && float_bits(a) == (int32_t)0x80000000) return b;
    return a >= b ? a : b;
}
/** java.lang.Math.min(float, float): NaN wins, -0 beats +0. */
MR_HD float jmin(float a, float b) {
    if (a != a) return a;
    if (a == 0.0f && b == 0.0f && float_bits(b) == (int32_t)0x80000000) return b;
    return a <= b ? a : b;
}
/** java.lang.Math.max(a, 0.0) for doubles (SOFTPLUS): NaN stays NaN, -0 becomes +0. */
MR_HD double jmax0(double a) {
    if (a != a) return a;
    return a > 0.0 ? a : 0.0;
}

/**
 * java.lang.Math.pow: C's pow except that a NaN exponent gives NaN even for base 1, and |x| = 1
 * with an infinite exponent gives NaN (C returns 1 in both cases).
 */
MR_HD double jpow(double x, double y) {
    if (y != y) return y;
    bool infinite = y - y != y - y;  // inf - inf is NaN; finite y gives 0
    if ((x == 1.0 || x == -1.0) && infinite) return y - y;
    return d_pow(x, y);
}

/** Elementwise.affine: the identity when (scale, shift) = (1, 0), else Unary.AFFINE, fma(scale, x, shift). */
MR_HD float affine(float x, float scale, float shift) {
    return scale == 1.0f && shift == 0.0f ? x : fma(scale, x, shift);
}

}  // namespace mr
