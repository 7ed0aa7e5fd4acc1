package io.metarec.autograd;

/** One recorded application of an {@link Op}: what its derivative rule needs to see. */
public final class Node {
    public final Op op;
    final Tensor[] inputs;
    /** Op-specific attributes (axis, transpose flags, indices...). */
    public final Object attrs;
    /** Which inputs need a gradient; set only on the per-pass copy a rule sees (see {@link #withNeeds}). */
    boolean[] needs;
    /** The tensor this node produced (set right after construction; a weak spot only for the GC). */
    Tensor output;

    Node(Op op, Tensor[] inputs, Object attrs) {
        this.op = op;
        this.inputs = inputs;
        this.attrs = attrs;
    }

    /**
     * This node as its rule sees it in one backward pass: same op, inputs, attributes and output, with
     * that pass's {@code needs}. A copy, because several threads may run backward passes through a
     * shared node at once, each needing other inputs (a shared field raced: gradients came back zero).
     */
    Node withNeeds(boolean[] needs) {
        Node n = new Node(op, inputs, attrs);
        n.needs = needs;
        n.output = output;
        return n;
    }

    public Tensor input(int i) { return inputs[i]; }

    public int arity() { return inputs.length; }

    public Tensor output() { return output; }

    /** Whether the gradient for input i is wanted (rules skip the work otherwise). */
    public boolean needs(int i) { return needs == null || needs[i]; }

    @SuppressWarnings("unchecked")
    public <T> T attrs() { return (T) attrs; }
}
