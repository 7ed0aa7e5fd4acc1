// Row gathers and scatters for embeddings, and segment means (io.metarec.backend.Backend).
#pragma once
#include "metarec.cuh"

namespace mr {

/** out[r, c] = table[rows[r], c] for r < nrows, c < cols. */
MR_HD void gather_rows_body(const Thread& t, const float* table, int cols, const int* rows, int nrows, float* out) {
    const unsigned total = (unsigned)nrows * (unsigned)cols;
    for (unsigned e = t.first(); e < total; e += t.stride()) {
        const unsigned r = e / (unsigned)cols, c = e % (unsigned)cols;
        out[e] = table[(size_t)rows[r] * cols + c];
    }
}

/** Rows loaded ahead per step of scatter_add_rows' sum (see there). */
constexpr int SCATTER_AHEAD = 16;

/**
 * out[rows[r], :] += src[r, :], deterministic and without atomics: the host groups the positions
 * r by destination once per Indices (a stable counting sort, cached with the device copy):
 * destination dest[u] receives the rows order[start[u] .. start[u+1]) in increasing r. One
 * thread per (u, column) adds them in that order to the value already in out, which is exactly
 * the order of the Java loop, so the result is bitwise the oracle's.
 *
 * A destination of a table of few rows (gender, age) receives ~10,000 rows of a 1,024-task
 * meta-batch, summed by a single thread per column; on an H200 that took ~0.6 ms a launch, one
 * memory latency per few rows. So the rows are loaded SCATTER_AHEAD at a time into registers and
 * then added, still one by one in increasing r: the same additions in the same order, with the
 * loads' latencies overlapped.
 */
MR_HD void scatter_add_rows_body(const Thread& t, const float* src, int cols, const int* dest, const int* start,
                                 const int* order, int groups, float* out) {
    const unsigned total = (unsigned)groups * (unsigned)cols;
    for (unsigned e = t.first(); e < total; e += t.stride()) {
        const unsigned u = e / (unsigned)cols, c = e % (unsigned)cols;
        float* o = out + (size_t)dest[u] * cols + c;
        float acc = *o;
        int q = start[u];
        const int end = start[u + 1];
        for (; q + SCATTER_AHEAD <= end; q += SCATTER_AHEAD) {
            float v[SCATTER_AHEAD];
            MR_UNROLL
            for (int j = 0; j < SCATTER_AHEAD; j++) v[j] = src[(size_t)order[q + j] * cols + c];
            MR_UNROLL
            for (int j = 0; j < SCATTER_AHEAD; j++) acc = add(acc, v[j]);
        }
        for (; q < end; q++) acc = add(acc, src[(size_t)order[q] * cols + c]);
        *o = acc;
    }
}

/** out[s, c] = mean of x[offsets[s] .. offsets[s+1]), c] (0 for an empty segment), summed in row order. */
MR_HD void segment_mean_body(const Thread& t, const float* x, int cols, const int* offsets, int segments, float* out) {
    const unsigned total = (unsigned)segments * (unsigned)cols;
    for (unsigned e = t.first(); e < total; e += t.stride()) {
        const unsigned s = e / (unsigned)cols, c = e % (unsigned)cols;
        const int from = offsets[s], to = offsets[s + 1];
        float acc = 0.0f;
        for (int j = from; j < to; j++) acc = add(acc, x[(size_t)j * cols + c]);
        out[e] = to > from ? div(acc, (float)(to - from)) : 0.0f;
    }
}

/**
 * The adjoint of segment_mean: out[j, c] = g[s, c] / |s| for the segment s holding row j (found
 * by binary search: the last s with offsets[s] <= j). Rows outside every segment are not written.
 */
MR_HD void segment_expand_mean_body(const Thread& t, const float* g, int cols, const int* offsets, int segments,
                                    int rows, float* out) {
    const unsigned total = (unsigned)rows * (unsigned)cols;
    for (unsigned e = t.first(); e < total; e += t.stride()) {
        const int j = (int)(e / (unsigned)cols);
        const unsigned c = e % (unsigned)cols;
        if (offsets[0] > j) continue;
        int lo = 0, hi = segments;  // invariant: offsets[lo] <= j
        while (lo < hi) {
            const int mid = lo + (hi - lo + 1) / 2;
            if (offsets[mid] <= j) lo = mid;
            else hi = mid - 1;
        }
        if (lo == segments) continue;  // at or past offsets[segments]
        out[e] = div(g[(size_t)lo * cols + c], (float)(offsets[lo + 1] - offsets[lo]));
    }
}

}  // namespace mr
