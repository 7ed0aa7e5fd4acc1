package io.metarec.meta;

import io.metarec.autograd.Gradient;
import io.metarec.autograd.RowSparse;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Backend;
import io.metarec.backend.Buffer;
import io.metarec.backend.Indices;
import io.metarec.backend.cpu.ScalarBackend;
import io.metarec.backend.cpu.VectorBackend;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The meta-gradient's pairwise tree: whatever order (and threads) the tasks arrive in, the sum is
 * bitwise the fixed tree's, skipped tasks drop out, the task gradients handed in are never written,
 * and every buffer but the result's is released.
 */
class GradientTreeTest {

    /** A CPU backend that records what was released. */
    static final class Counting extends ScalarBackend {
        final Set<Buffer> released = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));

        @Override public void release(Buffer buffer) { released.add(buffer); }
    }

    /** The tree's sum written out recursively: node [lo, hi) = [lo, mid) + [mid, hi), mid the midpoint. */
    static float[] reference(List<float[]> tasks, boolean[] skip, int lo, int hi) {
        if (hi - lo == 1) return skip[lo] ? null : tasks.get(lo);
        int mid = (lo + hi) >>> 1;
        float[] l = reference(tasks, skip, lo, mid), r = reference(tasks, skip, mid, hi);
        if (l == null) return r;
        if (r == null) return l;
        float[] s = new float[l.length];
        for (int i = 0; i < s.length; i++) s[i] = l[i] + r[i];
        return s;
    }

    @Test
    void anyArrivalOrderGivesTheFixedTreesBits() throws Exception {
        Random rnd = new Random(7);
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            for (int tasks = 1; tasks <= 19; tasks++) {
                int n = 1 + rnd.nextInt(70000); // beyond the vector backend's parallel split, some runs
                List<float[]> a = new ArrayList<>(), b = new ArrayList<>();
                boolean[] skip = new boolean[tasks];
                for (int t = 0; t < tasks; t++) {
                    a.add(gaussian(rnd, n));
                    b.add(gaussian(rnd, 5));
                    skip[t] = tasks > 2 && rnd.nextInt(4) == 0;
                }
                float[] wantA = reference(a, skip, 0, tasks), wantB = reference(b, skip, 0, tasks);
                for (int order = 0; order < 3; order++) {
                    Counting be = new Counting();
                    VectorBackend vector = new VectorBackend();
                    GradientTree tree = new GradientTree(order == 2 ? vector : be, tasks);
                    List<Gradient[]> handedIn = new ArrayList<>();
                    List<Integer> arrival = new ArrayList<>();
                    for (int t = 0; t < tasks; t++) {
                        arrival.add(t);
                        handedIn.add(new Gradient[] {dense(be, a.get(t)), dense(be, b.get(t))});
                    }
                    Collections.shuffle(arrival, new Random(order * 31L + tasks));
                    List<Future<?>> jobs = new ArrayList<>();
                    for (int t : arrival) {
                        GradientTree.Partial p = skip[t] ? GradientTree.Partial.skip()
                                : new GradientTree.Partial(handedIn.get(t), false, t, 1, 0);
                        jobs.add(threads.submit(() -> tree.add(t, p)));
                    }
                    for (Future<?> f : jobs) f.get();
                    GradientTree.Partial sum = tree.result();
                    int used = 0;
                    double loss = 0;
                    for (int t = 0; t < tasks; t++) if (!skip[t]) { used++; loss += t; }
                    assertEquals(used, sum.used(), "tasks used");
                    assertEquals(tasks - used, sum.skipped(), "tasks skipped");
                    assertEquals(loss, sum.loss(), 1e-9, "loss sum");
                    String what = tasks + " tasks, arrival " + arrival;
                    if (used == 0) {
                        assertNull(sum.grads(), what);
                        continue;
                    }
                    assertArrayEquals(wantA, sum.grads()[0].toDense().toArray(), what);
                    assertArrayEquals(wantB, sum.grads()[1].toDense().toArray(), what);
                    for (int t = 0; t < tasks; t++) { // handed-in gradients are read, never written
                        Buffer in = GradientTree.buffer(handedIn.get(t)[0]);
                        assertArrayEquals(a.get(t), be.download(in), what + ": task " + t + " written");
                        if (order < 2 && !skip[t]) {
                            boolean inResult = in == GradientTree.buffer(sum.grads()[0]);
                            assertEquals(!inResult, be.released.contains(in), what + ": task " + t + " released");
                        }
                    }
                    if (order < 2) for (Gradient r : sum.grads()) assertFalse(be.released.contains(GradientTree.buffer(r)), what + ": the result is not released");
                }
            }
        } finally {
            threads.shutdownNow();
        }
    }

    /**
     * Row-sparse task gradients (an embedding table's touched rows; repeated rows, −0 among the
     * values, some tasks with a dense gradient for the same table) sum to the bits of the dense
     * tree over the same gradients written out as full tables, on either CPU backend, in any order.
     */
    @Test
    void rowSparseGradientsSumToTheDenseTreesBits() throws Exception {
        Random rnd = new Random(11);
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            for (int tasks = 1; tasks <= 13; tasks++) {
                int rows = 1 + rnd.nextInt(300), cols = 1 + rnd.nextInt(40);
                List<float[]> full = new ArrayList<>();
                List<int[]> ids = new ArrayList<>();
                List<float[]> src = new ArrayList<>();
                boolean[] skip = new boolean[tasks], denseTask = new boolean[tasks];
                for (int t = 0; t < tasks; t++) {
                    int n = rnd.nextInt(3 * Math.min(rows, 40)); // may be 0: a task that touched no row
                    int[] id = new int[n];
                    for (int i = 0; i < n; i++) id[i] = rnd.nextInt(Math.min(rows, 1 + rnd.nextInt(20))); // many repeats
                    float[] v = gaussian(rnd, n * cols);
                    for (int i = 0; i < v.length; i += 7) v[i] = -0f;
                    float[] d = new float[rows * cols]; // the dense scatter: zeros, then each row added in order
                    for (int i = 0; i < n; i++) for (int c = 0; c < cols; c++) d[id[i] * cols + c] += v[i * cols + c];
                    ids.add(id);
                    src.add(v);
                    full.add(d);
                    skip[t] = tasks > 2 && rnd.nextInt(5) == 0;
                    denseTask[t] = rnd.nextInt(4) == 0;
                }
                float[] want = reference(full, skip, 0, tasks);
                for (int order = 0; order < 3; order++) {
                    Backend be = order == 2 ? new VectorBackend() : new ScalarBackend();
                    GradientTree tree = new GradientTree(be, tasks);
                    List<Integer> arrival = new ArrayList<>();
                    for (int t = 0; t < tasks; t++) arrival.add(t);
                    Collections.shuffle(arrival, new Random(order * 17L + tasks));
                    List<Future<?>> jobs = new ArrayList<>();
                    for (int t : arrival) {
                        Gradient g = denseTask[t] ? new Gradient.Dense(Tensor.of(be, full.get(t), rows, cols))
                                : RowSparse.scatter(Tensor.of(be, src.get(t), ids.get(t).length, cols), Indices.of(ids.get(t)), rows);
                        GradientTree.Partial p = skip[t] ? GradientTree.Partial.skip() : new GradientTree.Partial(new Gradient[] {g}, false, 0, 1, 0);
                        jobs.add(threads.submit(() -> tree.add(t, p)));
                    }
                    for (Future<?> f : jobs) f.get();
                    GradientTree.Partial sum = tree.result();
                    String what = tasks + " tasks, " + rows + "×" + cols + ", arrival " + arrival + " on " + be.name();
                    if (want == null) {
                        assertNull(sum.grads(), what);
                        continue;
                    }
                    boolean anyDense = false;
                    for (int t = 0; t < tasks; t++) anyDense |= denseTask[t] && !skip[t];
                    assertEquals(!anyDense, sum.grads()[0] instanceof RowSparse, what + ": sparse while every task's is");
                    assertArrayEquals(bits(want), bits(sum.grads()[0].toDense().toArray()), what);
                }
            }
        } finally {
            threads.shutdownNow();
        }
    }

    static int[] bits(float[] x) {
        int[] b = new int[x.length];
        for (int i = 0; i < x.length; i++) b[i] = Float.floatToRawIntBits(x[i]);
        return b;
    }

    @Test
    void releaseAllFreesWhatAnUnfinishedTreeHolds() {
        Counting be = new Counting();
        GradientTree tree = new GradientTree(be, 4);
        Gradient[] g0 = {dense(be, new float[] {1, 2})}, g1 = {dense(be, new float[] {3, 4})}, g3 = {dense(be, new float[] {5, 6})};
        tree.add(0, new GradientTree.Partial(g0, false, 0, 1, 0));
        tree.add(1, new GradientTree.Partial(g1, false, 0, 1, 0)); // combines 0 + 1 into a fresh accumulator
        tree.add(3, new GradientTree.Partial(g3, false, 0, 1, 0)); // task 2 failed: 3 waits
        assertThrows(IllegalStateException.class, tree::result);
        Map<Buffer, Boolean> before = new IdentityHashMap<>();
        for (Buffer b : be.released) before.put(b, true);
        tree.releaseAll();
        assertTrue(be.released.contains(GradientTree.buffer(g3[0])), "the waiting task's gradients are freed");
        assertEquals(before.size() + 2, be.released.size(), "and the accumulator of 0 + 1");
    }

    static Gradient dense(Backend be, float[] values) {
        return new Gradient.Dense(Tensor.wrap(be, be.upload(values), values.length));
    }

    static float[] gaussian(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }
}
