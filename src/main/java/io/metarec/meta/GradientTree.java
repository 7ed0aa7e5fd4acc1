package io.metarec.meta;

import io.metarec.autograd.Gradient;
import io.metarec.autograd.RowSparse;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Backend;
import io.metarec.backend.Binary;
import io.metarec.backend.Broadcast;
import io.metarec.backend.Buffer;
import io.metarec.backend.MemoryScope;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The sum of a meta-batch's per-task gradients, built while the tasks run, with no serial phase
 * after them and bits that do not depend on the thread count.
 *
 * <p>The tasks are the leaves of a fixed binary tree (node [lo, hi) splits at the midpoint). When a
 * task finishes, its worker hands the gradients to the leaf and walks up: at each node the first
 * child to arrive parks its partial sum and the worker leaves; the second one adds the two, left +
 * right, and goes on. So every node is the same two operands in the same order whichever thread
 * ran what (a sum per worker thread would not be: the tasks a worker sees depend on the thread
 * count), and the additions run on the workers, overlapping the tasks still running. The first
 * addition at a node writes a fresh accumulator; above it, the left accumulator grows in place
 * ({@link Backend#accumulate}, split over idle cores for large tensors) and the right one is
 * released. Only the last log₂(T) additions follow the last task.
 *
 * <p>An embedding table's gradient stays row-sparse ({@link RowSparse}) up the tree while both
 * operands are: their sum is the union of the touched rows, each element added as the dense sum
 * adds it, so the result densifies to the dense tree's bits. Where one side is dense (a task that
 * reached the table otherwise), the sparse side is densified first and the dense rule applies.
 *
 * <p>Task gradients handed in must be exclusively the tree's (a worker's, kept out of its memory
 * scope); the tree releases each once added. Thread-safe for one {@link #add} per task.
 */
final class GradientTree {

    /**
     * A partial sum over some tasks: gradients in parameter order (null when none was used);
     * owned: the dense ones are accumulators this tree allocated (a task's are not).
     */
    record Partial(Gradient[] grads, boolean owned, double loss, int used, int skipped) {
        static Partial skip() {
            return new Partial(null, false, 0, 0, 1);
        }
    }

    private static final class Node {
        final Node parent;
        final boolean left;
        final AtomicInteger arrived = new AtomicInteger();
        Partial leftValue, rightValue; // published by the arrival count (a volatile read-modify-write)

        Node(Node parent, boolean left) {
            this.parent = parent;
            this.left = left;
        }
    }

    private final Backend backend;
    private final Node[] leaves;
    private final Node[] inner;
    private volatile Partial result;

    GradientTree(Backend backend, int tasks) {
        if (tasks < 1) throw new IllegalArgumentException("a gradient tree needs at least one task, got " + tasks);
        this.backend = backend;
        this.leaves = new Node[tasks];
        this.inner = new Node[tasks - 1];
        build(null, false, 0, tasks, new int[1]);
    }

    private void build(Node parent, boolean left, int lo, int hi, int[] innerCount) {
        Node n = new Node(parent, left);
        if (hi - lo == 1) {
            leaves[lo] = n;
            return;
        }
        inner[innerCount[0]++] = n;
        int mid = (lo + hi) >>> 1;
        build(n, true, lo, mid, innerCount);
        build(n, false, mid, hi, innerCount);
    }

    /** Adds task {@code index}'s contribution (its own gradient buffers, or {@link Partial#skip}). */
    void add(int index, Partial value) {
        Node n = leaves[index];
        while (n.parent != null) {
            Node p = n.parent;
            if (n.left) p.leftValue = value;
            else p.rightValue = value;
            if (p.arrived.incrementAndGet() < 2) return; // the sibling is still running: it carries on
            // A scope for the addition's temporaries (a device backend's uploaded row indices); the sum outlives it.
            try (MemoryScope scope = backend.openScope()) {
                value = combine(p.leftValue, p.rightValue);
                if (value.grads != null) for (Gradient g : value.grads) scope.keep(buffer(g));
            }
            p.leftValue = p.rightValue = null;
            n = p;
        }
        result = value;
    }

    /** The sum over every task, once all were added. */
    Partial result() {
        Partial r = result;
        if (r == null) throw new IllegalStateException("gradient tree: not every task was added");
        return r;
    }

    /** Frees every buffer the tree still holds (after a failed meta-step, when no worker runs). */
    void releaseAll() {
        for (Node n : inner) {
            release(n.leftValue);
            release(n.rightValue);
            n.leftValue = n.rightValue = null;
        }
        release(result);
        result = null;
    }

    private void release(Partial p) {
        if (p != null && p.grads != null) for (Gradient g : p.grads) backend.release(buffer(g));
    }

    private Partial combine(Partial l, Partial r) {
        int skipped = l.skipped + r.skipped;
        if (r.used == 0) return new Partial(l.grads, l.owned, l.loss, l.used, skipped);
        if (l.used == 0) return new Partial(r.grads, r.owned, r.loss, r.used, skipped);
        Gradient[] sum = new Gradient[l.grads.length];
        List<Buffer> spent = new ArrayList<>();
        for (int i = 0; i < sum.length; i++) {
            Gradient a = l.grads[i], b = r.grads[i];
            if (a instanceof RowSparse x && b instanceof RowSparse y) {
                sum[i] = x.plus(y);
                continue;
            }
            Tensor bt = b.toDense();
            if (b instanceof RowSparse) spent.add(bt.buffer());
            if (a instanceof Gradient.Dense d && l.owned) {
                backend.accumulate(d.value().buffer(), bt.buffer());
                sum[i] = a;
            } else if (a instanceof RowSparse x) { // densified: a fresh buffer, an accumulator of ours
                Tensor at = x.toDense();
                backend.accumulate(at.buffer(), bt.buffer());
                sum[i] = new Gradient.Dense(at);
            } else { // two task gradients: the sum goes to a fresh accumulator, which the tree alone writes
                Tensor at = a.toDense();
                int n = at.size();
                Buffer acc = backend.allocate(n);
                backend.binary(Binary.ADD, at.buffer(), bt.buffer(), acc, Broadcast.of("add", new int[] {n}, new int[] {n}));
                sum[i] = new Gradient.Dense(Tensor.wrap(backend, acc, at.shape()));
            }
        }
        // After all the adds: one buffer may serve two parameters. What the sum kept stays.
        Set<Buffer> kept = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Gradient g : sum) kept.add(buffer(g));
        for (Gradient g : l.grads) spent.add(buffer(g));
        for (Gradient g : r.grads) spent.add(buffer(g));
        Set<Buffer> freed = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Buffer b : spent) if (!kept.contains(b) && freed.add(b)) backend.release(b);
        return new Partial(sum, true, l.loss + r.loss, l.used + r.used, skipped);
    }

    /** The buffer holding a gradient's values (a row-sparse one's touched rows). */
    static Buffer buffer(Gradient g) {
        return switch (g) {
            case Gradient.Dense d -> d.value().buffer();
            case RowSparse s -> s.block().buffer();
        };
    }
}
