package io.metarec.cli;

import io.metarec.backend.Backend;
import io.metarec.backend.Backends;
import picocli.CommandLine.Option;

/** Options every command shares: the backend and debugging. */
public final class CommonOptions {
    @Option(names = "--backend", paramLabel = "NAME",
            description = "cpu (Vector API), cpu-scalar, cuda or auto; default: -Dmetarec.backend, else METAREC_BACKEND, else cpu")
    String backend;

    @Option(names = "--debug", description = "print stack traces of errors")
    boolean debug;

    /** Selects and installs the backend (an unknown name or an unusable CUDA is an error with the reason). */
    public Backend backend() {
        Backend b = Backends.select(backend != null ? backend : Backends.configured());
        Backends.use(b);
        return b;
    }
}
