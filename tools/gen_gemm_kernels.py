#!/usr/bin/python3
"""Writes src/main/java/io/metarec/backend/cpu/GemmKernels.java: the register-blocked SGEMM
micro-kernels, one method per (rows, vectors) tile size, rows 1..6 and vectors 1..4, for B
packed and for B read in place (A is always row-major: VectorGemm packs a transposed A).

Run from the repository root after changing the template:  python3 tools/gen_gemm_kernels.py
Why generated: each tile size needs its own straight-line method (accumulators must be locals
for C2 to keep them in registers), and 48 hand-copied methods would drift apart.
"""
import pathlib

MR, NV = 6, 4
OUT = pathlib.Path(__file__).resolve().parent.parent / "src/main/java/io/metarec/backend/cpu/GemmKernels.java"


def kernel(r, v, in_place=False):
    """in_place: B is read where it is, row p at b[bo + p*ldb], instead of from a packed panel."""
    w = "ldb" if in_place else f"W{v}"
    s = []
    if in_place:
        s.append(f"    /** {r} row(s) × {v} vector(s) of C, A row-major, B read in place: B(p, j) = b[bo + p·ldb + j]. */")
    else:
        s.append(f"    /** {r} row(s) × {v} vector(s) of C, A row-major: A(i, p) = a[ao + i·lda + p]. */")
    if in_place:
        s.append(f"    static void k{r}x{v}b(float[] a, int ao, int lda, float[] b, int bo, int ldb, int kc, float[] d, int o, int ldd) {{")
    else:
        s.append(f"    static void k{r}x{v}(float[] a, int ao, int lda, float[] b, int bo, int kc, float[] d, int o, int ldd) {{")
    s.append("        final " + ", ".join(["int a0 = ao"] + [f"a{i} = ao + {i} * lda" if i > 1 else "a1 = ao + lda" for i in range(1, r)]) + ";")
    s.append("        final FloatVector z = FloatVector.zero(S);")
    for i in range(r):
        s.append("        FloatVector " + ", ".join(f"c{i}{j} = z" for j in range(v)) + ";")
    s.append("        for (int p = 0; p < kc; p++) {")
    if in_place:
        s.append("            final int q = bo + p * ldb; // variable stride: checked, but no packing")
    else:
        s.append(f"            final int q = bo + p * {w}; // base + p*CONSTANT: C2 drops the bounds checks")
    for j in range(v):
        off = "q" if j == 0 else f"q + W{j}"
        s.append(f"            final FloatVector b{j} = FloatVector.fromArray(S, b, {off});")
    for i in range(r):
        s.append(f"            {'FloatVector ' if i == 0 else ''}x = FloatVector.broadcast(S, a[a{i} + p]);")
        s.append("            " + " ".join(f"c{i}{j} = x.fma(b{j}, c{i}{j});" for j in range(v)))
    s.append("        }")
    s.append("        // Plain stores only: few IR nodes, so C2 inlines them all (see the class comment).")
    for i in range(r):
        row = "o" if i == 0 else ("o + ldd" if i == 1 else f"o + {i} * ldd")
        if i == 0:
            s.append(f"        int q = o;")
        else:
            s.append(f"        q = {row};")
        s.append("        " + " ".join(f"c{i}{j}.intoArray(d, q{'' if j == 0 else f' + W{j}'});" for j in range(v)))
    s.append("    }")
    return "\n".join(s)


