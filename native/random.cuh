// Philox 4x32-10, bit for bit io.metarec.backend.Philox: element i of a draw is word i % 4 of
// block i / 4 for counter (block lo, block hi, stream lo, stream hi) and key (seed lo, seed hi).
#pragma once
#include "metarec.cuh"

namespace mr {

struct Words4 {
    uint32_t w[4];
};

/** Philox.block. */
MR_HD Words4 philox_block(unsigned long long seed, unsigned long long stream, unsigned long long block) {
    const uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u, W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
    uint32_t c0 = (uint32_t)block, c1 = (uint32_t)(block >> 32), c2 = (uint32_t)stream, c3 = (uint32_t)(stream >> 32);
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    MR_UNROLL
    for (int r = 0; r < 10; r++) {
        if (r > 0) {
            k0 += W0;
            k1 += W1;
        }
        const uint32_t hi0 = mulhi(M0, c0), lo0 = M0 * c0;
        const uint32_t hi1 = mulhi(M1, c2), lo1 = M1 * c2;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
    }
    return Words4{{c0, c1, c2, c3}};
}

/** Philox.unit: uniform in [0, 1) from the top 24 bits (exact: the integer fits a float). */
MR_HD float philox_unit(uint32_t w) { return mul((float)(w >> 8), 0x1p-24f); }

/** Philox.unitOpen: uniform in (0, 1]. */
MR_HD float philox_unit_open(uint32_t w) { return mul((float)((w >> 8) + 1u), 0x1p-24f); }

/** Philox.ln: natural log for x in (0, 1] from the exponent bits and an fma series. */
MR_HD float philox_ln(float x) {
    const int32_t bits = float_bits(x);
    int e = (int)(((uint32_t)bits >> 23) & 0xFFu) - 127;
    float m = bits_float((bits & 0x007FFFFF) | 0x3F800000);  // [1, 2)
    if (m > 1.4142135f) {
        m = mul(m, 0.5f);
        e += 1;
    }
    const float f = div(sub(m, 1.0f), add(m, 1.0f));
    const float f2 = mul(f, f);
    const float p = fma(fma(fma(fma(0.11111111f, f2, 0.14285715f), f2, 0.2f), f2, 0.33333334f), f2, 1.0f);
    const float lnm = mul(mul(2.0f, f), p);
    return fma((float)e, 0.6931472f, lnm);
}

/** Philox.normalPair: Box–Muller with an fma polynomial sine and cosine after exact range reduction. */
MR_HD void philox_normal_pair(uint32_t w1, uint32_t w2, float& z0, float& z1) {
    const float r = sqrt_rn(mul(-2.0f, philox_ln(philox_unit_open(w1))));
    const float u = philox_unit(w2);
    const float q = f_floor(add(mul(u, 4.0f), 0.5f));
    const float t = sub(u, mul(q, 0.25f));
    const float x = mul(t, 6.2831855f);
    const float x2 = mul(x, x);
    const float s = fma(fma(fma(fma(2.7557319e-6f, x2, -1.9841270e-4f), x2, 8.3333333e-3f), x2, -1.6666667e-1f),
                        mul(x2, x), x);
    const float c = fma(fma(fma(fma(2.4801587e-5f, x2, -1.3888889e-3f), x2, 4.1666668e-2f), x2, -0.5f), x2, 1.0f);
    float cs, sn;
    switch (((int)q) & 3) {
        case 0: cs = c; sn = s; break;
        case 1: cs = -s; sn = c; break;
        case 2: cs = -c; sn = -s; break;
        default: cs = s; sn = -c; break;
    }
    z0 = mul(r, cs);
    z1 = mul(r, sn);
}

/** out[i] = p1 + (p2 − p1)·u_i, one thread per Philox block of four elements. */
MR_HD void random_uniform_body(const Thread& t, float* out, int n, unsigned long long seed, unsigned long long stream,
                               float p1, float p2) {
    const unsigned blocks = ((unsigned)n + 3u) / 4u;
    const float width = sub(p2, p1);
    for (unsigned k = t.first(); k < blocks; k += t.stride()) {
        const Words4 w = philox_block(seed, stream, k);
        MR_UNROLL
        for (unsigned j = 0; j < 4; j++) {
            const unsigned i = 4u * k + j;
            if (i < (unsigned)n) out[i] = add(p1, mul(width, philox_unit(w.w[j])));
        }
    }
}

/** out[i] = fma(p2, z_i, p1) with z from Box–Muller on word pairs (0,1) and (2,3) of each block. */
MR_HD void random_normal_body(const Thread& t, float* out, int n, unsigned long long seed, unsigned long long stream,
                              float p1, float p2) {
    const unsigned blocks = ((unsigned)n + 3u) / 4u;
    for (unsigned k = t.first(); k < blocks; k += t.stride()) {
        const Words4 w = philox_block(seed, stream, k);
        MR_UNROLL
        for (unsigned j = 0; j < 4; j += 2) {
            float z0, z1;
            philox_normal_pair(w.w[j], w.w[j + 1], z0, z1);
            const unsigned i = 4u * k + j;
            if (i < (unsigned)n) out[i] = fma(p2, z0, p1);
            if (i + 1 < (unsigned)n) out[i + 1] = fma(p2, z1, p1);
        }
    }
}

}  // namespace mr
