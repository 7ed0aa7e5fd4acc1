package io.metarec.cli;

import io.metarec.rec.train.RecTrainer;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Progress of meta-training on stderr: a progress bar (epoch, tasks/s, loss) when stderr is a
 * terminal; otherwise (a file, a pipe, a CI log) one plain line per epoch, never a carriage
 * return; nothing with {@code --quiet}. {@code -Dmetarec.progress=bar|lines|none} overrides the choice.
 */
class Progress implements RecTrainer.Listener, AutoCloseable {
    /** How progress is shown. */
    enum Mode { BAR, LINES, NONE }

    private final String name;
    private final Mode mode;
    private final PrintStream log;
    private ProgressBar bar;
    private int stepsPerEpoch, epochs;

    Progress(String name, boolean quiet) {
        this.name = name;
        this.mode = mode(quiet);
        this.log = System.err;
    }

    /** The mode for this process: NONE when quiet, else the property's, else BAR on a terminal and LINES elsewhere. */
    static Mode mode(boolean quiet) {
        if (quiet) return Mode.NONE;
        String p = System.getProperty("metarec.progress");
        if (p != null && !p.isBlank()) return io.metarec.util.EnumNames.parse(Mode.class, p, "-Dmetarec.progress value");
        return stderrIsTerminal() ? Mode.BAR : Mode.LINES;
    }

    /**
     * Whether stderr is a terminal: the JVM sees a terminal ({@link java.io.Console#isTerminal})
     * and, where /proc tells, file descriptor 2 is a tty (not redirected to a file or a pipe).
     * The launcher passes {@code -Dmetarec.stderr.tty}: it filters the JVM's stderr through a pipe
     * (to drop the incubator warning), so only it knows whether the user's stderr is a terminal.
     */
    static boolean stderrIsTerminal() {
        String told = System.getProperty("metarec.stderr.tty");
        if (told != null) return Boolean.parseBoolean(told);
        java.io.Console c = System.console();
        if (c == null || !c.isTerminal()) return false;
        try {
            Path fd2 = Path.of("/proc/self/fd/2");
            if (!Files.exists(fd2, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return true;
            String target = Files.readSymbolicLink(fd2).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (Exception e) {
            return true; // no /proc: trust Console
        }
    }

    @Override public void started(int epochs, int stepsPerEpoch) {
        this.stepsPerEpoch = stepsPerEpoch;
        this.epochs = epochs;
        if (mode == Mode.BAR)
            bar = new ProgressBarBuilder().setTaskName(name).setInitialMax((long) epochs * stepsPerEpoch)
                    .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).continuousUpdate()
                    .setConsumer(new ConsoleProgressBarConsumer(log, 100)).build();
    }

    @Override public void step(int epoch, int step, double loss, double tasksPerSecond) {
        if (bar == null) return;
        bar.stepTo((long) (epoch - 1) * stepsPerEpoch + step);
        bar.setExtraMessage(String.format(Locale.ROOT, "epoch %d · %.0f tasks/s · loss %.4f", epoch, tasksPerSecond, loss));
    }

    @Override public void epoch(RecTrainer.Epoch e, boolean best) {
        if (bar != null)
            bar.setExtraMessage(String.format(Locale.ROOT, "epoch %d · validation %.4f%s", e.epoch(), e.validationLoss(), best ? " (best)" : ""));
        else if (mode == Mode.LINES)
            log.printf(Locale.ROOT, "%s: epoch %d/%d  train %.4f  validation %.4f%s  %.0f tasks/s  %.1f s%n", name, e.epoch(), epochs,
                    e.trainLoss(), e.validationLoss(), best ? " (best)" : "", e.tasksPerSecond(), e.seconds());
    }

    @Override public void close() {
        if (bar != null) {
            bar.stepTo(bar.getMax());
            bar.close();
            bar = null;
        }
        log.flush();
    }

    /**
     * Progress over a known number of iterations (the sinusoid benchmark): a bar on a terminal,
     * a line at every tenth of the way otherwise, nothing when quiet.
     */
    static final class Iterations implements AutoCloseable {
        private final String name;
        private final long total;
        private final Mode mode;
        private final PrintStream log = System.err;
        private final ProgressBar bar;
        private int shownTenths;

        Iterations(String name, long total, boolean quiet) {
            this.name = name;
            this.total = total;
            this.mode = mode(quiet);
            this.bar = mode != Mode.BAR ? null : new ProgressBarBuilder().setTaskName(String.format(Locale.ROOT, "%-10s", name)).setInitialMax(total)
                    .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).setConsumer(new ConsoleProgressBarConsumer(log)).build();
        }

        void update(long done, double loss, double tasksPerSecond) {
            if (bar != null) {
                bar.stepTo(done);
                bar.setExtraMessage(String.format(Locale.ROOT, " %6.0f tasks/s  loss %.3f", tasksPerSecond, loss));
            } else if (mode == Mode.LINES) {
                int tenths = (int) (10 * done / Math.max(1, total));
                if (tenths > shownTenths) { // at most ten lines, the last at 100%
                    shownTenths = tenths;
                    log.printf(Locale.ROOT, "%s: %d/%d iterations (%d%%)  %.0f tasks/s  loss %.3f%n", name, done, total,
                            100 * done / Math.max(1, total), tasksPerSecond, loss);
                }
            }
        }

        @Override public void close() {
            if (bar != null) bar.close();
            log.flush();
        }
    }
}
