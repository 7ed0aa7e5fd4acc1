package io.metarec.backend;

/**
 * Deterministic lifetime for device memory, in {@code try}-with-resources form:
 *
 * <pre>
 *   try (MemoryScope step = backend.openScope()) {
 *       Tensor loss = …;                        // every buffer allocated on this thread from here
 *       Params next = optimizer.step(θ, grads); // is owned by the scope (optimizer results are not:
 *       step.keep(someResult.buffer());         // they outlive scopes, see Backend#adamStep)
 *   }                                           // all other buffers of the step are freed here
 * </pre>
 *
 * Scopes nest per thread and close innermost first. {@link #keep} hands a buffer to the enclosing
 * scope (or, for an outermost scope, leaves it unscoped: it then lives until
 * {@link Backend#release}). Using a buffer after its scope closed is an error that says so, never
 * silent garbage. CPU backends let the garbage collector do this and return {@link #NONE}.
 */
public interface MemoryScope extends AutoCloseable {

    /** Moves these buffers to the enclosing scope so they survive this one's close. */
    void keep(Buffer... buffers);

    /** Frees every buffer this scope still owns; idempotent. */
    @Override void close();

    /** The scope of a backend whose memory the garbage collector manages: keeps and frees nothing. */
    MemoryScope NONE = new MemoryScope() {
        @Override public void keep(Buffer... buffers) {}
        @Override public void close() {}
        @Override public String toString() { return "MemoryScope.NONE"; }
    };
}
