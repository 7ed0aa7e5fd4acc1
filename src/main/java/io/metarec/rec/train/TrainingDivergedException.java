package io.metarec.rec.train;

/**
 * Meta-training diverged (a NaN or infinity, or a validation loss exploding far above the initial
 * one) before any epoch was better than the initial parameters, so there is no model worth keeping.
 * The cause is the run's hyper-parameters, so it is reported as bad input (an
 * IllegalArgumentException: exit code 2 on the command line), with advice on which to lower.
 */
public class TrainingDivergedException extends IllegalArgumentException {
    private final int epoch;
    private final String reason;

    /** @param epoch the epoch that diverged (0: adapting the initial parameters already did) */
    public TrainingDivergedException(int epoch, String reason) {
        this(epoch, reason, null);
    }

    private TrainingDivergedException(int epoch, String reason, String advice) {
        super((epoch == 0 ? "training cannot start: " + reason
                : "training diverged in epoch " + epoch + ": " + reason + "; no epoch before it was better than the initial parameters, so nothing is kept")
                + (advice == null ? "" : "; " + advice));
        this.epoch = epoch;
        this.reason = reason;
    }

    /** The epoch that diverged (0: before training). */
    public int epoch() { return epoch; }

    /** What diverged. */
    public String reason() { return reason; }

    /** The same failure with advice appended ("lower --outer-lr …"). */
    public TrainingDivergedException withAdvice(String advice) {
        TrainingDivergedException e = new TrainingDivergedException(epoch, reason, advice);
        e.setStackTrace(getStackTrace());
        return e;
    }
}
