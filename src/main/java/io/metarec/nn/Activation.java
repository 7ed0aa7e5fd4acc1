package io.metarec.nn;

import io.metarec.autograd.Tensor;

import java.util.Locale;

/** Nonlinearities between layers, by the names used in configs and golden files. */
public enum Activation {
    RELU, TANH, SIGMOID, LEAKY_RELU, IDENTITY;

    public Tensor apply(Tensor x) {
        return switch (this) {
            case RELU -> x.relu();
            case TANH -> x.tanh();
            case SIGMOID -> x.sigmoid();
            case LEAKY_RELU -> x.leakyRelu(0.01f);
            case IDENTITY -> x;
        };
    }

    /** Parses "relu", "tanh", "sigmoid", "leaky_relu", "identity"/"none"; unknown names are an error listing these. */
    public static Activation parse(String s) {
        String n = s.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        return switch (n) {
            case "relu" -> RELU;
            case "tanh" -> TANH;
            case "sigmoid" -> SIGMOID;
            case "leaky_relu", "leakyrelu" -> LEAKY_RELU;
            case "identity", "none", "linear" -> IDENTITY;
            default -> throw new IllegalArgumentException("unknown activation '" + s + "'; valid: relu, tanh, sigmoid, leaky_relu, identity");
        };
    }

    /** The default initialiser for weights feeding this activation. */
    public Init weightInit() {
        return this == RELU || this == LEAKY_RELU ? Init.HE_NORMAL : Init.XAVIER_NORMAL;
    }
}
