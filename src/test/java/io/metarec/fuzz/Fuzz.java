package io.metarec.fuzz;

import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;
import org.junit.jupiter.api.Assertions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * What the fuzz tests share: the number of tries and the seed (fixed by default, so the default
 * run is a reproducible regression corpus; {@code -Dmetarec.fuzz.tries=N} and
 * {@code -Dmetarec.fuzz.seed=S} for longer or other runs), and the check every input must pass:
 * within {@link #PER_INPUT_LIMIT}, the code under test returns or throws one of the allowed types
 * with a one-line message; anything else (another exception, an Error such as OutOfMemoryError
 * or StackOverflowError, a hang) is a finding.
 */
public final class Fuzz {
    /** Time one input may take (they are a few KB; a correct reader needs milliseconds). */
    public static final Duration PER_INPUT_LIMIT = Duration.ofSeconds(20);

    private Fuzz() {}

    /** -Dmetarec.fuzz.tries=N overrides every property's tries; -Dmetarec.fuzz.seed=S its seed (default: the annotation's). */
    public static final class Settings implements AroundPropertyHook {
        @Override public PropagationMode propagateTo() {
            return PropagationMode.ALL_DESCENDANTS; // from the test class to its properties
        }

        @Override public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
            if (context.targetMethod().isAnnotationPresent(net.jqwik.api.Example.class)) return property.execute(); // one try, always
            String tries = System.getProperty("metarec.fuzz.tries");
            if (tries != null && !tries.isBlank()) context.attributes().setTries(Integer.parseInt(tries.trim()));
            String seed = System.getProperty("metarec.fuzz.seed");
            if (seed != null && !seed.isBlank()) context.attributes().setSeed(seed.trim());
            return property.execute();
        }
    }

    @FunctionalInterface
    public interface Action {
        void run() throws Exception;
    }

    /**
     * Runs {@code action} on one input: "accepted" when it returns, "rejected" when it throws one
     * of {@code allowed} (whose message must be one line); anything else fails the property with
     * {@code input} described.
     */
    @SafeVarargs
    public static String check(String input, Action action, Class<? extends Throwable>... allowed) {
        return Assertions.assertTimeoutPreemptively(PER_INPUT_LIMIT, () -> {
            try {
                action.run();
                return "accepted";
            } catch (Throwable t) {
                for (Class<? extends Throwable> a : allowed)
                    if (a.isInstance(t)) {
                        String m = t.getMessage();
                        if (m == null || m.isBlank() || m.contains("\n"))
                            throw new AssertionError("not a one-line message (" + m + ") for " + input, t);
                        if (Boolean.getBoolean("metarec.fuzz.verbose")) System.out.println("REJECTED " + t);
                        return "rejected";
                    }
                throw new AssertionError("unexpected " + t + " for " + input, t);
            }
        }, () -> "no answer within " + PER_INPUT_LIMIT + " for " + input);
    }

    public static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /** Max heap of this JVM in MiB (the fuzz tests report it: the surefire profile runs them with -Xmx256m). */
    public static long heapMiB() {
        return Runtime.getRuntime().maxMemory() >> 20;
    }
}
