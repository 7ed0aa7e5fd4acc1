package io.metarec.cli;

import picocli.CommandLine.Option;

/** {@code --quiet}, shared by the long-running commands (train, evaluate, compare, demo, sinusoid). */
public final class ProgressOptions {
    @Option(names = "--quiet", description = "no progress output on stderr (a bar on a terminal, else a line per epoch)")
    boolean quiet;
}
