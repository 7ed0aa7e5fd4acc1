package io.metarec.autograd;

/** One recorded application of an {@link Op}: what its derivative rule needs to see. */
public final class Node {
    public final Op op;
    final Tensor[] inputs;
    /** Op-specific attributes (axis, transpose flags, indices...). */
    public final Object attrs;
    /** Set by {@link Autograd} before the rule runs: which inputs need a gradient. */
    boolean[] needs;
    /** The tensor this node produced (set right after construction; a weak spot only for the GC). */
    Tensor output;

    Node(Op op, Tensor[] inputs, Object attrs) {
        this.op = op;
        this.inputs = inputs;
        this.attrs = attrs;
    }

    public Tensor input(int i) { return inputs[i]; }

    public int arity() { return inputs.length; }

    public Tensor output() { return output; }

    /** Whether the gradient for input i is wanted (rules skip the work otherwise). */
    public boolean needs(int i) { return needs == null || needs[i]; }

    @SuppressWarnings("unchecked")
    public <T> T attrs() { return (T) attrs; }
}
