package io.metarec.meta;

import io.metarec.autograd.Indexing;
import io.metarec.autograd.ShapeOps;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Indices;
import io.metarec.backend.ShapeException;

import java.util.ArrayList;
import java.util.List;

/**
 * Examples as the adapted part of a model sees them: {@code features} [N, f] and {@code targets}
 * [N, o] for one task, or stacked over tasks as [T, N, f] / [T, N, o] with a {@code mask} [T, N, 1]
 * (1 for a real example, 0 for padding; null when every task has N examples).
 */
public record Batch(Tensor features, Tensor targets, Tensor mask) {

    public Batch {
        if (features.rank() != targets.rank() || features.dim(0) != targets.dim(0)
                || (features.rank() == 3 && features.dim(1) != targets.dim(1)))
            throw new ShapeException("batch: features " + features.shapeString() + " and targets " + targets.shapeString()
                    + " must agree in their leading dimensions");
        if (features.rank() == 2 && features.dim(0) == 0) throw new ShapeException("batch: a task needs at least one example");
    }

    public Batch(Tensor features, Tensor targets) {
        this(features, targets, null);
    }

    /** True for a stack of several tasks ([T, N, …]). */
    public boolean stacked() { return features.rank() == 3; }

    /** Number of tasks: T when stacked, else 1. */
    public int tasks() { return stacked() ? features.dim(0) : 1; }

    /** Examples per task (the padded length when stacked). */
    public int rows() { return stacked() ? features.dim(1) : features.dim(0); }

    /**
     * Stacks single-task batches into one [T, Nmax, …] batch; shorter tasks are padded with rows
     * that the mask excludes from every loss. Differentiable: features may carry graph history.
     */
    public static Batch stack(List<Batch> batches) {
        if (batches.isEmpty()) throw new ShapeException("batch: cannot stack zero tasks");
        List<Tensor> fs = new ArrayList<>(), ts = new ArrayList<>();
        int[] rows = new int[batches.size()];
        for (int t = 0; t < rows.length; t++) {
            Batch b = batches.get(t);
            if (b.stacked()) throw new ShapeException("batch: cannot stack already stacked batches");
            fs.add(b.features);
            ts.add(b.targets);
            rows[t] = b.rows();
        }
        return stackRows(new Batch(ShapeOps.concat(fs, 0), ShapeOps.concat(ts, 0)), rows);
    }

    /**
     * Splits the rows of one batch into consecutive tasks of {@code rows[t]} examples and stacks
     * them as [T, Nmax, …]. One row lookup does the padding: padded positions repeat a real row
     * (so no value is ever undefined) and the mask zeroes their loss and therefore their gradient.
     */
    public static Batch stackRows(Batch all, int[] rows) {
        if (all.stacked()) throw new ShapeException("batch: stackRows needs an unstacked batch");
        int max = 0, total = 0;
        for (int r : rows) {
            if (r < 1) throw new ShapeException("batch: every task needs at least one example");
            max = Math.max(max, r);
            total += r;
        }
        if (total != all.rows()) throw new ShapeException("batch: task sizes add up to " + total + " but the batch has " + all.rows() + " rows");
        int tasks = rows.length, f = all.features.dim(1), o = all.targets.dim(1);
        boolean ragged = false;
        for (int r : rows) ragged |= r != max;
        if (!ragged) return new Batch(all.features.reshape(tasks, max, f), all.targets.reshape(tasks, max, o), null);
        int[] index = new int[tasks * max];
        float[] mask = new float[tasks * max];
        for (int t = 0, start = 0; t < tasks; start += rows[t], t++) {
            for (int j = 0; j < max; j++) {
                index[t * max + j] = start + Math.min(j, rows[t] - 1);
                mask[t * max + j] = j < rows[t] ? 1f : 0f;
            }
        }
        Indices idx = Indices.wrap(index);
        Tensor m = Tensor.of(all.features.backend(), mask, tasks, max, 1);
        return new Batch(Indexing.gatherRows(all.features, idx).reshape(tasks, max, f),
                Indexing.gatherRows(all.targets, idx).reshape(tasks, max, o), m);
    }
}
