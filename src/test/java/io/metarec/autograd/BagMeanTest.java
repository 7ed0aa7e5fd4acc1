package io.metarec.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.metarec.backend.Backend;
import io.metarec.backend.Indices;
import io.metarec.backend.ShapeException;
import io.metarec.backend.cpu.ScalarBackend;
import io.metarec.backend.cpu.VectorBackend;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Indexing#bagMean} is {@code segmentMean(gatherRows(table, ids), offsets)} as one op: the
 * same values, the same dense, second-order and row-sparse gradients, bit for bit, on both CPU
 * backends (the vector one reads the table in place, the scalar one runs the two kernels), with
 * duplicate ids, empty bags and other lookups into the same table batched with it.
 */
class BagMeanTest {
    @Test
    void valuesAndGradientsEqualTheTwoOps() {
        for (Backend be : List.of(new VectorBackend(), new ScalarBackend())) {
            SplittableRandom rnd = new SplittableRandom(21);
            int vocab = 40, d = 37, bags = 25;
            int[] offsets = new int[bags + 1];
            for (int s = 0; s < bags; s++) offsets[s + 1] = offsets[s] + (s % 7 == 3 ? 0 : 1 + rnd.nextInt(9)); // some empty bags
            int[] ids = new int[offsets[bags]];
            for (int j = 0; j < ids.length; j++) ids[j] = rnd.nextInt(vocab);
            Indices idx = Indices.wrap(ids), off = Indices.wrap(offsets), single = Indices.of(3, 5, 3);
            Tensor table = Tensor.of(be, gaussian(vocab * d, rnd), vocab, d).requiringGrad();
            Tensor weights = Tensor.of(be, gaussian(bags * d, rnd), bags, d);

            Tensor fused = Indexing.bagMean(table, idx, off);
            Tensor composed = Indexing.segmentMean(Indexing.gatherRows(table, idx), off);
            assertBitwise(composed.toArray(), fused.toArray(), be.name() + " values");

            // a loss reading the table through the bag and through a plain lookup as well (batched scatter)
            Tensor lf = fused.mul(fused).mul(weights).sum().add(Indexing.gatherRows(table, single).sum());
            Tensor lc = composed.mul(composed).mul(weights).sum().add(Indexing.gatherRows(table, single).sum());
            Tensor gf = Autograd.grad(lf, List.of(table), true).get(0), gc = Autograd.grad(lc, List.of(table), true).get(0);
            assertBitwise(gc.toArray(), gf.toArray(), be.name() + " gradient");
            Tensor hf = Autograd.grad(gf.mul(gf).sum(), List.of(table), false).get(0);
            Tensor hc = Autograd.grad(gc.mul(gc).sum(), List.of(table), false).get(0);
            assertBitwise(hc.toArray(), hf.toArray(), be.name() + " second order");
            Gradient sf = Autograd.gradients(lf, List.of(table)).get(0), sc = Autograd.gradients(lc, List.of(table)).get(0);
            assertTrue(sf instanceof RowSparse, "the table read only through lookups gets touched rows");
            assertBitwise(((RowSparse) sc).toDense().toArray(), ((RowSparse) sf).toDense().toArray(), be.name() + " row-sparse gradient");
            assertBitwise(gc.toArray(), ((RowSparse) sf).toDense().toArray(), be.name() + " row-sparse = dense");
        }
    }

    @Test
    void badInputNamesTheOp() {
        Tensor table = Tensor.of(new float[6], 3, 2);
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> Indexing.bagMean(table, Indices.of(0, 3), Indices.of(0, 2)));
        assertTrue(e.getMessage().contains("bag_mean") && e.getMessage().contains("[3, 2]"), e.getMessage());
        ShapeException s = assertThrows(ShapeException.class, () -> Indexing.bagMean(table, Indices.of(0, 1), Indices.of(0, 1)));
        assertTrue(s.getMessage().contains("bag_mean"), s.getMessage());
    }

    private static float[] gaussian(int n, SplittableRandom r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    private static void assertBitwise(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++)
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) fail(what + ": element " + i + " is " + got[i] + ", want " + want[i]);
    }
}
