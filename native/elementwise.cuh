// Elementwise kernels: unary ops, binary ops with broadcasting, expand, where, copy2d, transpose.
// The op semantics are those of io.metarec.backend.Unary / Binary (their apply methods).
#pragma once
#include "metarec.cuh"

// The op lists, in the order and spelling of the Java enums; each op becomes one kernel entry
// (unary_EXP, binary_ADD, binary_bcast_ADD, ...), which the Java side looks up by name.
#define MR_UNARY_OPS(X) \
    X(NEG) X(EXP) X(LOG) X(SQRT) X(ABS) X(SIGN) X(SQUARE) X(RECIPROCAL) X(POW) X(AFFINE) X(RELU) \
    X(LEAKY_RELU) X(STEP) X(SIGMOID) X(TANH) X(SOFTPLUS) X(CLAMP) X(IN_RANGE) X(SIN) X(COS)
#define MR_BINARY_OPS(X) \
    X(ADD) X(SUB) X(MUL) X(DIV) X(MAX) X(MIN) X(GT) X(EQ) X(RELU_GRAD) X(SIGMOID_GRAD) X(TANH_GRAD)

namespace mr {

#define MR_ENUM_ENTRY(name) U_##name,
enum UnaryOp { MR_UNARY_OPS(MR_ENUM_ENTRY) };
#undef MR_ENUM_ENTRY
#define MR_ENUM_ENTRY(name) B_##name,
enum BinaryOp { MR_BINARY_OPS(MR_ENUM_ENTRY) };
#undef MR_ENUM_ENTRY

/** Unary.apply. */
template <int OP> MR_HD float unary_apply(float x, float p1, float p2) {
    if constexpr (OP == U_NEG) return -x;
    else if constexpr (OP == U_EXP) return (float)d_exp((double)x);
    else if constexpr (OP == U_LOG) return (float)d_log((double)x);
    else if constexpr (OP == U_SQRT) return sqrt_rn(x);
    else if constexpr (OP == U_ABS) return bits_float(float_bits(x) & 0x7FFFFFFF);
    else if constexpr (OP == U_SIGN) return x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : 0.0f;
    else if constexpr (OP == U_SQUARE) return mul(x, x);
    else if constexpr (OP == U_RECIPROCAL) return div(1.0f, x);
    else if constexpr (OP == U_POW) return (float)jpow((double)x, (double)p1);
    else if constexpr (OP == U_AFFINE) return fma(p1, x, p2);  // one rounding, as Math.fma
    else if constexpr (OP == U_RELU) return jmax(x, 0.0f);  // NaN stays NaN, -0 becomes +0
    else if constexpr (OP == U_LEAKY_RELU) return x > 0.0f ? x : mul(p1, x);
    else if constexpr (OP == U_STEP) return x > 0.0f ? 1.0f : p1;
    else if constexpr (OP == U_SIGMOID) return (float)(1.0 / (1.0 + d_exp(-(double)x)));
    else if constexpr (OP == U_TANH) return (float)d_tanh((double)x);
    else if constexpr (OP == U_SOFTPLUS) {
        // NOTE: max(x, 0) + log1p(e^-|x|): neither overflows for large x nor loses small values.
        float ax = bits_float(float_bits(x) & 0x7FFFFFFF);
        return (float)(jmax0((double)x) + d_log1p(d_exp((double)(-ax))));
    }
    else if constexpr (OP == U_CLAMP) return jmin(jmax(x, p1), p2);
    else if constexpr (OP == U_IN_RANGE) return x >= p1 && x <= p2 ? 1.0f : 0.0f;
    else if constexpr (OP == U_SIN) return (float)d_sin((double)x);
    else return (float)d_cos((double)x);  // U_COS
}

/** Binary.apply. */
template <int OP> MR_HD float binary_apply(float a, float b) {
    if constexpr (OP == B_ADD) return add(a, b);
    else if constexpr (OP == B_SUB) return sub(a, b);
    else if constexpr (OP == B_MUL) return mul(a, b);
    else if constexpr (OP == B_DIV) return div(a, b);
    else if constexpr (OP == B_MAX) return jmax(a, b);
    else if constexpr (OP == B_MIN) return jmin(a, b);
    else if constexpr (OP == B_GT) return a > b ? 1.0f : 0.0f;
    else if constexpr (OP == B_EQ) return a == b ? 1.0f : 0.0f;
    else if constexpr (OP == B_RELU_GRAD) return b > 0.0f ? a : 0.0f;
    else if constexpr (OP == B_SIGMOID_GRAD) return mul(mul(a, b), sub(1.0f, b));
    else return mul(a, sub(1.0f, mul(b, b)));  // B_TANH_GRAD
}

/**
 * A Broadcast plan padded to exactly four dimensions (leading dims of size 1, stride 0):
 * output element o at index (i0, i1, i2, i3) reads a[Σ i·sa] and b[Σ i·sb].
 * Passed by value as a kernel parameter (48 bytes, 4-byte aligned: twelve ints in this order).
 */
struct Plan4 {
    int dims[4];
    int sa[4];
    int sb[4];
};

/** The operand offsets of output element o. */
MR_HD void plan_offsets(const Plan4& p, unsigned o, unsigned& oa, unsigned& ob) {
    unsigned i3 = o % (unsigned)p.dims[3];
    unsigned r = o / (unsigned)p.dims[3];
    unsigned i2 = r % (unsigned)p.dims[2];
    r /= (unsigned)p.dims[2];
    unsigned i1 = r % (unsigned)p.dims[1];
    unsigned i0 = r / (unsigned)p.dims[1];
    oa = i0 * p.sa[0] + i1 * p.sa[1] + i2 * p.sa[2] + i3 * p.sa[3];
    ob = i0 * p.sb[0] + i1 * p.sb[1] + i2 * p.sb[2] + i3 * p.sb[3];
}

template <int OP>
MR_HD void unary_body(const Thread& t, const float* x, float* out, int n, float p1, float p2) {
    for (unsigned i = t.first(); i < (unsigned)n; i += t.stride()) out[i] = unary_apply<OP>(x[i], p1, p2);
}

/** Both operands contiguous and of the output's size (Broadcast.isElementwise). */
template <int OP> MR_HD void binary_body(const Thread& t, const float* a, const float* b, float* out, int n) {
    for (unsigned i = t.first(); i < (unsigned)n; i += t.stride()) out[i] = binary_apply<OP>(a[i], b[i]);
}

template <int OP>
MR_HD void binary_bcast_body(const Thread& t, const float* a, const float* b, float* out, int n, Plan4 plan) {
    for (unsigned i = t.first(); i < (unsigned)n; i += t.stride()) {
        unsigned oa, ob;
        plan_offsets(plan, i, oa, ob);
        out[i] = binary_apply<OP>(a[oa], b[ob]);
    }
}

/** out = x broadcast to the plan's output (only the a strides are used). */
MR_HD void expand_body(const Thread& t, const float* x, float* out, int n, Plan4 plan) {
    for (unsigned i = t.first(); i < (unsigned)n; i += t.stride()) {
        unsigned oa, ob;
        plan_offsets(plan, i, oa, ob);
        out[i] = x[oa];
    }
}

MR_HD void where_body(const Thread& t, const float* cond, const float* a, const float* b, float* out, int n) {
    for (unsigned i = t.first(); i < (unsigned)n; i += t.stride()) out[i] = cond[i] != 0.0f ? a[i] : b[i];
}

/** dst[dstOffset + r·dstStride + c] = src[srcOffset + r·srcStride + c] for r < rows, c < cols. */
MR_HD void copy2d_body(const Thread& t, const float* src, int srcOffset, int srcStride, float* dst, int dstOffset,
                       int dstStride, int rows, int cols) {
    unsigned total = (unsigned)rows * (unsigned)cols;
    for (unsigned e = t.first(); e < total; e += t.stride()) {
        unsigned r = e / (unsigned)cols, c = e % (unsigned)cols;
        dst[dstOffset + r * dstStride + c] = src[srcOffset + r * srcStride + c];
    }
}

// Transpose through a 32×32 shared tile (padded to 33 columns so neither phase has bank
// conflicts), with 32×8 threads per block; the grid loops over tiles and batches.
constexpr int TRANSPOSE_TILE = 32;
constexpr int TRANSPOSE_ROWS = 8;
constexpr int TRANSPOSE_SMEM = TRANSPOSE_TILE * (TRANSPOSE_TILE + 1);

/** out[t, j, i] = x[t, i, j] for x [batch, rows, cols]; block (32, 8, 1). */
template <class B>
MR_HD void transpose_body(B& b, float* tile, const float* x, float* out, int batch, int rows, int cols) {
    const int T = TRANSPOSE_TILE, S = T + 1;
    const unsigned tilesX = (cols + T - 1) / T, tilesY = (rows + T - 1) / T;
    for (unsigned z = b.bid.z; z < (unsigned)batch; z += b.grid.z) {
        const float* xs = x + (size_t)z * rows * cols;
        float* os = out + (size_t)z * rows * cols;
        for (unsigned ty = b.bid.y; ty < tilesY; ty += b.grid.y) {
            for (unsigned tx = b.bid.x; tx < tilesX; tx += b.grid.x) {
                b.each([&](Dim3 t, int) {  // read rows of x: consecutive threads, consecutive columns
                    unsigned c = tx * T + t.x;
                    for (unsigned j = t.y; j < (unsigned)T; j += TRANSPOSE_ROWS) {
                        unsigned r = ty * T + j;
                        if (r < (unsigned)rows && c < (unsigned)cols) tile[j * S + t.x] = xs[(size_t)r * cols + c];
                    }
                });
                b.sync();
                b.each([&](Dim3 t, int) {  // write rows of out: consecutive threads, consecutive rows of x
                    unsigned r = ty * T + t.x;
                    for (unsigned j = t.y; j < (unsigned)T; j += TRANSPOSE_ROWS) {
                        unsigned c = tx * T + j;
                        if (r < (unsigned)rows && c < (unsigned)cols) os[(size_t)c * rows + r] = tile[t.x * S + j];
                    }
                });
                b.sync();  // the tile is rewritten by the next iteration
            }
        }
    }
}

}  // namespace mr
