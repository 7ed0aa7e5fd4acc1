package io.metarec.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.IntFunction;

/**
 * The fixed-order sum of a meta-batch's per-task gradients, on host arrays, split over machines.
 *
 * <p>A single machine sums the T tasks of a meta-batch over a fixed binary tree (node [lo, hi)
 * splits at (lo + hi) / 2, left + right; {@code io.metarec.meta.GradientTree}); float addition is
 * not associative, so any other order gives other bits. Here the tree is cut into {@link #blocks}:
 * subtrees [lo, hi), each summed whole on one partition ({@link #sum}, the same tree shape, since
 * a subtree of [lo, hi) is the tree of hi − lo tasks shifted), and the driver adds the block sums
 * along the nodes above the cut ({@link #combine}). Every addition is then the one the single
 * machine makes, operands in the same order, so the bits are the same whatever the number of
 * partitions or the order in which they finish (Spark's treeAggregate would add partial sums in
 * finishing order).
 */
public final class TreeSum {
    private TreeSum() {}

    /**
     * A partial sum: the gradients (per parameter, in name order; null when no task was used),
     * the summed query loss, and how many tasks were used and skipped.
     */
    public record Partial(float[][] grads, double loss, int used, int skipped) implements Serializable {
        /** A task skipped for a NaN/Inf (nonFinite = skip). */
        public static Partial skip() {
            return new Partial(null, 0, 0, 1);
        }
    }

    /**
     * l + r as GradientTree combines them (a side without used tasks passes the other through).
     * Consumes both: the sum is accumulated into l's arrays, as GradientTree grows its left
     * accumulator in place (the same float additions, no θ-sized allocation per node).
     */
    public static Partial combine(Partial l, Partial r) {
        int skipped = l.skipped + r.skipped;
        if (r.used == 0) return new Partial(l.grads, l.loss, l.used, skipped);
        if (l.used == 0) return new Partial(r.grads, r.loss, r.used, skipped);
        for (int i = 0; i < l.grads.length; i++) {
            float[] a = l.grads[i], b = r.grads[i];
            for (int k = 0; k < a.length; k++) a[k] += b[k];
        }
        return new Partial(l.grads, l.loss + r.loss, l.used + r.used, skipped);
    }

    /** The sum of leaves 0 … n − 1 over the tree (what a partition computes for one block); the leaves' arrays are consumed. */
    public static Partial sum(int n, IntFunction<Partial> leaf) {
        if (n < 1) throw new IllegalArgumentException("a tree needs at least one leaf, got " + n);
        return sum(0, n, leaf);
    }

    private static Partial sum(int lo, int hi, IntFunction<Partial> leaf) {
        if (hi - lo == 1) return leaf.apply(lo);
        int mid = (lo + hi) >>> 1;
        Partial l = sum(lo, mid, leaf);
        return combine(l, sum(mid, hi, leaf));
    }

    /** A subtree [lo, hi) of a meta-batch's tree. */
    public record Block(int lo, int hi) implements Serializable {
        public int size() { return hi - lo; }
    }

    /**
     * The tree of {@code n} tasks cut into at most {@code count} subtrees, left to right: the
     * largest is split at its midpoint until there are {@code count} (or every block is one task).
     * Powers of two give equal blocks (± 1 task).
     */
    public static List<Block> blocks(int n, int count) {
        if (n < 1 || count < 1) throw new IllegalArgumentException("blocks of " + n + " tasks in " + count);
        PriorityQueue<Block> q = new PriorityQueue<>(Comparator.comparingInt(Block::size).reversed().thenComparingInt(Block::lo));
        q.add(new Block(0, n));
        while (q.size() < count && q.peek().size() > 1) {
            Block b = q.poll();
            int mid = (b.lo + b.hi) >>> 1;
            q.add(new Block(b.lo, mid));
            q.add(new Block(mid, b.hi));
        }
        List<Block> out = new ArrayList<>(q);
        out.sort(Comparator.comparingInt(Block::lo));
        return out;
    }

    /** The sum over all n tasks from the sums of the blocks (keyed by their lower bound) that cut the tree; the block sums are consumed. */
    public static Partial combine(int n, Map<Integer, Partial> blockSums, List<Block> blocks) {
        Map<Long, Partial> byNode = new java.util.HashMap<>();
        for (Block b : blocks) {
            Partial p = blockSums.get(b.lo);
            if (p == null) throw new IllegalStateException("no sum for the block of tasks [" + b.lo + ", " + b.hi + ")");
            byNode.put(key(b.lo, b.hi), p);
        }
        return node(0, n, byNode);
    }

    private static Partial node(int lo, int hi, Map<Long, Partial> byNode) {
        Partial p = byNode.get(key(lo, hi));
        if (p != null) return p;
        if (hi - lo == 1) throw new IllegalStateException("task " + lo + " is in no block");
        int mid = (lo + hi) >>> 1;
        Partial l = node(lo, mid, byNode);
        return combine(l, node(mid, hi, byNode));
    }

    private static long key(int lo, int hi) {
        return ((long) lo << 32) | hi;
    }
}
