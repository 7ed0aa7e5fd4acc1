package io.metarec.cli;

import io.metarec.meta.LearnerConfig;
import io.metarec.meta.LearnerKind;
import io.metarec.util.EnumNames;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The help texts and defaults of the learner and execution options, taken from {@link LearnerKind}
 * and {@link LearnerConfig.Execution} (so {@code --help} lists the learners that run, in their order).
 */
final class LearnerNames {
    private LearnerNames() {}

    /** Every learner's name, for {@code ${COMPLETION-CANDIDATES}}. */
    static final class All implements Iterable<String> {
        @Override public Iterator<String> iterator() { return LearnerKind.names().iterator(); }
    }

    /** Every learner's name and "all" (sinusoid). */
    static final class AllAndAll implements Iterable<String> {
        @Override public Iterator<String> iterator() {
            List<String> n = new ArrayList<>(LearnerKind.names());
            n.add("all");
            return n.iterator();
        }
    }

    /** The execution modes' command-line spellings (per-task, batched, auto). */
    static final class Executions implements Iterable<String> {
        @Override public Iterator<String> iterator() { return EnumNames.labels(LearnerConfig.Execution.class).iterator(); }
    }

    /** The outer optimizers' command-line spellings (adam, lazy-adam). */
    static final class OuterOptimizers implements Iterable<String> {
        @Override public Iterator<String> iterator() { return EnumNames.labels(io.metarec.optim.OuterOptimizer.class).iterator(); }
    }

    /** The execution modes but auto (sinusoid runs one of the two). */
    static final class ExplicitExecutions implements Iterable<String> {
        @Override public Iterator<String> iterator() {
            return List.of(LearnerConfig.Execution.PER_TASK.label(), LearnerConfig.Execution.BATCHED.label()).iterator();
        }
    }

    /** The default learners of train (--algo), compare and demo (--algos), from {@link LearnerKind}. */
    static final class Defaults implements CommandLine.IDefaultValueProvider {
        @Override public String defaultValue(CommandLine.Model.ArgSpec arg) {
            if (!(arg instanceof CommandLine.Model.OptionSpec o) || arg.command() == null) return null;
            String command = arg.command().name(), option = o.longestName();
            return switch (command + " " + option) {
                case "train --algo" -> LearnerKind.DEFAULT.cliName();
                case "compare --algos" -> String.join(",", LearnerKind.names());
                case "demo --algos" -> String.join(",", LearnerKind.names(LearnerKind.QUICK));
                default -> null;
            };
        }
    }
}
