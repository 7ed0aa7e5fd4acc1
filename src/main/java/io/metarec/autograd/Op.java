package io.metarec.autograd;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A differentiable operation: a name and its derivative rule. The rule is written in Tensor ops,
 * so when {@link Autograd#grad} runs it with graph recording on, the gradient is itself a graph
 * that can be differentiated again.
 *
 * <p>Every op registers itself here on definition; {@link OpRegistry} lists them all so tests can
 * check that each has a gradient check.
 */
public final class Op {
    /** Vector-Jacobian product: the gradient of each input given the output's gradient {@code g}. */
    @FunctionalInterface
    public interface Rule {
        /**
         * @param g    gradient with respect to the op's output (same shape as {@code node.output})
         * @param node the inputs, output and attributes of this application of the op
         * @return one gradient per input, or null where the input needs none (see {@link Node#needs})
         */
        Tensor[] backward(Tensor g, Node node);
    }

    private static final List<Op> DEFINED = Collections.synchronizedList(new ArrayList<>());

    public final String name;
    public final Rule rule;
    /** False for ops whose output is piecewise constant (masks, comparisons): they record no graph. */
    public final boolean differentiable;

    private Op(String name, Rule rule, boolean differentiable) {
        this.name = name;
        this.rule = rule;
        this.differentiable = differentiable;
        DEFINED.add(this);
    }

    public static Op define(String name, Rule rule) {
        return new Op(name, rule, true);
    }

    /** An op with zero derivative almost everywhere (a comparison, a step): its output is a constant. */
    public static Op constant(String name) {
        return new Op(name, null, false);
    }

    static List<Op> defined() {
        synchronized (DEFINED) {
            return List.copyOf(DEFINED);
        }
    }

    @Override public String toString() { return name; }
}
