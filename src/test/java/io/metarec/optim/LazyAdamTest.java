package io.metarec.optim;

import io.metarec.autograd.Gradient;
import io.metarec.autograd.RowSparse;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Backend;
import io.metarec.backend.Indices;
import io.metarec.backend.cpu.ScalarBackend;
import io.metarec.backend.cpu.VectorBackend;
import io.metarec.nn.Params;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Adam with row-sparse gradients. Exact (default): bitwise the dense step on the densified
 * gradient, untouched rows moving. Lazy: untouched rows keep parameters and moments bit for bit,
 * touched rows follow Adam with the global step count (a double-precision reference of PyTorch's
 * SparseAdam), every row touched is bitwise the exact step, dense parameters step exactly, and a
 * restored state continues bitwise.
 */
class LazyAdamTest {
    static final int ROWS = 23, COLS = 5;

    /** Gradients of a table (row-sparse over random rows, with repeats) and a dense bias, per step. */
    static Map<String, Gradient> grads(Backend be, SplittableRandom r, boolean everyRow) {
        int n = everyRow ? ROWS + r.nextInt(5) : r.nextInt(8);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = everyRow && i < ROWS ? i : r.nextInt(ROWS);
        float[] src = new float[n * COLS], bias = new float[3];
        for (int i = 0; i < src.length; i++) src[i] = (float) r.nextGaussian();
        for (int i = 0; i < bias.length; i++) bias[i] = (float) r.nextGaussian();
        Map<String, Gradient> g = new LinkedHashMap<>();
        g.put("emb", RowSparse.scatter(Tensor.of(be, src, n, COLS), Indices.wrap(ids), ROWS));
        g.put("bias", new Gradient.Dense(Tensor.of(be, bias, 3)));
        return g;
    }

    static Params start(Backend be) {
        SplittableRandom r = new SplittableRandom(5);
        float[] t = new float[ROWS * COLS], b = new float[3];
        for (int i = 0; i < t.length; i++) t[i] = (float) r.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
        return Params.empty().with("emb", Tensor.of(be, t, ROWS, COLS)).with("bias", Tensor.of(be, b, 3));
    }

    static Params densified(Map<String, Gradient> g) {
        Map<String, Tensor> d = new LinkedHashMap<>();
        g.forEach((n, x) -> d.put(n, x.toDense()));
        return Params.of(d);
    }

    static int[] bits(Tensor t) {
        float[] x = t.toArray();
        int[] b = new int[x.length];
        for (int i = 0; i < x.length; i++) b[i] = Float.floatToRawIntBits(x[i]);
        return b;
    }

    static void assertSame(Params a, Params b, String what) {
        for (String n : a.names()) assertArrayEquals(bits(a.get(n)), bits(b.get(n)), what + ": " + n);
    }

    @Test
    void exactAdamStepsEveryRowAsTheDenseStep() {
        for (Backend be : List.of(new ScalarBackend(), new VectorBackend())) {
            Adam sparse = new Adam(0.01f, 0.9f, 0.999f, 1e-8f, 0.01f), dense = new Adam(0.01f, 0.9f, 0.999f, 1e-8f, 0.01f);
            Params ps = start(be), pd = start(be);
            SplittableRandom r = new SplittableRandom(1);
            for (int s = 0; s < 6; s++) {
                Map<String, Gradient> g = grads(be, r, false);
                ps = sparse.step(ps, g);
                pd = dense.step(pd, densified(g));
                assertSame(pd, ps, "step " + s + " on " + be.name());
                assertSame(dense.state().tensors(), sparse.state().tensors(), "moments, step " + s);
            }
        }
    }

    @Test
    void lazyAdamLeavesUntouchedRowsAndStepsTouchedOnes() {
        Backend be = new ScalarBackend();
        float lr = 0.05f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
        Adam lazy = new Adam(lr, b1, b2, eps, 0f, true);
        Params p = start(be);
        double[] ref = new double[ROWS * COLS], m = new double[ROWS * COLS], v = new double[ROWS * COLS];
        float[] p0 = p.get("emb").toArray();
        for (int i = 0; i < ref.length; i++) ref[i] = p0[i];
        SplittableRandom r = new SplittableRandom(2);
        boolean sawUntouched = false;
        for (int t = 1; t <= 8; t++) {
            Map<String, Gradient> g = grads(be, r, false);
            RowSparse rs = (RowSparse) g.get("emb");
            Params before = p;
            Map<String, Tensor> momentsBefore = lazy.state().tensors().asMap();
            p = lazy.step(p, g);
            float[] dense = rs.toDense().toArray(), got = p.get("emb").toArray(), was = before.get("emb").toArray();
            java.util.Set<Integer> touched = new java.util.HashSet<>();
            for (int id : rs.rowIds().array()) touched.add(id);
            for (int row = 0; row < ROWS; row++) {
                for (int c = 0; c < COLS; c++) {
                    int i = row * COLS + c;
                    if (!touched.contains(row)) { // SparseAdam: nothing happens to this row
                        sawUntouched = true;
                        assertEquals(Float.floatToRawIntBits(was[i]), Float.floatToRawIntBits(got[i]), "step " + t + ", untouched row " + row);
                        if (momentsBefore.containsKey("m.emb")) {
                            assertEquals(momentsBefore.get("m.emb").toArray()[i], lazy.state().tensors().get("m.emb").toArray()[i], 0f, "m of untouched row " + row);
                            assertEquals(momentsBefore.get("v.emb").toArray()[i], lazy.state().tensors().get("v.emb").toArray()[i], 0f, "v of untouched row " + row);
                        }
                        continue;
                    }
                    m[i] = b1 * m[i] + (1 - b1) * dense[i];
                    v[i] = b2 * v[i] + (1 - b2) * dense[i] * dense[i];
                    double mh = m[i] / (1 - Math.pow(b1, t)), vh = v[i] / (1 - Math.pow(b2, t));
                    ref[i] -= lr * mh / (Math.sqrt(vh) + eps);
                    assertEquals(ref[i], got[i], 2e-5 * (1 + Math.abs(ref[i])), "step " + t + ", touched row " + row);
                }
            }
        }
        assertEquals(true, sawUntouched, "the test touched only some rows");
    }

