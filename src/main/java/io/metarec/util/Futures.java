package io.metarec.util;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** Waiting on a task's result so that its own exception surfaces, not a wrapper around it. */
public final class Futures {
    private Futures() {}

    /**
     * The task's result; its RuntimeException or Error rethrown as is, a checked cause wrapped;
     * an interrupt restores the flag and fails with {@code during} in the message.
     */
    public static <T> T await(Future<T> f, String during) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted " + during, e);
        }
    }
}
