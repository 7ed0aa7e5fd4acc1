// Entry points of the counter-based generator (bodies in random.cuh).
#include "random.cuh"

extern "C" __global__ void random_uniform(float* out, int n, unsigned long long seed, unsigned long long stream,
                                          float p1, float p2) {
    mr::random_uniform_body(mr::this_thread(), out, n, seed, stream, p1, p2);
}

extern "C" __global__ void random_normal(float* out, int n, unsigned long long seed, unsigned long long stream,
                                         float p1, float p2) {
    mr::random_normal_body(mr::this_thread(), out, n, seed, stream, p1, p2);
}
