package io.metarec.meta;

/**
 * Whether the meta-gradient differentiates through the inner loop's gradients.
 * SECOND_ORDER keeps them in the graph (true MAML); FIRST_ORDER treats them as constants, so the
 * meta-gradient is the query gradient at the adapted point (FOMAML).
 */
public enum Order {
    SECOND_ORDER,
    FIRST_ORDER
}
