// Fused optimizer updates: one kernel per step and tensor instead of a dozen elementwise launches.
// Each mirrors, operation for operation, the primitive sequence of io.metarec.optim.Adam / Sgd
// (Backend.adamStep / sgdStep defaults), so both give the same bits.
#pragma once
#include "metarec.cuh"

namespace mr {

/**
 * Adam (PyTorch's formulation, L2 weight decay):
 *   g' = g + wd·p                       (only when wd > 0)
 *   m' = β1·m + (1−β1)·g'               (m' = (1−β1)·g' on the first step: has_state = 0)
 *   v' = β2·v + (1−β2)·g'²
 *   p' = p − stepSize · m' / (√(invBias2 · v') + ε)   with stepSize = lr / (1−β1ᵗ), invBias2 = 1 / (1−β2ᵗ)
 * Every product and sum is one Elementwise op there: affine() keeps its identity shortcut.
 */
MR_HD void adam_step_body(const Thread& t, const float* param, const float* grad, const float* m, const float* v,
                          float* paramOut, float* mOut, float* vOut, int n, int hasState, float beta1,
                          float oneMinusBeta1, float beta2, float oneMinusBeta2, float eps, float weightDecay,
                          float stepSize, float invBias2) {
    for (unsigned i = t.first(); i < (unsigned)n; i += t.stride()) {
        const float p = param[i];
        float g = grad[i];
        if (weightDecay > 0.0f) g = add(g, affine(p, weightDecay, 0.0f));
        const float gm = affine(g, oneMinusBeta1, 0.0f);
        const float gv = affine(mul(g, g), oneMinusBeta2, 0.0f);
        const float mi = hasState ? add(affine(m[i], beta1, 0.0f), gm) : gm;
        const float vi = hasState ? add(affine(v[i], beta2, 0.0f), gv) : gv;
        const float denom = affine(sqrt_rn(affine(vi, invBias2, 0.0f)), 1.0f, eps);
        paramOut[i] = sub(p, affine(div(mi, denom), stepSize, 0.0f));
        mOut[i] = mi;
        vOut[i] = vi;
    }
}

/**
 * SGD with heavy-ball momentum (PyTorch's): g' = g + wd·p; b' = μ·b + g' (b' = g' on the first
 * step: has_buffer = 0; no buffer at all when μ = 0, bufferOut unused); p' = p − lr·(b' or g').
 */
MR_HD void sgd_step_body(const Thread& t, const float* param, const float* grad, const float* buffer, float* paramOut,
                         float* bufferOut, int n, int hasBuffer, float lr, float momentum, float weightDecay) {
    for (unsigned i = t.first(); i < (unsigned)n; i += t.stride()) {
        const float p = param[i];
        float g = grad[i];
        if (weightDecay > 0.0f) g = add(g, affine(p, weightDecay, 0.0f));
        if (momentum > 0.0f) {
            g = hasBuffer ? add(affine(buffer[i], momentum, 0.0f), g) : g;
            bufferOut[i] = g;
        }
        paramOut[i] = sub(p, affine(g, lr, 0.0f));
    }
}

}  // namespace mr
