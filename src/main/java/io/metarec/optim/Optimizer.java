package io.metarec.optim;

import io.metarec.autograd.Gradient;
import io.metarec.nn.Params;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Turns parameters and their gradients into updated parameters. Tensors are immutable, so a step
 * returns new Params; the optimizer keeps its own state (moments, step count) by parameter name.
 * Steps run with graph recording off.
 */
public interface Optimizer {
    /**
     * @param params current values
     * @param grads  gradients, one per name of {@code params} (names missing here are left unchanged)
     */
    Params step(Params params, Params grads);

    /**
     * The same from gradients some of which may be row-sparse ({@link io.metarec.autograd.RowSparse},
     * an embedding table's touched rows). By default they are densified (exactly: zeros elsewhere)
     * and the step is the dense one; an optimizer with a lazy mode updates only the touched rows.
     */
    default Params step(Params params, Map<String, Gradient> grads) {
        Map<String, io.metarec.autograd.Tensor> dense = new LinkedHashMap<>();
        grads.forEach((n, g) -> dense.put(n, g.toDense()));
        return step(params, Params.of(dense));
    }

    /**
     * What an optimizer carries from one step to the next, for a checkpoint: its kind ("adam",
     * "sgd"), the steps it has taken and its tensors by key (Adam: {@code m.NAME}, {@code v.NAME};
     * SGD: {@code momentum.NAME}). Restoring it into a new optimizer of the same kind and settings
     * makes the next steps bitwise those the original would have taken.
     */
    record State(String kind, long steps, Params tensors) {}

    /** This optimizer's state now (the tensors as they are: immutable, but on its backend). */
    State state();

    /**
     * Replaces this optimizer's state with {@code s} (of {@link #state()} from an optimizer of the
     * same kind; its tensors must already be on the parameters' backend).
     *
     * @throws IllegalArgumentException for a state of another kind or with an unknown key
     */
    void restore(State s);
}
