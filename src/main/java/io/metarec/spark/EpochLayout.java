package io.metarec.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * Which partition computes which tasks of an epoch: every meta-step's tree of tasks is cut into
 * {@link TreeSum#blocks} (as many as partitions), block j of a step going to partition j. The
 * driver and the executors derive it from the same three numbers.
 *
 * @param tasks      the epoch's training tasks
 * @param metaBatch  tasks per meta-step
 * @param partitions partitions
 */
public record EpochLayout(int tasks, int metaBatch, int partitions) implements Serializable {

    public int steps() {
        return (tasks + metaBatch - 1) / metaBatch;
    }

    /** Tasks in meta-step {@code s} (the last one may be short). */
    public int size(int s) {
        return Math.min(metaBatch, tasks - s * metaBatch);
    }

    /** Step {@code s}'s blocks (batch-local positions), block j for partition j. */
    public List<TreeSum.Block> blocks(int s) {
        return TreeSum.blocks(size(s), partitions);
    }

    /** One block of partition {@code p}: its step, its index among the step's blocks, its tasks [lo, hi) within the step. */
    public record Assigned(int step, int index, TreeSum.Block block) implements Serializable {}

    /** Partition {@code p}'s blocks of every step, in step order. */
    public List<Assigned> of(int p) {
        List<Assigned> out = new ArrayList<>();
        for (int s = 0; s < steps(); s++) {
            List<TreeSum.Block> b = blocks(s);
            if (p < b.size()) out.add(new Assigned(s, p, b.get(p)));
        }
        return out;
    }
}
