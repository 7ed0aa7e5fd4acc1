package io.metarec;

import io.metarec.backend.Backend;
import io.metarec.backend.Backends;
import io.metarec.util.EnginePool;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * For tests that switch the process-wide backend or the engine pool's thread count: puts both back
 * after each test, so the next class runs with what it found ({@code @ExtendWith(RestoresEngine.class)}).
 */
public final class RestoresEngine implements BeforeEachCallback, AfterEachCallback {
    private record Saved(Backend backend, int threads) {}

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(RestoresEngine.class);

    @Override public void beforeEach(ExtensionContext c) {
        c.getStore(NS).put(Saved.class, new Saved(Backends.current(), EnginePool.threads()));
    }

    @Override public void afterEach(ExtensionContext c) {
        Saved s = c.getStore(NS).remove(Saved.class, Saved.class);
        Backends.use(s.backend());
        EnginePool.setThreads(s.threads());
    }
}
