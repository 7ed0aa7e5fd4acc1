// Reductions over the middle axis of an [outer, n, inner] view (io.metarec.backend.Reduce).
//
// Two kernels, chosen by the Java launch planner (CudaLaunch.reducePlan):
//   reduce_rows_OP: inner == 1 and long rows. One block of REDUCE_THREADS per (row, chunk):
//                   strided per-thread partials, then a shared-memory tree.
//   reduce_cols_OP: everything else. One thread per (o, chunk, i), a sequential loop over the
//                   chunk (consecutive threads read consecutive i: coalesced).
// When there are too few outputs to fill the GPU, the planner splits n into chunks and runs a
// second pass over the [outer, chunks, inner] partials. The order of operations depends only on
// the shapes and the device's SM count, so results repeat bit for bit run to run.
#pragma once
#include "metarec.cuh"

#define MR_REDUCE_OPS(X) X(SUM) X(MAX) X(MIN)

namespace mr {

#define MR_ENUM_ENTRY(name) R_##name,
enum ReduceOp { MR_REDUCE_OPS(MR_ENUM_ENTRY) };
#undef MR_ENUM_ENTRY

constexpr int REDUCE_THREADS = 256;  // a power of two (the tree halves it)

/** Reduce.identity. */
template <int OP> MR_HD float reduce_identity() {
    if constexpr (OP == R_SUM) return 0.0f;
    else if constexpr (OP == R_MAX) return bits_float((int32_t)0xFF800000);  // -inf
    else return bits_float(0x7F800000);  // +inf
}

/** Reduce.combine. */
template <int OP> MR_HD float reduce_combine(float acc, float x) {
    if constexpr (OP == R_SUM) return add(acc, x);
    else if constexpr (OP == R_MAX) return jmax(acc, x);
    else return jmin(acc, x);
}

/**
 * x viewed as [rows, n]: out[r·chunks + c] = op over j in [c·chunk, min(n, (c+1)·chunk)) of x[r, j].
 * Block (REDUCE_THREADS, 1, 1); the grid covers (chunks, rows), looping when they exceed it.
 */
template <int OP, class B>
MR_HD void reduce_rows_body(B& b, float* partial, const float* x, float* out, int rows, int n, int chunk, int chunks) {
    const unsigned nt = b.block.x;
    for (unsigned r = b.bid.y; r < (unsigned)rows; r += b.grid.y) {
        for (unsigned c = b.bid.x; c < (unsigned)chunks; c += b.grid.x) {
            const unsigned from = c * (unsigned)chunk;
            const unsigned to = (unsigned)n - from < (unsigned)chunk ? (unsigned)n : from + chunk;
            const float* row = x + (size_t)r * n;
            b.each([&](Dim3 t, int) {
                float acc = reduce_identity<OP>();
                for (unsigned j = from + t.x; j < to; j += nt) acc = reduce_combine<OP>(acc, row[j]);
                partial[t.x] = acc;
            });
            b.sync();
            for (unsigned s = nt / 2; s > 0; s >>= 1) {
                b.each([&](Dim3 t, int) {  // reads [s, 2s), writes [0, s): no overlap within the phase
                    if (t.x < s) partial[t.x] = reduce_combine<OP>(partial[t.x], partial[t.x + s]);
                });
                b.sync();
            }
            b.each([&](Dim3 t, int) {
                if (t.x == 0) out[(size_t)r * chunks + c] = partial[0];
            });
            b.sync();  // partial is rewritten by the next (r, c)
        }
    }
}

/**
 * x viewed as [outer, n, inner]: out[(o·chunks + c)·inner + i] = op over j in
 * [c·chunk, min(n, (c+1)·chunk)) of x[o, j, i], in increasing j (with chunks = 1: Java's order).
 */
template <int OP>
MR_HD void reduce_cols_body(const Thread& t, const float* x, float* out, int outer, int n, int inner, int chunk,
                            int chunks) {
    const unsigned total = (unsigned)outer * (unsigned)chunks * (unsigned)inner;
    for (unsigned e = t.first(); e < total; e += t.stride()) {
        const unsigned i = e % (unsigned)inner, q = e / (unsigned)inner;
        const unsigned c = q % (unsigned)chunks, o = q / (unsigned)chunks;
        const unsigned from = c * (unsigned)chunk;
        const unsigned to = (unsigned)n - from < (unsigned)chunk ? (unsigned)n : from + chunk;
        const float* col = x + (size_t)o * n * inner + i;
        float acc = reduce_identity<OP>();
        for (unsigned j = from; j < to; j++) acc = reduce_combine<OP>(acc, col[(size_t)j * inner]);
        out[e] = acc;
    }
}

}  // namespace mr
