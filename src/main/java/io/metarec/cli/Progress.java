package io.metarec.cli;

import io.metarec.rec.train.RecTrainer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.util.Locale;

/** A progress bar (on stderr) for meta-training: epoch, tasks/s and the current loss. */
class Progress implements RecTrainer.Listener, AutoCloseable {
    private final String name;
    private final PrintStream log;
    private ProgressBar bar;
    private int stepsPerEpoch;

    Progress(String name, PrintStream log) {
        this.name = name;
        this.log = log;
    }

    @Override public void started(int epochs, int stepsPerEpoch) {
        this.stepsPerEpoch = stepsPerEpoch;
        bar = new ProgressBarBuilder().setTaskName(name).setInitialMax((long) epochs * stepsPerEpoch)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).continuousUpdate()
                .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err, 100)).build();
    }

    @Override public void step(int epoch, int step, double loss, double tasksPerSecond) {
        bar.stepTo((long) (epoch - 1) * stepsPerEpoch + step);
        bar.setExtraMessage(String.format(Locale.ROOT, "epoch %d · %.0f tasks/s · loss %.4f", epoch, tasksPerSecond, loss));
    }

    @Override public void epoch(RecTrainer.Epoch e, boolean best) {
        bar.setExtraMessage(String.format(Locale.ROOT, "epoch %d · validation %.4f%s", e.epoch(), e.validationLoss(), best ? " (best)" : ""));
    }

    @Override public void close() {
        if (bar != null) {
            bar.stepTo(bar.getMax());
            bar.close();
        }
        log.flush();
    }
}
