// Entry points of the fused optimizer updates (bodies in optim.cuh).
#include "optim.cuh"

extern "C" __global__ void adam_step(const float* param, const float* grad, const float* m, const float* v,
                                     float* paramOut, float* mOut, float* vOut, int n, int hasState, float beta1,
                                     float oneMinusBeta1, float beta2, float oneMinusBeta2, float eps,
                                     float weightDecay, float stepSize, float invBias2) {
    mr::adam_step_body(mr::this_thread(), param, grad, m, v, paramOut, mOut, vOut, n, hasState, beta1, oneMinusBeta1,
                       beta2, oneMinusBeta2, eps, weightDecay, stepSize, invBias2);
}

extern "C" __global__ void sgd_step(const float* param, const float* grad, const float* buffer, float* paramOut,
                                    float* bufferOut, int n, int hasBuffer, float lr, float momentum,
                                    float weightDecay) {
    mr::sgd_step_body(mr::this_thread(), param, grad, buffer, paramOut, bufferOut, n, hasBuffer, lr, momentum,
                      weightDecay);
}
