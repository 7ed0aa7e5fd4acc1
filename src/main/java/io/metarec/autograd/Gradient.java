package io.metarec.autograd;

/**
 * A gradient outside the graph, as {@link Autograd#gradients} returns it: a dense tensor, or for a
 * table reached only through row lookups the touched rows alone ({@link RowSparse}). Either way it
 * stands for the same [shape] array; {@link #toDense} gives it with the bits the dense path has.
 */
public sealed interface Gradient permits Gradient.Dense, RowSparse {

    /** The shape of the parameter this is the gradient of. */
    int[] shape();

    /** As a dense tensor (a constant). */
    Tensor toDense();

    /** c · this, element by element with the bits of {@code toDense().mul(c)}. */
    Gradient scale(float c);

    /** The sum of every element, a one-element tensor (for NaN / Inf checks). */
    Tensor sum();

    /** A dense gradient. */
    record Dense(Tensor value) implements Gradient {
        @Override public int[] shape() { return value.shape(); }

        @Override public Tensor toDense() { return value; }

        @Override public Gradient scale(float c) {
            try (var off = GradMode.disabled()) {
                return new Dense(value.mul(c).detach());
            }
        }

        @Override public Tensor sum() {
            try (var off = GradMode.disabled()) {
                return value.sum();
            }
        }
    }
}
