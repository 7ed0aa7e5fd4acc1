package io.metarec.meta;

import io.metarec.autograd.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The inner loop's support shrinkage: a task's loss weighted by n / (n + κ), alone or in a masked stack. */
class SupportShrinkTest {

    @Test
    void oneTaskIsWeightedByItsSize() {
        Tensor pred = Tensor.of(new float[] {1, 2, 3, 4}, 4, 1), target = Tensor.of(new float[] {2, 2, 2, 2}, 4, 1);
        float plain = LossKind.MSE.perTask(pred, target, null).item(); // (1 + 0 + 1 + 4) / 4
        assertEquals(1.5f, plain, 1e-6f);
        assertEquals(plain * 4f / 7f, LossKind.MSE.perTaskShrunk(pred, target, null, 3f).item(), 1e-6f);
        assertEquals(plain, LossKind.MSE.perTaskShrunk(pred, target, null, 0f).item(), 0f, "κ = 0 is the plain loss");
    }

    /** In a stack each task counts its own unmasked rows, so a padded task is shrunk as when alone. */
    @Test
    void aStackWeighsEachTaskByItsUnmaskedRows() {
        Batch a = new Batch(Tensor.zeros(1, 1), Tensor.of(new float[] {3}, 1, 1));
        Batch b = new Batch(Tensor.zeros(3, 1), Tensor.of(new float[] {1, 2, 5}, 3, 1));
        Batch s = Batch.stack(List.of(a, b));
        Tensor pred = Tensor.full(2f, s.targets().shape());
        float[] shrunk = LossKind.MSE.perTaskShrunk(pred, s.targets(), s.mask(), 3f).toArray();
        float alone0 = LossKind.MSE.perTaskShrunk(Tensor.full(2f, 1, 1), a.targets(), null, 3f).item();
        float alone1 = LossKind.MSE.perTaskShrunk(Tensor.full(2f, 3, 1), b.targets(), null, 3f).item();
        assertArrayEquals(new float[] {alone0, alone1}, shrunk, 1e-6f);
        assertEquals(1f * 1f / 4f, alone0, 1e-6f); // one rating: weight 1/4
        assertEquals((1 + 0 + 9) / 3f * 3f / 6f, alone1, 1e-6f); // three ratings: weight 1/2
    }
}
