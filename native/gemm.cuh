// Tiled, batched SGEMM for when cuBLAS is not loadable: c[t] = op(a[t]) · op(b[t]), row-major,
// op(a) [m, k] (a stored [k, m] when TA), op(b) [k, n] (b stored [n, k] when TB), batch strides
// m·k, k·n and m·n, as Backend.gemm. Every element of c is written (k = 0 gives zeros).
//
// A block computes a BM × BN tile of c with NTX × NTY threads, each owning TM × TN outputs at
// rows ty + NTY·i and columns tx + NTX·j (so a warp reads consecutive shared-memory words and
// writes consecutive columns of c). K advances in steps of BK through two shared tiles, As[p][i]
// and Bs[p][j], each padded by one column; loads map consecutive threads to consecutive
// addresses of the stored operand whatever the transpose. Out-of-range elements load as 0.
// The grid is (column tiles, row tiles, batch), each looping when the problem exceeds it.
#pragma once
#include "metarec.cuh"

namespace mr {

template <int BM_, int BN_, int BK_, int TM_, int TN_> struct GemmTile {
    static constexpr int BM = BM_, BN = BN_, BK = BK_, TM = TM_, TN = TN_;
    static constexpr int NTX = BN / TN, NTY = BM / TM, THREADS = NTX * NTY;
    static constexpr int LDA = BM + 1, LDB = BN + 1;  // padded row lengths of As and Bs
    static constexpr int SMEM = BK * LDA + BK * LDB;  // floats of shared memory
};

// The three tile shapes, all 256 threads; CudaLaunch.gemmTile picks one per problem.
using GemmLarge = GemmTile<64, 64, 16, 4, 4>;
using GemmMedium = GemmTile<32, 32, 16, 2, 2>;
using GemmSmall = GemmTile<16, 16, 16, 1, 1>;

template <class Cfg> struct GemmAcc {
    float v[Cfg::TM][Cfg::TN];
};

template <class Cfg, bool TA, bool TB, class B>
MR_HD void gemm_body(B& b, float* smem, const float* A, const float* Bm, float* C, int batch, int m, int n, int k) {
    constexpr int BM = Cfg::BM, BN = Cfg::BN, BK = Cfg::BK, TM = Cfg::TM, TN = Cfg::TN;
    constexpr int NTX = Cfg::NTX, NTY = Cfg::NTY, NT = Cfg::THREADS, LDA = Cfg::LDA, LDB = Cfg::LDB;
    float* As = smem;
    float* Bs = smem + BK * LDA;
    typename B::template Reg<GemmAcc<Cfg>> acc(b);
    const unsigned tilesM = (m + BM - 1) / BM, tilesN = (n + BN - 1) / BN;
    for (unsigned z = b.bid.z; z < (unsigned)batch; z += b.grid.z) {
        const float* a = A + (size_t)z * m * k;
        const float* bb = Bm + (size_t)z * k * n;
        float* c = C + (size_t)z * m * n;
        for (unsigned tm = b.bid.y; tm < tilesM; tm += b.grid.y) {
            for (unsigned tn = b.bid.x; tn < tilesN; tn += b.grid.x) {
                const int row0 = (int)(tm * BM), col0 = (int)(tn * BN);
                b.each([&](Dim3, int lin) {
                    GemmAcc<Cfg>& r = acc[lin];
                    MR_UNROLL
                    for (int i = 0; i < TM; i++) {
                        MR_UNROLL
                        for (int j = 0; j < TN; j++) r.v[i][j] = 0.0f;
                    }
                });
                b.sync();  // phases are separated by barriers (the harness insists); one per tile is cheap
                for (int k0 = 0; k0 < k; k0 += BK) {
                    b.each([&](Dim3, int lin) {
                        MR_UNROLL
                        for (int e = lin; e < BM * BK; e += NT) {
                            const int i = TA ? e % BM : e / BK, p = TA ? e / BM : e % BK;
                            const int gi = row0 + i, gp = k0 + p;
                            float x = 0.0f;
                            if (gi < m && gp < k) x = TA ? a[(size_t)gp * m + gi] : a[(size_t)gi * k + gp];
                            As[p * LDA + i] = x;
                        }
                        MR_UNROLL
                        for (int e = lin; e < BK * BN; e += NT) {
                            const int j = TB ? e / BK : e % BN, p = TB ? e % BK : e / BN;
                            const int gj = col0 + j, gp = k0 + p;
                            float x = 0.0f;
                            if (gj < n && gp < k) x = TB ? bb[(size_t)gj * k + gp] : bb[(size_t)gp * n + gj];
                            Bs[p * LDB + j] = x;
                        }
                    });
                    b.sync();
                    b.each([&](Dim3 t, int lin) {
                        GemmAcc<Cfg>& r = acc[lin];
                        MR_UNROLL
                        for (int p = 0; p < BK; p++) {
                            float av[TM], bv[TN];
                            MR_UNROLL
                            for (int i = 0; i < TM; i++) av[i] = As[p * LDA + (int)t.y + i * NTY];
                            MR_UNROLL
                            for (int j = 0; j < TN; j++) bv[j] = Bs[p * LDB + (int)t.x + j * NTX];
                            MR_UNROLL
                            for (int i = 0; i < TM; i++) {
                                MR_UNROLL
                                for (int j = 0; j < TN; j++) r.v[i][j] = fma(av[i], bv[j], r.v[i][j]);
                            }
                        }
                    });
                    b.sync();  // the tiles are reloaded next step
                }
                b.each([&](Dim3 t, int lin) {
                    GemmAcc<Cfg>& r = acc[lin];
                    MR_UNROLL
                    for (int i = 0; i < TM; i++) {
                        const int gi = row0 + (int)t.y + i * NTY;
                        MR_UNROLL
                        for (int j = 0; j < TN; j++) {
                            const int gj = col0 + (int)t.x + j * NTX;
                            if (gi < m && gj < n) c[(size_t)gi * n + gj] = r.v[i][j];
                        }
                    }
                });
                b.sync();
            }
        }
    }
}

}  // namespace mr
