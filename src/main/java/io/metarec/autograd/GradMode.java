package io.metarec.autograd;

/**
 * Whether ops record the graph, per thread (tasks of a meta-batch run on their own threads).
 * <pre>
 *   try (var off = GradMode.disabled()) { ...evaluation, nothing recorded... }
 * </pre>
 */
public final class GradMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    private GradMode() {}

    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** Turns recording off until the returned scope closes (scopes nest). */
    public static Scope disabled() {
        return set(false);
    }

    /** Turns recording on until the returned scope closes. */
    public static Scope enabled() {
        return set(true);
    }

    static Scope set(boolean on) {
        boolean[] state = ENABLED.get();
        boolean before = state[0];
        state[0] = on;
        return () -> state[0] = before;
    }

    /** Restores the previous mode on close. */
    public interface Scope extends AutoCloseable {
        @Override void close();
    }
}
