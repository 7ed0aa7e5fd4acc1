package io.metarec.meta;

/** A NaN or infinity in a task's loss or gradients, named by learner, task and inner step. */
public class NonFiniteException extends ArithmeticException {
    public final String learner;
    public final int task;
    public final int step;

    public NonFiniteException(String learner, int task, int step, String what) {
        super(learner + ": " + what + " is not finite in task " + task
                + (step >= 0 ? " at inner step " + step : " on the query set")
                + " (lower the inner learning rate, clip inner gradients, or skip such tasks with nonFinite=SKIP)");
        this.learner = learner;
        this.task = task;
        this.step = step;
    }
}
