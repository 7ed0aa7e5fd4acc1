package io.metarec.backend;

import io.metarec.backend.cpu.ScalarBackend;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Chooses the backend, once, from one setting with three spellings: the CLI flag
 * {@code --backend}, the system property {@code metarec.backend}, the environment variable
 * {@code METAREC_BACKEND} (first one set wins). Values: {@code cpu} (Vector API, falling back to the
 * scalar loops with one notice when the module is missing), {@code cpu-scalar}, {@code cuda},
 * {@code auto} (CUDA when usable, else CPU, saying which).
 */
public final class Backends {
    public static final List<String> VALID = List.of("cpu", "cpu-scalar", "cuda", "auto");

    private static volatile Backend current;
    /** Where notices go (fallbacks, auto choice); stderr by default. */
    public static volatile Consumer<String> notices = System.err::println;

    private Backends() {}

    /** The process-wide default backend (chosen from the property / environment on first use). */
    public static Backend current() {
        Backend b = current;
        if (b == null) {
            synchronized (Backends.class) {
                if (current == null) current = select(configured());
                b = current;
            }
        }
        return b;
    }

    /** Makes {@code backend} the default for tensors created from now on. */
    public static void use(Backend backend) {
        current = backend;
    }

    /**
     * Tells the host backends that the work from now on repeats the same shapes (a server's
     * requests), so their memory scopes recycle arrays unless the user chose otherwise
     * ({@code -Dmetarec.hostScopes}); a device backend has its own scopes and is not affected.
     */
    public static void preferRecycledHostMemory() {
        io.metarec.backend.cpu.HostScopes.preferRecycling();
    }

    /** The configured name: system property, then environment, then "cpu". */
    public static String configured() {
        String p = System.getProperty("metarec.backend");
        if (p != null && !p.isBlank()) return p;
        String e = System.getenv("METAREC_BACKEND");
        if (e != null && !e.isBlank()) return e;
        return "cpu";
    }

    /**
     * The backend for a name.
     *
     * @throws IllegalArgumentException for an unknown name (the message lists the valid ones)
     * @throws BackendUnavailableException when the named backend cannot run here (with the reason)
     */
    public static Backend select(String name) {
        String n = io.metarec.util.EnumNames.key(name); // cpu-scalar, CPU_SCALAR, …
        return switch (n) {
            case "cpu-scalar" -> new ScalarBackend();
            case "cpu" -> cpu();
            case "cuda" -> cuda();
            case "auto" -> {
                try {
                    Backend b = cuda();
                    notices.accept("backend auto: using cuda (" + b.describe() + ")");
                    yield b;
                } catch (BackendUnavailableException e) {
                    Backend b = cpu();
                    notices.accept("backend auto: using " + b.name() + " (cuda not available: " + e.reason() + ")");
                    yield b;
                }
            }
            default -> throw new IllegalArgumentException("unknown backend '" + name + "'; valid values: " + String.join(", ", VALID));
        };
    }

    /** A host-resident backend for copies taken off a device (snapshots): the scalar loops, needing no module. */
    public static Backend host() {
        return new ScalarBackend();
    }

    /** The Vector API backend, or the scalar one with a notice when jdk.incubator.vector is absent. */
    public static Backend cpu() {
        String why = vectorUnavailable();
        if (why == null) {
            try {
                return (Backend) Class.forName("io.metarec.backend.cpu.VectorBackend").getConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                why = e.toString();
            }
        }
        notices.accept("metarec: Vector API unavailable (" + why + "); using the scalar CPU backend. "
                + "Run java with --add-modules jdk.incubator.vector for the fast one.");
        return new ScalarBackend();
    }

    /** Null when the Vector API module is loaded, else why not. */
    public static String vectorUnavailable() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() ? null
                : "module jdk.incubator.vector not in the boot layer";
    }

    /** The CUDA backend, or {@link BackendUnavailableException} naming why it cannot run here. */
    public static Backend cuda() {
        try {
            Class<?> c = Class.forName("io.metarec.backend.cuda.CudaBackend");
            return (Backend) c.getMethod("create").invoke(null);
        } catch (ClassNotFoundException e) {
            throw new BackendUnavailableException("cuda", "not built yet (this build has no CUDA backend)");
        } catch (java.lang.reflect.InvocationTargetException e) {
            if (e.getCause() instanceof BackendUnavailableException b) throw b;
            throw new BackendUnavailableException("cuda", String.valueOf(e.getCause()));
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new BackendUnavailableException("cuda", e.toString());
        }
    }

    /** One line per backend for {@code metarec info}: name and description, or why it is unavailable. */
    public static List<String> survey() {
        List<String> lines = new ArrayList<>();
        lines.add("cpu-scalar: " + new ScalarBackend().describe());
        String why = vectorUnavailable();
        lines.add("cpu: " + (why == null ? cpu().describe() : "unavailable (" + why + ")"));
        try {
            lines.add("cuda: " + cuda().describe());
        } catch (BackendUnavailableException e) {
            lines.add("cuda: not available: " + e.reason());
        }
        return lines;
    }
}
