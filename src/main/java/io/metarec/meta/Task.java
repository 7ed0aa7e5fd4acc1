package io.metarec.meta;

/** One task: a support set to adapt on and a query set to measure the adapted model on. */
public record Task<D>(D support, D query) {
    public Task {
        if (support == null || query == null) throw new IllegalArgumentException("a task needs both a support and a query set");
    }
}