    @Test
    void lazyAdamWithEveryRowTouchedIsExactAdam() {
        for (Backend be : List.of(new ScalarBackend(), new VectorBackend())) {
            Adam lazy = new Adam(0.01f, 0.9f, 0.999f, 1e-8f, 0.02f, true), exact = new Adam(0.01f, 0.9f, 0.999f, 1e-8f, 0.02f);
            Params pl = start(be), pe = start(be);
            SplittableRandom r = new SplittableRandom(3);
            for (int s = 0; s < 5; s++) {
                Map<String, Gradient> g = grads(be, r, true);
                pl = lazy.step(pl, g);
                pe = exact.step(pe, g);
                assertSame(pe, pl, "step " + s + " on " + be.name());
                assertSame(exact.state().tensors(), lazy.state().tensors(), "moments, step " + s);
            }
        }
    }

    @Test
    void lazyAndExactDifferWhereRowsAreUntouched() {
        Backend be = new ScalarBackend();
        Adam lazy = Adam.withDefaults(0.01f, true), exact = Adam.withDefaults(0.01f, false);
        Params pl = start(be), pe = start(be);
        SplittableRandom r = new SplittableRandom(4);
        for (int s = 0; s < 3; s++) {
            Map<String, Gradient> g = grads(be, r, false);
            pl = lazy.step(pl, g);
            pe = exact.step(pe, g);
        }
        assertNotEquals(java.util.Arrays.toString(pe.get("emb").toArray()), java.util.Arrays.toString(pl.get("emb").toArray()),
                "exact Adam moves rows with momentum left, lazy Adam does not");
        assertArrayEquals(bits(pe.get("bias")), bits(pl.get("bias")), "a dense parameter steps the same in both");
    }

    @Test
    void restoredLazyStateContinuesBitwise() {
        Backend be = new VectorBackend();
        Adam a = Adam.withDefaults(0.01f, true);
        Params p = start(be);
        SplittableRandom r = new SplittableRandom(6);
        for (int s = 0; s < 3; s++) p = a.step(p, grads(be, r, false));
        Adam b = Adam.withDefaults(0.01f, true);
        b.restore(a.state());
        Params pa = p, pb = p;
        for (int s = 0; s < 3; s++) {
            pa = a.step(pa, grads(be, new SplittableRandom(s), false));
            pb = b.step(pb, grads(be, new SplittableRandom(s), false));
        }
        assertSame(pa, pb, "after restore");
        assertThrows(IllegalArgumentException.class, () -> a.step(start(be), Map.of("bias", new Gradient.Dense(Tensor.zeros(be, 4)))));
    }

    /** The write-back: the default's row copies and the two-kernel form (CUDA's) give the table with those rows replaced. */
    @Test
    void withRowsReplacesExactlyTheRows() {
        SplittableRandom r = new SplittableRandom(8);
        for (Backend be : List.of(new ScalarBackend(), new VectorBackend())) {
            for (int trial = 0; trial < 50; trial++) {
                int rows = 1 + r.nextInt(30), cols = 1 + r.nextInt(9), k = r.nextInt(rows + 1);
                float[] base = new float[rows * cols], block = new float[k * cols];
                for (int i = 0; i < base.length; i++) base[i] = (float) r.nextGaussian();
                for (int i = 0; i < block.length; i++) block[i] = i % 5 == 0 ? -0f : (float) r.nextGaussian();
                java.util.TreeSet<Integer> pick = new java.util.TreeSet<>();
                while (pick.size() < k) pick.add(r.nextInt(rows));
                int[] ids = pick.stream().mapToInt(Integer::intValue).toArray();
                float[] want = base.clone();
                for (int j = 0; j < k; j++) System.arraycopy(block, j * cols, want, ids[j] * cols, cols);
                io.metarec.backend.Buffer b = be.upload(base), blk = be.upload(block), two = be.allocate(base.length);
                io.metarec.backend.Fused.withRowsInto(be, b, cols, Indices.wrap(ids), blk, two);
                String what = "trial " + trial + " on " + be.name();
                assertArrayEquals(bits(Tensor.of(be, want, want.length)), bits(Tensor.wrap(be, be.withRows(b, cols, Indices.wrap(ids), blk), want.length)), what);
                assertArrayEquals(bits(Tensor.of(be, want, want.length)), bits(Tensor.wrap(be, two, want.length)), what + ", two kernels");
            }
        }
    }
}
