package io.metarec.rec.model;

import io.metarec.autograd.Tensor;
import io.metarec.backend.Indices;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/** Examples.concat: ids joined, offsets shifted (a field ragged in one part is ragged in the result), identities and targets in order. */
class ExamplesTest {

    private static Examples.FieldIds single(int... ids) {
        return new Examples.FieldIds(Indices.wrap(ids), null);
    }

    private static Examples.FieldIds bag(int[] offsets, int... ids) {
        return new Examples.FieldIds(Indices.wrap(ids), Indices.wrap(offsets));
    }

    @Test
    void concatJoinsIdsShiftsOffsetsAndKeepsRowOrder() {
        Examples a = new Examples(List.of(single(4, 5), bag(new int[] {0, 2, 3}, 7, 8, 9)), Indices.wrap(new int[] {1, 2}), null,
                Tensor.of(new float[] {1, 2}, 2, 1));
        Examples b = new Examples(List.of(single(6, 6, 0), single(1, 2, 3)), null, Indices.wrap(new int[] {3, 3, 3}),
                Tensor.of(new float[] {3, 4, 5}, 3, 1));
        Examples c = new Examples(List.of(single(2), bag(new int[] {0, 0}, new int[0])), null, null, Tensor.of(new float[] {6}, 1, 1));
        Examples all = Examples.concat(List.of(a, b, c));

        assertArrayEquals(new int[] {4, 5, 6, 6, 0, 2}, all.fields().get(0).ids().array());
        assertNull(all.fields().get(0).offsets(), "a field single in every part stays single");
        assertArrayEquals(new int[] {7, 8, 9, 1, 2, 3}, all.fields().get(1).ids().array());
        assertArrayEquals(new int[] {0, 2, 3, 4, 5, 6, 6}, all.fields().get(1).offsets().array(), "row 5 is an empty bag");
        assertArrayEquals(new int[] {1, 2, 0, 0, 0, 0}, all.identities(FieldSpec.Side.ITEM).array());
        assertArrayEquals(new int[] {0, 0, 3, 3, 3, 0}, all.identities(FieldSpec.Side.USER).array());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, all.targets().toArray());
        assertSame(a, Examples.concat(List.of(a)));
    }
}
