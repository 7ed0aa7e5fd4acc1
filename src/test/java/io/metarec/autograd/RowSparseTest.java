package io.metarec.autograd;

import io.metarec.backend.Backend;
import io.metarec.backend.Indices;
import io.metarec.backend.cpu.ScalarBackend;
import io.metarec.backend.cpu.VectorBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Row-sparse gradients of lookups: {@link Autograd#gradients} gives a table read only through
 * lookups its touched rows, bitwise the dense {@link Autograd#grad} once densified (first and second
 * order, repeated ids, several lookups of one table), and every other tensor the dense gradient;
 * {@link RowSparse}'s own operations are bitwise the dense ones on both CPU backends.
 */
class RowSparseTest {
    static Stream<Backend> backends() {
        return Stream.of(new ScalarBackend(), new VectorBackend());
    }

    static Tensor gaussian(Backend be, SplittableRandom r, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextGaussian() * (r.nextInt(9) == 0 ? 1e-3 : 1));
        return Tensor.of(be, x, shape);
    }

    static Indices ids(SplittableRandom r, int n, int bound) {
        int[] x = new int[n];
        for (int i = 0; i < n; i++) x[i] = r.nextInt(Math.min(bound, 1 + r.nextInt(12))); // mostly small ids: many repeats
        return Indices.wrap(x);
    }

    static int[] bits(float[] x) {
        int[] b = new int[x.length];
        for (int i = 0; i < x.length; i++) b[i] = Float.floatToRawIntBits(x[i]);
        return b;
    }

    static void assertBits(Tensor want, Tensor got, String what) {
        assertArrayEquals(want.shape(), got.shape(), what + ": shape");
        assertArrayEquals(bits(want.toArray()), bits(got.toArray()), what);
    }

    /**
     * A MeLU-like graph: table a looked up twice (once through a segment mean), table b looked up
     * and also read densely, table c unused, a weight w; an inner gradient step on w with
     * createGraph (second order, as MAML's) when {@code secondOrder}.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void gradientsAreTheDenseOnesBitwise(Backend be) {
        for (int seed = 0; seed < 30; seed++) {
            for (boolean secondOrder : new boolean[] {false, true}) {
                SplittableRandom r = new SplittableRandom(seed);
                int d = 1 + r.nextInt(9), n = 1 + r.nextInt(15), rowsA = 1 + r.nextInt(40), rowsB = 1 + r.nextInt(40);
                Tensor a = gaussian(be, r, rowsA, d).requiringGrad(), b = gaussian(be, r, rowsB, d).requiringGrad();
                Tensor c = gaussian(be, r, 5, d).requiringGrad(), w = gaussian(be, r, 3 * d, 1).requiringGrad();
                Indices ia = ids(r, n, rowsA), ib = ids(r, n, rowsB);
                int[] counts = new int[n + 1]; // segments over 2n lookups: n segments of 0..4 rows
                int total = 0;
                for (int s = 0; s < n; s++) counts[s + 1] = total += r.nextInt(2) + (s == n - 1 ? 2 * n - total - r.nextInt(1) : 1);
                total = Math.max(total, counts[n]);
                Indices bag = ids(r, counts[n], rowsA), offsets = Indices.wrap(counts);
                Tensor x = ShapeOps.concat(List.of(a.gatherRows(ia), Indexing.segmentMean(a.gatherRows(bag), offsets), b.gatherRows(ib)), 1);
                Tensor fast = w;
                if (secondOrder) {
                    Tensor inner = x.matmul(w).tanh().square().mean();
                    fast = w.sub(Autograd.grad(inner, List.of(w), true).get(0).mul(0.1f));
                }
                Tensor loss = x.matmul(fast).sigmoid().sum().add(b.square().sum().mul(0.01f));
                List<Tensor> wrt = List.of(a, b, c, w);
                List<Tensor> dense = Autograd.grad(loss, wrt, false);
                List<Gradient> mixed = Autograd.gradients(loss, wrt);
                String what = "seed " + seed + (secondOrder ? ", second order" : "") + " on " + be.name();
                assertInstanceOf(RowSparse.class, mixed.get(0), what + ": a table read only through lookups");
                assertInstanceOf(Gradient.Dense.class, mixed.get(1), what + ": a table also read densely");
                assertInstanceOf(Gradient.Dense.class, mixed.get(2), what + ": an unused table");
                for (int i = 0; i < wrt.size(); i++) assertBits(dense.get(i), mixed.get(i).toDense(), what + ": gradient " + i);
                RowSparse ga = (RowSparse) mixed.get(0);
                java.util.TreeSet<Integer> touched = new java.util.TreeSet<>();
                for (int id : ia.array()) touched.add(id);
                for (int id : bag.array()) touched.add(id);
                assertArrayEquals(touched.stream().mapToInt(Integer::intValue).toArray(), ga.rowIds().array(), what + ": the touched rows");
            }
        }
    }

    /**
     * scatter finds the touched rows by a slot per table row when the table has at most 8 rows
     * per id, else by sorting the ids: the same rows and bits either way (rows ≤ 60 and up to 49
     * ids take either path; 100,000 more rows always sort).
     */
    @Test
    void scatterGivesTheSameBlockForSmallAndHugeTables() {
        Backend be = new VectorBackend();
        for (int seed = 0; seed < 50; seed++) {
            SplittableRandom r = new SplittableRandom(seed);
            int rows = 1 + r.nextInt(60), cols = 1 + r.nextInt(9), n = r.nextInt(50);
            Indices ids = ids(r, n, rows);
            Tensor src = gaussian(be, r, n, cols);
            RowSparse small = RowSparse.scatter(src, ids, rows), huge = RowSparse.scatter(src, ids, rows + 100_000);
            assertArrayEquals(small.rowIds().array(), huge.rowIds().array(), "seed " + seed + ": touched rows");
            assertArrayEquals(bits(small.block().toArray()), bits(huge.block().toArray()), "seed " + seed + ": block");
            assertBits(Indexing.scatterAddRows(src, ids, rows + 100_000), huge.toDense(), "seed " + seed + ": huge table, dense");
        }
    }

    /** scatter, plus, scale, toDense and sum: the dense kernels' bits, the same on the scalar and vector backends. */
    @Test
    void operationsAreTheDenseOnesOnBothBackends() {
        Backend s = new ScalarBackend(), v = new VectorBackend();
        for (int seed = 0; seed < 200; seed++) {
            SplittableRandom r = new SplittableRandom(seed);
            int rows = 1 + r.nextInt(60), cols = 1 + r.nextInt(37), n1 = r.nextInt(50), n2 = r.nextInt(50);
            float[] src1 = gaussian(s, r, n1, cols).toArray(), src2 = gaussian(s, r, n2, cols).toArray();
            for (int i = 0; i < src1.length; i += 5) src1[i] = -0f; // −0 must come out as the dense path has it
            Indices i1 = ids(r, n1, rows), i2 = ids(r, n2, rows);
            float scale = 1f / (1 + r.nextInt(40));
            int[][] results = new int[2][];
            for (Backend be : List.of(s, v)) {
                Tensor t1 = Tensor.of(be, src1, n1, cols), t2 = Tensor.of(be, src2, n2, cols);
                RowSparse g1 = RowSparse.scatter(t1, i1, rows), g2 = RowSparse.scatter(t2, i2, rows);
                Tensor d1 = Indexing.scatterAddRows(t1, i1, rows), d2 = Indexing.scatterAddRows(t2, i2, rows);
                String what = "seed " + seed + " on " + be.name();
                assertBits(d1, g1.toDense(), what + ": scatter");
                assertBits(d1.add(d2), g1.plus(g2).toDense(), what + ": plus");
                assertBits(d2.add(d1), g2.plus(g1).toDense(), what + ": plus, other order");
                assertBits(d1.add(d2).mul(scale), g1.plus(g2).scale(scale).toDense(), what + ": scale");
                double l1 = 0;
                for (float x : src1) l1 += Math.abs(x);
                assertEquals(d1.sum().item(), g1.sum().item(), 1e-5 * (1 + l1), what + ": sum (another order of the same terms)");
                results[be == s ? 0 : 1] = bits(g1.plus(g2).scale(scale).toDense().toArray());
            }
            assertArrayEquals(results[0], results[1], "seed " + seed + ": scalar and vector backends");
        }
    }

    @Test
    void rejectsWhatTheDenseScatterRejects() {
        Tensor src = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
        assertThrows(IndexOutOfBoundsException.class, () -> RowSparse.scatter(src, Indices.of(0, 5), 5));
        assertThrows(io.metarec.backend.ShapeException.class, () -> RowSparse.scatter(src, Indices.of(0), 5));
        RowSparse g = RowSparse.scatter(src, Indices.of(1, 1), 3);
        assertArrayEquals(new float[] {0, 0, 4, 6, 0, 0}, g.toDense().toArray());
        assertThrows(io.metarec.backend.ShapeException.class, () -> g.plus(RowSparse.scatter(src, Indices.of(0, 1), 4)));
    }
}
