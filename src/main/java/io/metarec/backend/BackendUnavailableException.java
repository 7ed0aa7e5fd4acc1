package io.metarec.backend;

/** A backend that was asked for by name but cannot run on this machine; {@link #reason()} says why. */
public class BackendUnavailableException extends RuntimeException {
    private final String backend;
    private final String reason;

    public BackendUnavailableException(String backend, String reason) {
        super(backend + " backend not available: " + reason);
        this.backend = backend;
        this.reason = reason;
    }

    public String backend() { return backend; }

    public String reason() { return reason; }
}
