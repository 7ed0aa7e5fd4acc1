package io.metarec.spark;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A meta-batch's tree sum cut into blocks (one per partition) and put back together gives the
 * bits of the whole tree, for every batch size and block count, with skipped tasks; a plain
 * left-to-right sum does not (the control that float addition order matters here).
 */
class TreeSumTest {
    /** Leaf j: values of mixed magnitude (so the order of additions shows), or a skipped task. */
    static TreeSum.Partial leaf(int j, long seed, boolean skip) {
        if (skip) return TreeSum.Partial.skip();
        SplittableRandom r = new SplittableRandom(seed * 1000 + j);
        float[] a = new float[17], b = new float[3];
        for (int k = 0; k < a.length; k++) a[k] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(8) - 4));
        for (int k = 0; k < b.length; k++) b[k] = (float) r.nextGaussian();
        return new TreeSum.Partial(new float[][] {a, b}, r.nextDouble(), 1, 0);
    }

    @Test void blocksPutTogetherAreTheWholeTree() {
        for (int n = 1; n <= 40; n++) {
            for (int count = 1; count <= 9; count++) {
                final int tasks = n;
                boolean[] skip = new boolean[n];
                for (int j = 0; j < n; j++) skip[j] = (j * 7 + count) % 11 == 0;
                TreeSum.Partial whole = TreeSum.sum(n, j -> leaf(j, tasks, skip[j]));
                List<TreeSum.Block> blocks = TreeSum.blocks(n, count);
                assertEquals(Math.min(n, count), blocks.size(), n + " tasks in " + count);
                int covered = 0;
                Map<Integer, TreeSum.Partial> sums = new HashMap<>();
                for (TreeSum.Block b : blocks) {
                    assertEquals(covered, b.lo(), "blocks are contiguous");
                    covered = b.hi();
                    sums.put(b.lo(), TreeSum.sum(b.size(), j -> leaf(b.lo() + j, tasks, skip[b.lo() + j])));
                }
                assertEquals(n, covered);
                TreeSum.Partial cut = TreeSum.combine(n, sums, blocks);
                String what = n + " tasks in " + count + " blocks";
                assertEquals(whole.used(), cut.used(), what);
                assertEquals(whole.skipped(), cut.skipped(), what);
                assertEquals(whole.loss(), cut.loss(), 0.0, what);
                if (whole.used() > 0)
                    for (int i = 0; i < 2; i++) assertArrayEquals(whole.grads()[i], cut.grads()[i], 0f, what);
            }
        }
    }

    @Test void theOrderOfAdditionsMatters() {
        int n = 32;
        TreeSum.Partial tree = TreeSum.sum(n, j -> leaf(j, 5, false));
        float[] serial = new float[17];
        for (int j = 0; j < n; j++) {
            float[] a = leaf(j, 5, false).grads()[0];
            for (int k = 0; k < a.length; k++) serial[k] += a[k];
        }
        assertFalse(java.util.Arrays.equals(serial, tree.grads()[0]), "a left-to-right sum has other bits");
        for (int k = 0; k < serial.length; k++) assertEquals(serial[k], tree.grads()[0][k], 1e-3 * (1 + Math.abs(serial[k])));
        assertTrue(tree.used() == n);
    }
}
