package io.metarec.optim;

import io.metarec.util.EnumNames;

/**
 * The outer (meta) optimizer a learner updates its meta-parameters with. The command line's names
 * ({@code adam}, {@code lazy-adam}) are generated from this list.
 */
public enum OuterOptimizer {
    /** Exact Adam: every element steps every meta-step, so an embedding row no task touched still moves with its momentum. */
    ADAM,
    /**
     * Lazy Adam (PyTorch's SparseAdam): embedding rows no task of the meta-batch touched keep their
     * values and moments; the touched rows and every dense parameter step as with {@link #ADAM}.
     */
    LAZY_ADAM;

    /** A fresh optimizer of this kind with PyTorch's Adam defaults and learning rate {@code lr}. */
    public Optimizer create(float lr) {
        return Adam.withDefaults(lr, this == LAZY_ADAM);
    }

    /** The kind spelled {@code s}: adam or lazy-adam, any case, {@code -} or {@code _}. */
    public static OuterOptimizer parse(String s) {
        return EnumNames.parse(OuterOptimizer.class, s, "outer optimizer");
    }

    /** The command-line spelling. */
    public String label() {
        return EnumNames.label(this);
    }
}
