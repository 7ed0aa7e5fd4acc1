package io.metarec.meta;

import io.metarec.autograd.ShapeOps;
import io.metarec.autograd.Tensor;
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
     * Stacks single-task batches into one [T, Nmax, …] batch, padding shorter tasks with zero rows
     * that the mask excludes from every loss. Differentiable: features may carry graph history.
     */
    public static Batch stack(List<Batch> batches) {
        if (batches.isEmpty()) throw new ShapeException("batch: cannot stack zero tasks");
        int max = 0;
        boolean ragged = false;
        for (Batch b : batches) {
            if (b.stacked()) throw new ShapeException("batch: cannot stack already stacked batches");
            if (max != 0 && b.rows() != max) ragged = true;
            max = Math.max(max, b.rows());
        }
        List<Tensor> fs = new ArrayList<>(), ts = new ArrayList<>();
        float[] mask = ragged ? new float[batches.size() * max] : null;
        for (int t = 0; t < batches.size(); t++) {
            Batch b = batches.get(t);
            fs.add(lift(ShapeOps.pad(b.features, 0, 0, max)));
            ts.add(lift(ShapeOps.pad(b.targets, 0, 0, max)));
            if (mask != null) java.util.Arrays.fill(mask, t * max, t * max + b.rows(), 1f);
        }
        Tensor m = mask == null ? null : Tensor.of(batches.get(0).features.backend(), mask, batches.size(), max, 1);
        return new Batch(ShapeOps.concat(fs, 0), ShapeOps.concat(ts, 0), m);
    }

    private static Tensor lift(Tensor x) {
        return x.reshape(1, x.dim(0), x.dim(1));
    }
}
