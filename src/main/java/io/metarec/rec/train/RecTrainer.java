package io.metarec.rec.train;

import io.metarec.backend.cpu.CpuParallel;
import io.metarec.meta.MetaLearner;
import io.metarec.meta.Task;
import io.metarec.nn.Params;
import io.metarec.rec.model.Examples;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Meta-training on a split's training tasks: epochs over the tasks in seeded random order, in
 * meta-batches; after every epoch the validation loss (the query loss after adapting to each
 * validation task's support set — held-out users of the warm state); early stopping keeps the
 * best epoch's meta-parameters.
 *
 * <p>Early stopping is not fooled by a small validation set: the criterion is the validation
 * loss smoothed over epochs (an exponential moving average with weight {@value #SMOOTHING} on the
 * newest epoch), and training never stops before {@value #MIN_EPOCHS} epochs. On ML-100K the
 * validation set is 34 users (340 query ratings, a standard error of about 0.07 on the MSE), and the
 * raw loss picked epoch 1 or 2 of a curve that was still improving.
 */
public final class RecTrainer {

    /**
     * @param epochs     upper bound on passes over the training tasks
     * @param metaBatch  tasks per meta-step (MeLU: 32)
     * @param patience   epochs without a better validation loss before stopping (0: never stop early)
     * @param evalSteps  inner steps when adapting to validation tasks
     * @param keepLast   keep the last epoch's parameters (a refit for a known epoch count) instead of the best
     */
    public record Options(int epochs, int metaBatch, int patience, int evalSteps, long seed, boolean keepLast) {
        public Options(int epochs, int metaBatch, int patience, int evalSteps, long seed) {
            this(epochs, metaBatch, patience, evalSteps, seed, false);
        }

        public Options {
            if (epochs < 1) throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
            if (metaBatch < 1) throw new IllegalArgumentException("meta-batch must be at least 1, got " + metaBatch);
            if (patience < 0) throw new IllegalArgumentException("patience must be ≥ 0, got " + patience);
            if (evalSteps < 0) throw new IllegalArgumentException("evaluation inner steps must be ≥ 0, got " + evalSteps);
        }
    }

    /** One epoch: mean training (query) loss, validation loss, time and throughput. */
    public record Epoch(int epoch, double trainLoss, double validationLoss, double seconds, double tasksPerSecond, long skipped) {}

    /**
     * All epochs and the one kept (0: the initial parameters), its smoothed validation loss, and the
     * validation loss of the initial parameters (NaN without validation tasks).
     */
    public record History(List<Epoch> epochs, int bestEpoch, double bestValidationLoss, boolean stoppedEarly, double initialValidationLoss) {}

    /** Hooks for progress display and checkpoints. */
    public interface Listener {
        default void started(int epochs, int stepsPerEpoch) {}

        default void step(int epoch, int step, double loss, double tasksPerSecond) {}

        /** After each epoch; {@code best} tells whether it is the best so far (e.g. to save a checkpoint). */
        default void epoch(Epoch e, boolean best) {}
    }

    /** Weight of the newest epoch in the smoothed validation loss. */
    public static final double SMOOTHING = 0.5;
    /** Epochs before early stopping may stop (fewer when fewer are asked). */
    public static final int MIN_EPOCHS = 5;

    private RecTrainer() {}

    public static History train(MetaLearner<Examples> learner, List<Task<Examples>> train, List<Task<Examples>> validation,
                                Options o, Listener listener) {
        return train(learner, e -> train, validation, o, listener);
    }

    /** The same with each epoch's training tasks made for it (varied supports, hidden identities; the same count each epoch). */
    public static History train(MetaLearner<Examples> learner, java.util.function.IntFunction<List<Task<Examples>>> epochTasks,
                                List<Task<Examples>> validation, Options o, Listener listener) {
        List<Task<Examples>> train = epochTasks.apply(1);
        if (train.isEmpty()) throw new IllegalArgumentException("no training tasks: the split has no 'train' tasks (check the data and the split)");
        int steps = (train.size() + o.metaBatch() - 1) / o.metaBatch();
        listener.started(o.epochs(), steps);
        SplittableRandom rng = new SplittableRandom(o.seed());
        List<Epoch> epochs = new ArrayList<>();
        double best = Double.POSITIVE_INFINITY, smoothed = Double.NaN;
        int bestEpoch = 0, since = 0;
        Params bestParams = learner.snapshot();
        boolean early = false;
        double initial = Double.NaN;
        if (!validation.isEmpty()) { // epoch 0: the initial parameters compete too (a model may start from a good factorisation)
            best = smoothed = initial = validationLoss(learner, validation, o.evalSteps());
        }
        for (int e = 1; e <= o.epochs(); e++) {
            long t0 = System.nanoTime();
            if (e > 1) train = epochTasks.apply(e);
            int[] order = io.metarec.util.Shuffle.permutation(train.size(), rng);
            double lossSum = 0;
            int lossCount = 0;
            long skippedBefore = learner.skippedTasks();
            for (int s = 0; s < steps; s++) {
                List<Task<Examples>> batch = new ArrayList<>();
                for (int k = s * o.metaBatch(); k < Math.min(train.size(), (s + 1) * o.metaBatch()); k++) batch.add(train.get(order[k]));
                MetaLearner.StepResult r = learner.metaStep(batch);
                if (!Double.isNaN(r.loss())) {
                    lossSum += r.loss() * r.tasks();
                    lossCount += r.tasks();
                }
                double secs = (System.nanoTime() - t0) / 1e9;
                listener.step(e, s + 1, lossCount == 0 ? Double.NaN : lossSum / lossCount, Math.min(train.size(), (s + 1) * o.metaBatch()) / secs);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            double val = validation.isEmpty() ? lossSum / Math.max(1, lossCount) : validationLoss(learner, validation, o.evalSteps());
            Epoch ep = new Epoch(e, lossSum / Math.max(1, lossCount), val, seconds, train.size() / seconds, learner.skippedTasks() - skippedBefore);
            epochs.add(ep);
            smoothed = Double.isNaN(smoothed) ? val : SMOOTHING * val + (1 - SMOOTHING) * smoothed;
            boolean improved = smoothed < best;
            if (improved) {
                best = smoothed;
                bestEpoch = e;
                bestParams = learner.snapshot();
                since = 0;
            } else {
                since++;
            }
            listener.epoch(ep, improved);
            if (o.patience() > 0 && since >= o.patience() && e >= MIN_EPOCHS) {
                early = e < o.epochs();
                break;
            }
        }
        if (o.keepLast()) {
            bestEpoch = epochs.size();
            bestParams = learner.snapshot();
        }
        learner.load(bestParams);
        return new History(List.copyOf(epochs), bestEpoch, best, early, initial);
    }

    /** Mean query loss after adaptation over the tasks (parallel over tasks, deterministic). */
    public static double validationLoss(MetaLearner<Examples> learner, List<Task<Examples>> tasks, int steps) {
        double[] loss = new double[tasks.size()];
        CpuParallel.forEach(tasks.size(), k -> {
            Task<Examples> t = tasks.get(k);
            try (var scope = learner.backend().openScope()) { // device memory of this task dies here
                loss[k] = learner.loss(learner.adaptTo(t.support(), steps), t.query());
            }
        });
        double sum = 0;
        for (double v : loss) sum += v;
        return sum / Math.max(1, tasks.size());
    }
}