def transpose(n):
    """An n × n transpose in log2(n) stages of two-source lane selections (vpermt2ps on AVX-512).
    At 8 lanes (AVX2, which has no two-source permute, so selectFrom(x, y) ran as Java code) each
    selection is a one-source rearrange (vpermps) and a blend instead: 1.6-1.9x faster there."""
    stages = n.bit_length() - 1
    s = [f"    /** dst[d + j·ldd + i] = src[s + i·lds + j] for an {n} × {n} block ({n}-lane species only). */"]
    s.append(f"    private static void transpose{n}(float[] src, int s, int lds, float[] dst, int d, int ldd) {{")
    for r in range(n):
        s.append(f"        FloatVector m{r} = FloatVector.fromArray(S, src, s + {r} * lds);")
    s.append("        FloatVector x, y;")
    for st in range(stages):
        b = (n // 2) >> st
        for r in range(n):
            if r & b == 0 and n == 8:
                s.append(f"        x = m{r}; y = m{r + b}; m{r} = x.blend(y.rearrange(T8_DOWN[{st}]), T8_UPPER[{st}]); "
                         f"m{r + b} = x.rearrange(T8_UP[{st}]).blend(y, T8_UPPER[{st}]);")
            elif r & b == 0:
                s.append(f"        x = m{r}; y = m{r + b}; m{r} = T{n}_LO[{st}].selectFrom(x, y); m{r + b} = T{n}_HI[{st}].selectFrom(x, y);")
    for r in range(n):
        s.append(f"        m{r}.intoArray(dst, d + {r} * ldd);")
    s.append("    }")
    return "\n".join(s)


def main():
    cases = "\n".join(
        f"            case {(r - 1) * NV + v - 1} -> k{r}x{v}(a, ao, lda, b, bo, kc, d, o, ldd);"
        for r in range(1, MR + 1) for v in range(1, NV + 1))
    body = "\n\n".join(kernel(r, v) for r in range(MR, 0, -1) for v in range(NV, 0, -1))
    body += "\n\n" + "\n\n".join(kernel(r, v, True) for r in range(MR, 0, -1) for v in range(NV, 0, -1))
    in_place_cases = "\n".join(
        f"            case {(r - 1) * NV + v - 1} -> k{r}x{v}b(a, ao, lda, b, bo, ldb, kc, d, o, ldd);"
        for r in range(1, MR + 1) for v in range(1, NV + 1))
    body += "\n\n" + transpose(8) + "\n\n" + transpose(16)
    OUT.write_text(f"""// GENERATED by tools/gen_gemm_kernels.py -- edit the generator, not this file.
package io.metarec.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * SGEMM micro-kernels: C[rows, v·L] (+)= A[rows, kc] · P[kc, v·L] for a tile of at most
 * {MR} rows × {NV} vectors (L = lanes of {{@link VectorBackend#SPECIES}}).
 *
 * <p>A is row-major: A(i, p) is {{@code a[ao + i·lda + p]}} (a transposed A is packed that way by
 * {{@link VectorGemm}}: read in place, its rows sit a variable stride apart at every step of k, and
 * those kernels ran at about 0.8× these).
 * P is a packed panel of B, p-major with row width {{@code v·L}} (zero-padded past n), starting at
 * {{@code b[bo]}}. C row i starts at {{@code c[co + i·ldc]}}. {{@link #tile}} stores C (or adds to it
 * when {{@code add}}, for the later blocks of k); on the last vector it stores only the lanes
 * of {{@code last}} (null: all lanes).
 *
 * <p>Why the kernels only store plainly (into C, or into the scratch tile {{@code t}} that
 * {{@link #flush}} then masks or adds into C): a kernel method of 24 vector accumulators is close to
 * C2's inlining node budget (NodeCountInliningCutoff). Masked or accumulating stores in the kernel
 * itself pushed the last of them out of inlining, which boxed every accumulator and cost more
 * than the loop at k = 64 (49 instead of 105 GFLOP/s for the 6 × 4 kernel).
 *
 * <p>Every element of C is one fused multiply-add chain over p in order, whatever the tile size,
 * so results do not depend on how a product is cut into tiles (or threads).
 */
final class GemmKernels {{
    static final VectorSpecies<Float> S = VectorBackend.SPECIES;
    static final int L = S.length();
    /** Tile limits: rows of A and vectors of B per micro-kernel (6 × 4 keeps 24 accumulators in registers). */
    static final int MR = {MR}, NV = {NV};
    /** Panel widths in floats for 1..4 vectors; constants, so panel indices stay bounds-check free. */
    static final int W1 = L, W2 = 2 * L, W3 = 3 * L, W4 = 4 * L;

    private GemmKernels() {{}}

    /** Runs the kernel for a tile of {{@code rows}} (1..{MR}) × {{@code nv}} (1..{NV}) vectors. */
    static void tile(int rows, int nv, float[] a, int ao, int lda, float[] b, int bo, int kc,
                     float[] c, int co, int ldc, VectorMask<Float> last, boolean add, float[] t) {{
        boolean direct = !add && last == null; // the common case: the kernel writes C itself
        float[] d = direct ? c : t;
        int o = direct ? co : 0, ldd = direct ? ldc : NV * L;
        switch ((rows - 1) * NV + nv - 1) {{
{cases}
            default -> throw new IllegalArgumentException("no GEMM kernel for " + rows + " rows x " + nv + " vectors");
        }}
        if (!direct) flush(t, rows, nv, c, co, ldc, last, add);
    }}

    /**
     * {{@link #tile}} with B read in place (row p of the tile's columns at {{@code b[bo + p·ldb]}},
     * whole vectors only) instead of from a packed panel: for products with few rows of A, where
     * packing B costs as much as the few strips that would reuse it. The same multiply-add chains,
     * so the same bits.
     */
    static void tileInPlace(int rows, int nv, float[] a, int ao, int lda, float[] b, int bo, int ldb, int kc,
                            float[] c, int co, int ldc, boolean add, float[] t) {{
        float[] d = add ? t : c;
        int o = add ? 0 : co, ldd = add ? NV * L : ldc;
        switch ((rows - 1) * NV + nv - 1) {{
{in_place_cases}
            default -> throw new IllegalArgumentException("no GEMM kernel for " + rows + " rows x " + nv + " vectors");
        }}
        if (add) flush(t, rows, nv, c, co, ldc, null, true);
    }}

    /**
     * dst[d + j·ldd + i] = src[s + i·lds + j] for an L × L block: packing a transposed A or B. Returns
     * false (nothing done) for a species without a generated transpose. In registers with lane
     * selections it costs about 0.2 ns per float, against 1 ns for a scalar loop.
     */
    static boolean transposeBlock(float[] src, int s, int lds, float[] dst, int d, int ldd) {{
        if (L == 16) transpose16(src, s, lds, dst, d, ldd);
        else if (L == 8) transpose8(src, s, lds, dst, d, ldd);
        else return false;
        return true;
    }}

    /** Lane selections of stage s of an n × n transpose, for the n = L that is in use (else null). */
    private static final FloatVector[] T16_LO = stages(16, true), T16_HI = stages(16, false);

    /**
     * The 8-lane transpose's stage s, as one-source moves and blends: with b = 4 >> s, the low
     * result takes x where lane & b is 0 and y moved down by b elsewhere ({{@code T8_DOWN}},
     * {{@code T8_UPPER}}: the lanes with bit b set); the high one x moved up by b, then y.
     */
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] T8_DOWN = new VectorShuffle[3], T8_UP = new VectorShuffle[3];
    @SuppressWarnings("unchecked")
    private static final VectorMask<Float>[] T8_UPPER = new VectorMask[3];

    static {{
        if (L == 8) {{
            for (int st = 0; st < 3; st++) {{
                int b = 4 >> st;
                int[] down = new int[8], up = new int[8];
                boolean[] upper = new boolean[8];
                for (int l = 0; l < 8; l++) {{
                    upper[l] = (l & b) != 0;
                    down[l] = upper[l] ? l - b : l;
                    up[l] = upper[l] ? l : l + b;
                }}
                T8_DOWN[st] = VectorShuffle.fromArray(S, down, 0);
                T8_UP[st] = VectorShuffle.fromArray(S, up, 0);
                T8_UPPER[st] = VectorMask.fromArray(S, upper, 0);
            }}
        }}
    }}

    private static FloatVector[] stages(int n, boolean low) {{
        if (n != L) return null;
        FloatVector[] out = new FloatVector[Integer.numberOfTrailingZeros(n)];
        for (int st = 0; st < out.length; st++) {{
            int b = (n / 2) >> st;
            float[] idx = new float[n]; // selectFrom: lane l takes x[idx] if idx < n, else y[idx - n]
            for (int l = 0; l < n; l++) idx[l] = low ? ((l & b) == 0 ? l : n + l - b) : ((l & b) == 0 ? l + b : n + l);
            out[st] = FloatVector.fromArray(S, idx, 0);
        }}
        return out;
    }}

    /** Scratch tile size in floats ({MR} rows × {NV} vectors): where a masked or accumulating tile goes first. */
    static final int TILE = {MR} * {NV} * L;

    /** C[i, j·L ..] (+)= t[i, j]: the tile's accumulators into C, masked on the last vector when {{@code last}} is set. */
    private static void flush(float[] t, int rows, int nv, float[] c, int co, int ldc, VectorMask<Float> last, boolean add) {{
        int full = last == null ? nv : nv - 1;
        for (int i = 0; i < rows; i++) {{
            int o = co + i * ldc, s = i * NV * L;
            for (int j = 0; j < full; j++) {{
                FloatVector v = FloatVector.fromArray(S, t, s + j * L);
                if (add) v = v.add(FloatVector.fromArray(S, c, o + j * L));
                v.intoArray(c, o + j * L);
            }}
            if (full < nv) {{
                FloatVector v = FloatVector.fromArray(S, t, s + full * L);
                if (add) v = v.add(FloatVector.fromArray(S, c, o + full * L, last));
                v.intoArray(c, o + full * L, last);
            }}
        }}
    }}

{body}
}}
""")
    print(f"wrote {{OUT}}".format(OUT=OUT))


if __name__ == "__main__":
    main()
