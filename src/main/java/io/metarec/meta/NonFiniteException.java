package io.metarec.meta;

/**
 * A NaN or infinity in a task's loss or gradients, named by learner, task and inner step. Usually a
 * learning rate too large for the data (training diverged) or extreme input values; a learner with
 * {@link LearnerConfig.NonFinitePolicy#SKIP} skips such tasks instead (and counts them).
 */
public class NonFiniteException extends ArithmeticException {
    public final String learner;
    public final int task;
    public final int step;
    private final String detail;

    public NonFiniteException(String learner, int task, int step, String what) {
        super(describe(learner, task, step, what) + " (a learning rate too large for the data, or extreme input values)");
        this.learner = learner;
        this.task = task;
        this.step = step;
        this.detail = describe(learner, task, step, what);
    }

    private static String describe(String learner, int task, int step, String what) {
        return learner + ": " + what + " is not finite in task " + task + (step >= 0 ? " at inner step " + step : " on the query set");
    }

    /** What was not finite, where (learner, task, step), without the hint on causes. */
    public String detail() { return detail; }
}
