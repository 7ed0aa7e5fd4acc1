package io.metarec.rec.train;

import io.metarec.meta.MetaLearner;
import io.metarec.meta.NonFiniteException;
import io.metarec.meta.Task;
import io.metarec.nn.Params;
import io.metarec.rec.model.Examples;
import io.metarec.util.EnginePool;

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
 * newest epoch), and training never stops before {@value #MIN_EPOCHS} epochs; and each
 * validation user is scored on up to {@link Experiment#VALIDATION_FOLDS} queries, its ratings re-dealt
 * ({@link io.metarec.rec.split.ColdStartSplit.TrainValidation#validationFolds}). On ML-100K the
 * validation set is 32–34 users (340 query ratings on one query each, a standard error of about 0.07
 * on the MSE): the raw loss picked epoch 1 or 2 of a curve that was still improving, and with the
 * smoothing alone 2 of 9 runs kept the initial parameters.
 *
 * <p><b>Divergence</b> stops training: a NaN or infinity (in a loss or gradient, or the validation
 * loss), or a validation loss more than {@value #DIVERGENCE_FACTOR}× the initial one (epoch 0's;
 * without validation users, the first meta-step's training loss). The best epoch before it is kept
 * and the history says where training diverged; when no epoch was better than the initial
 * parameters there is nothing worth keeping, and training fails with a
 * {@link TrainingDivergedException}.
 */
public final class RecTrainer {

    /**
     * @param epochs     upper bound on passes over the training tasks
     * @param metaBatch  tasks per meta-step (MeLU: 32)
     * @param patience   epochs without a better validation loss before stopping (0: never stop early)
     * @param evalSteps  inner steps when adapting to validation tasks
     */
    public record Options(int epochs, int metaBatch, int patience, int evalSteps, long seed) {
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
     * All epochs and the one kept (0: the initial parameters), its smoothed validation loss, the
     * validation loss of the initial parameters (NaN without validation tasks), and the epoch that
     * diverged with what diverged (0 and null when training did not diverge; the diverged epoch is
     * not in {@code epochs}).
     */
    public record History(List<Epoch> epochs, int bestEpoch, double bestValidationLoss, boolean stoppedEarly, double initialValidationLoss,
                          int divergedEpoch, String divergence) {
        public History(List<Epoch> epochs, int bestEpoch, double bestValidationLoss, boolean stoppedEarly, double initialValidationLoss) {
            this(epochs, bestEpoch, bestValidationLoss, stoppedEarly, initialValidationLoss, 0, null);
        }

        /** Whether training stopped because it diverged (the best epoch before it is kept). */
        public boolean diverged() { return divergedEpoch > 0; }
    }

    /** Hooks for progress display and checkpoints. */
    public interface Listener {
        default void started(int epochs, int stepsPerEpoch) {}

        default void step(int epoch, int step, double loss, double tasksPerSecond) {}

        /** After each epoch; {@code best} tells whether it is the best so far (e.g. to save the model). */
        default void epoch(Epoch e, boolean best) {}

        /**
         * After each completed epoch (after {@link #epoch}): {@code state.get()} is where the run
         * stands, what {@link #train(MetaLearner, java.util.function.IntFunction, List, Options, Listener, Checkpoint)}
         * continues from (built on demand: on a device backend it copies the state to the host).
         */
        default void checkpoint(java.util.function.Supplier<Checkpoint> state) {}
    }

    /** Weight of the newest epoch in the smoothed validation loss. */
    public static final double SMOOTHING = 0.5;
    /** Epochs before early stopping may stop (fewer when fewer are asked). */
    public static final int MIN_EPOCHS = 5;
    /**
     * A validation loss this many times the initial one is divergence, not overfitting: a model
     * knocked off its start by a large outer step ends about 2× above it (InitialEpochTest), a
     * diverged one orders of magnitude above (an outer rate of 1000: 1e29).
     */
    public static final int DIVERGENCE_FACTOR = 10;

    private RecTrainer() {}

    public static History train(MetaLearner<Examples> learner, List<Task<Examples>> train, List<Task<Examples>> validation,
                                Options o, Listener listener) {
        return train(learner, e -> train, validation, o, listener);
    }

    /** The same with each epoch's training tasks made for it (varied supports, hidden identities; the same count each epoch). */
    public static History train(MetaLearner<Examples> learner, java.util.function.IntFunction<List<Task<Examples>>> epochTasks,
                                List<Task<Examples>> validation, Options o, Listener listener) {
        return train(learner, epochTasks, validation, o, listener, null);
    }

    /**
     * The same, continuing from {@code from} (null: from the start): the learner (a new one of the
     * same configuration) is restored to the checkpoint's state and training goes on after its
     * epoch exactly as the run that wrote it would have gone on: same parameters, same history.
     * The caller checks that the checkpoint is of this configuration and data ({@link Checkpoint.Fingerprint}).
     */
    public static History train(MetaLearner<Examples> learner, java.util.function.IntFunction<List<Task<Examples>>> epochTasks,
                                List<Task<Examples>> validation, Options o, Listener listener, Checkpoint from) {
        return train(learner, local(learner, epochTasks, validation), o, listener, from);
    }

    /**
     * Where {@link #train}'s meta-steps and validation losses are computed: {@link #local} on this
     * machine, or elsewhere ({@code io.metarec.spark}) with the same results. The loop around them
     * (task order, early stopping, divergence, checkpoints) is the same for every engine.
     */
    public interface Engine {
        /** Prepares epoch {@code epoch}'s training tasks and returns how many there are. */
        int epoch(int epoch);

        /** One meta-step of the learner on the epoch's tasks {@code order[lo]}, …, {@code order[hi − 1]}, a meta-batch in that order. */
        MetaLearner.StepResult step(int[] order, int lo, int hi);

        /** Whether there are validation tasks. */
        boolean hasValidation();

        /** The mean validation loss after adapting with {@code steps} inner steps, as {@link RecTrainer#validationLoss} computes it. */
        double validationLoss(int steps);
    }

    /** The engine of a single machine: {@link MetaLearner#metaStep} on the epoch's tasks. */
    public static Engine local(MetaLearner<Examples> learner, java.util.function.IntFunction<List<Task<Examples>>> epochTasks,
                               List<Task<Examples>> validation) {
        return new Engine() {
            List<Task<Examples>> train = List.of();

            @Override public int epoch(int epoch) {
                train = epochTasks.apply(epoch);
                return train.size();
            }

            @Override public MetaLearner.StepResult step(int[] order, int lo, int hi) {
                List<Task<Examples>> batch = new ArrayList<>(hi - lo);
                for (int k = lo; k < hi; k++) batch.add(train.get(order[k]));
                return learner.metaStep(batch);
            }

            @Override public boolean hasValidation() { return !validation.isEmpty(); }

            @Override public double validationLoss(int steps) { return RecTrainer.validationLoss(learner, validation, steps); }
        };
    }

    /** The same loop with the meta-steps and validation losses computed by {@code engine} (which meta-trains {@code learner}). */
    public static History train(MetaLearner<Examples> learner, Engine engine, Options o, Listener listener, Checkpoint from) {
        int first = from == null ? 1 : from.epoch() + 1;
        int tasks = engine.epoch(from == null || from.finished() ? 1 : first);
        if (tasks == 0) throw new IllegalArgumentException("no training tasks: the split has no 'train' tasks (check the data and the split)");
        int steps = (tasks + o.metaBatch() - 1) / o.metaBatch();
        TaskOrder order = new TaskOrder(o.seed());
        List<Epoch> epochs = new ArrayList<>();
        double best = Double.POSITIVE_INFINITY, smoothed = Double.NaN;
        int bestEpoch = 0, since = 0;
        Params bestParams;
        boolean early = false;
        double initial = Double.NaN, reference;
        if (from == null) {
            listener.started(o.epochs(), steps);
            bestParams = learner.snapshot();
            if (engine.hasValidation()) { // epoch 0: the initial parameters compete too (a model may start from a good factorisation)
                try {
                    initial = engine.validationLoss(o.evalSteps());
                } catch (NonFiniteException x) {
                    throw new TrainingDivergedException(0, "adapting the initial parameters to the validation users: " + x.detail());
                }
                if (!Double.isFinite(initial)) throw new TrainingDivergedException(0, "the initial validation loss is " + initial);
                best = smoothed = initial;
            }
            reference = initial; // what "exploding" is measured against (without validation: the first meta-step's loss)
        } else {
            if (from.epoch() > o.epochs())
                throw new IllegalArgumentException("the checkpoint is of epoch " + from.epoch() + ", but this run has " + o.epochs() + " epochs");
            learner.restore(from.learner());
            for (int n : from.shuffles()) order.replay(n);
            epochs.addAll(from.curve());
            best = from.bestLoss();
            smoothed = from.smoothedLoss();
            bestEpoch = from.bestEpoch();
            since = from.sinceBest();
            bestParams = from.bestParams();
            initial = from.initialLoss();
            reference = from.referenceLoss();
            if (from.finished()) {
                learner.load(bestParams);
                return new History(List.copyOf(epochs), bestEpoch, best, from.stoppedEarly(), initial);
            }
            listener.started(o.epochs(), steps);
        }
        for (int e = first; e <= o.epochs(); e++) {
            long t0 = System.nanoTime();
            if (e > first) tasks = engine.epoch(e);
            int[] perm = order.next(tasks);
            double lossSum = 0;
            int lossCount = 0;
            long skippedBefore = learner.skippedTasks();
            double val = Double.NaN, seconds = 0;
            String diverged = null;
            try {
                for (int s = 0; s < steps; s++) {
                    MetaLearner.StepResult r = engine.step(perm, s * o.metaBatch(), Math.min(tasks, (s + 1) * o.metaBatch()));
                    if (!Double.isNaN(r.loss())) {
                        if (Double.isNaN(reference)) reference = r.loss();
                        lossSum += r.loss() * r.tasks();
                        lossCount += r.tasks();
                    }
                    double secs = (System.nanoTime() - t0) / 1e9;
                    listener.step(e, s + 1, lossCount == 0 ? Double.NaN : lossSum / lossCount, Math.min(tasks, (s + 1) * o.metaBatch()) / secs);
                }
                seconds = (System.nanoTime() - t0) / 1e9;
                val = !engine.hasValidation() ? lossSum / Math.max(1, lossCount) : engine.validationLoss(o.evalSteps());
                diverged = divergence(val, reference, !engine.hasValidation() ? "training" : "validation");
            } catch (NonFiniteException x) {
                diverged = x.detail();
            }
            if (diverged != null) {
                if (bestEpoch == 0) throw new TrainingDivergedException(e, diverged);
                learner.load(bestParams);
                return new History(List.copyOf(epochs), bestEpoch, best, false, initial, e, diverged);
            }
            Epoch ep = new Epoch(e, lossSum / Math.max(1, lossCount), val, seconds, tasks / seconds, learner.skippedTasks() - skippedBefore);
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
            boolean stop = o.patience() > 0 && since >= o.patience() && e >= MIN_EPOCHS;
            if (stop) early = e < o.epochs();
            // Where the run stands now, for a checkpoint (the values as they are at this point; the loop changes none of them after).
            int epoch = e, bEpoch = bestEpoch, sinceBest = since;
            double bLoss = best, sLoss = smoothed, ref = reference, init = initial;
            Params bParams = bestParams;
            boolean finished = stop || e == o.epochs(), stoppedEarly = early;
            int[] drawn = order.drawn();
            List<Epoch> curve = List.copyOf(epochs);
            listener.checkpoint(() -> new Checkpoint(epoch, finished, stoppedEarly, curve, bEpoch, bLoss, sLoss, sinceBest, init, ref, bParams,
                    learner.trainingState(), drawn));
            if (stop) break;
        }
        learner.load(bestParams);
        return new History(List.copyOf(epochs), bestEpoch, best, early, initial);
    }

    /**
     * The task order's random stream: permutations drawn from one {@link SplittableRandom} seeded
     * with the run's seed, the stream advancing from epoch to epoch. A SplittableRandom does not
     * expose its state, so this one keeps the size of every shuffle drawn: replaying them on a new
     * stream of the same seed restores the state exactly (what a checkpoint saves).
     */
    private static final class TaskOrder {
        private final SplittableRandom rng;
        private final List<Integer> drawn = new ArrayList<>();

        TaskOrder(long seed) {
            rng = new SplittableRandom(seed);
        }

        int[] next(int n) {
            drawn.add(n);
            return io.metarec.util.Shuffle.permutation(n, rng);
        }

        void replay(int n) {
            next(n);
        }

        int[] drawn() {
            return drawn.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    /** Why an epoch's loss means divergence (not finite, or over {@link #DIVERGENCE_FACTOR}× the reference), or null. */
    static String divergence(double loss, double reference, String what) {
        if (!Double.isFinite(loss)) return "the " + what + " loss is " + loss;
        if (Double.isFinite(reference) && loss > DIVERGENCE_FACTOR * Math.max(reference, 1e-6))
            return String.format(java.util.Locale.ROOT, "the %s loss %.4g is over %d× the initial %.4g", what, loss, DIVERGENCE_FACTOR, reference);
        return null;
    }

    /** Mean query loss after adaptation over the tasks (parallel over tasks, deterministic). */
    public static double validationLoss(MetaLearner<Examples> learner, List<Task<Examples>> tasks, int steps) {
        return meanLoss(validationLosses(learner, tasks, steps));
    }

    /** The mean of per-task losses, summed in task order (what {@link #validationLoss} returns for them). */
    public static double meanLoss(double[] loss) {
        double sum = 0;
        for (double v : loss) sum += v;
        return sum / Math.max(1, loss.length);
    }

    /** Each task's query loss after adaptation (each task alone: the same on any machine). */
    public static double[] validationLosses(MetaLearner<Examples> learner, List<Task<Examples>> tasks, int steps) {
        double[] loss = new double[tasks.size()];
        EnginePool.forEach(tasks.size(), k -> {
            Task<Examples> t = tasks.get(k);
            try (var scope = learner.backend().openRepeatingScope()) { // device memory of this task dies here; task after task: the same allocations
                loss[k] = learner.loss(learner.adaptTo(t.support(), steps), t.query());
            }
        });
        return loss;
    }
}
