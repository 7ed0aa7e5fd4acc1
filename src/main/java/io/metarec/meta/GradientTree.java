package io.metarec.meta;

import io.metarec.backend.Backend;
import io.metarec.backend.Binary;
import io.metarec.backend.Broadcast;
import io.metarec.backend.Buffer;

import java.util.List;
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
 * <p>Task gradients handed in must be exclusively the tree's (a worker's, kept out of its memory
 * scope); the tree releases each once added. Thread-safe for one {@link #add} per task.
 */
final class GradientTree {

    /** A partial sum over some tasks: gradients in parameter order (null when none was used). */
    record Partial(Buffer[] grads, boolean owned, double loss, int used, int skipped) {
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
            value = combine(p.leftValue, p.rightValue);
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
        if (p != null && p.grads != null) for (Buffer b : p.grads) backend.release(b);
    }

    private Partial combine(Partial l, Partial r) {
        int skipped = l.skipped + r.skipped;
        if (r.used == 0) return new Partial(l.grads, l.owned, l.loss, l.used, skipped);
        if (l.used == 0) return new Partial(r.grads, r.owned, r.loss, r.used, skipped);
        Buffer[] sum = l.grads;
        if (l.owned) {
            for (int i = 0; i < sum.length; i++) backend.accumulate(sum[i], r.grads[i]);
        } else { // two task gradients: the sum goes to a fresh accumulator, which the tree alone writes
            sum = new Buffer[l.grads.length];
            for (int i = 0; i < sum.length; i++) {
                int n = l.grads[i].length();
                sum[i] = backend.allocate(n);
                backend.binary(Binary.ADD, l.grads[i], r.grads[i], sum[i], Broadcast.of("add", new int[] {n}, new int[] {n}));
            }
            for (Buffer b : l.grads) backend.release(b); // after all the adds: one buffer may serve two parameters
        }
        for (Buffer b : r.grads) backend.release(b);
        return new Partial(sum, true, l.loss + r.loss, l.used + r.used, skipped);
    }

    /** The buffers of a task's gradients, in parameter order. */
    static Buffer[] buffers(List<io.metarec.autograd.Tensor> grads) {
        Buffer[] b = new Buffer[grads.size()];
        for (int i = 0; i < b.length; i++) b[i] = grads.get(i).buffer();
        return b;
    }
}
