package io.metarec.cli;

import io.metarec.backend.BackendUnavailableException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code metarec} command line. Every command takes {@code --backend}; errors are one clear
 * line on stderr (stack traces with {@code --debug}); exit codes: 0 ok, 1 a check failed,
 * 2 bad usage or input, or a backend that cannot run here.
 */
@Command(name = "metarec", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Meta-learning recommender engine: autodiff with second-order gradients, MAML-family learners, cold-start recommendation.",
        subcommands = {DemoCommand.class, TrainCommand.class, EvaluateCommand.class, RecommendCommand.class, ServeCommand.class, CompareCommand.class,
                DataCommand.class, SinusoidCommand.class, InfoCommand.class, VerifyCommand.class, CommandLine.HelpCommand.class})
public final class Main {

    @Option(names = "--debug", description = "print stack traces of errors (every command also takes it)")
    boolean debug;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the CLI and returns the exit code (tests call this directly). Every error, whatever its
     * source, ends here as one line on stderr, {@code metarec COMMAND: what is wrong}, with the exit
     * code of {@link #exitCode}; the stack trace only with {@code --debug} (or -Dmetarec.debug=true).
     */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler((ex, ignored) -> report(ex.getCommandLine(), ex, debug(args)));
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> report(cmd, ex, debug(args)));
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            // Readers and the model loader bound what hostile input can allocate; this is a genuine
            // workload larger than the heap (picocli lets Errors through).
            return report(cl, e, debug(args));
        }
    }

    /**
     * The one place that maps a failure to an exit code: 2 for bad usage, bad input (files,
     * options, values: IllegalArgumentException, which DataFormatException is, IOException) and a
     * backend that cannot run here; 1 for everything else (a check that failed, running out of
     * memory, a bug).
     */
    static int exitCode(Throwable e) {
        Throwable t = unwrap(e);
        return t instanceof CommandLine.ParameterException || t instanceof BackendUnavailableException || t instanceof IllegalArgumentException
                || t instanceof java.io.IOException || t instanceof java.io.UncheckedIOException ? 2 : 1;
    }

    private static int report(CommandLine cmd, Throwable ex, boolean debug) {
        java.io.PrintWriter err = cmd.getErr();
        if (debug) ex.printStackTrace(err);
        err.println(cmd.getCommandSpec().qualifiedName() + ": " + message(ex, cmd));
        err.flush();
        return exitCode(ex);
    }

    private static boolean debug(String[] args) {
        if (Boolean.getBoolean("metarec.debug")) return true;
        for (String a : args) if (a.equals("--debug")) return true;
        return false;
    }

    /** An exception re-thrown with its cause's text as message (ForkJoin does this across threads) is its cause. */
    static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t
                && (t.getMessage() == null || t.getMessage().equals(t.getCause().toString())
                || t instanceof java.util.concurrent.ExecutionException || t instanceof java.util.concurrent.CompletionException))
            t = t.getCause();
        return t;
    }

    /** The one-line message of a failure. */
    static String message(Throwable e) {
        return message(e, null);
    }

    private static String message(Throwable e, CommandLine cmd) {
        Throwable t = unwrap(e);
        String m = t.getMessage();
        if (t instanceof OutOfMemoryError)
            m = "out of memory (the JVM's heap is " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB; give it more, e.g. METAREC_JAVA_OPTS=-Xmx8g)";
        else if (t instanceof CommandLine.ParameterException p) m = usage(p, cmd);
        else if (m == null || m.isBlank()) m = t.toString();
        boolean expected = exitCode(t) == 2 || t instanceof OutOfMemoryError || t instanceof IllegalStateException
                || t instanceof ArithmeticException || t instanceof io.metarec.backend.cuda.CudaDriverException;
        if (!expected && !m.startsWith(t.getClass().getName()))
            m = t.getClass().getName() + ": " + m; // an unexpected exception: its type helps a bug report
        m = m.strip().replaceAll("\\s*\\R\\s*", " "); // one line, whatever the exception's text
        return expected ? m : m + " (an internal error; --debug prints the stack trace)";
    }

    /** A usage error: picocli's message, its suggestions, and where the usage is; never the usage itself. */
    private static String usage(CommandLine.ParameterException p, CommandLine cmd) {
        StringBuilder m = new StringBuilder(p.getMessage() == null ? "bad usage" : p.getMessage());
        if (p instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty())
            m.append(" (did you mean ").append(String.join(" or ", u.getSuggestions().stream().limit(3).toList())).append("?)");
        CommandLine c = cmd != null ? cmd : p.getCommandLine();
        if (m.toString().contains("Missing required subcommand") && !c.getSubcommands().isEmpty())
            m.append(": one of ").append(String.join(", ", c.getSubcommands().keySet().stream().filter(n -> !n.equals("help")).toList()));
        return m.append("; see '").append(c.getCommandSpec().qualifiedName()).append(" --help'").toString();
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"metarec " + (v == null ? "(development build)" : v) + ", Java " + Runtime.version()};
        }
    }
}
