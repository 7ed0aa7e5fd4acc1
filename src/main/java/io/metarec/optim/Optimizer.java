package io.metarec.optim;

import io.metarec.nn.Params;

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
}
