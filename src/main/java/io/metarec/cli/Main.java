package io.metarec.cli;

import io.metarec.backend.BackendUnavailableException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code metarec} command line. Every command takes {@code --backend}; errors are one clear
 * line on stderr (stack traces with {@code --debug}); exit codes: 0 ok, 1 a check failed,
 * 2 bad usage or input, or a backend that cannot run here.
 */
@Command(name = "metarec", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Meta-learning recommender engine: autodiff with second-order gradients, MAML-family learners, cold-start recommendation.",
        subcommands = {DemoCommand.class, TrainCommand.class, EvaluateCommand.class, RecommendCommand.class, CompareCommand.class,
                DataCommand.class, SinusoidCommand.class, InfoCommand.class, VerifyCommand.class, CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns the exit code (tests call this directly). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            boolean debug = Boolean.getBoolean("metarec.debug");
            for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) debug |= p.hasMatchedOption("--debug");
            if (debug) ex.printStackTrace(cmd.getErr());
            cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + message(ex));
            return ex instanceof BackendUnavailableException || ex instanceof IllegalArgumentException
                    || ex instanceof java.io.IOException || ex instanceof java.io.UncheckedIOException ? 2 : 1;
        });
        return cl.execute(args);
    }

    static String message(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.toString() : m;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"metarec " + (v == null ? "(development build)" : v) + ", Java " + Runtime.version()};
        }
    }
}
