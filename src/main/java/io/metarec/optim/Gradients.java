package io.metarec.optim;

import io.metarec.autograd.Tensor;

import java.util.Arrays;

/** Argument checks shared by the optimizers. */
final class Gradients {
    private Gradients() {}

    /** The gradient of {@code name}, checked to have its parameter's shape, detached. */
    static Tensor forParam(String optimizer, String name, Tensor param, Tensor grad) {
        if (!Arrays.equals(param.shape(), grad.shape()))
            throw new IllegalArgumentException(optimizer + ": gradient of '" + name + "' has shape " + grad.shapeString()
                    + ", the parameter " + param.shapeString());
        return grad.detach();
    }
}
