// Entry points of the row gathers, scatters and segment means (bodies in indexing.cuh).
#include "indexing.cuh"

extern "C" __global__ void gather_rows(const float* table, int cols, const int* rows, int nrows, float* out) {
    mr::gather_rows_body(mr::this_thread(), table, cols, rows, nrows, out);
}

extern "C" __global__ void scatter_add_rows(const float* src, int cols, const int* dest, const int* start,
                                            const int* order, int groups, float* out) {
    mr::scatter_add_rows_body(mr::this_thread(), src, cols, dest, start, order, groups, out);
}

extern "C" __global__ void segment_mean(const float* x, int cols, const int* offsets, int segments, float* out) {
    mr::segment_mean_body(mr::this_thread(), x, cols, offsets, segments, out);
}

extern "C" __global__ void segment_expand_mean(const float* g, int cols, const int* offsets, int segments, int rows,
                                               float* out) {
    mr::segment_expand_mean_body(mr::this_thread(), g, cols, offsets, segments, rows, out);
}
