package io.metarec.spark;

import io.metarec.autograd.GradMode;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Backend;
import io.metarec.meta.MetaLearner;
import io.metarec.meta.NonFiniteException;
import io.metarec.meta.Task;
import io.metarec.nn.Params;
import io.metarec.optim.Optimizer;
import io.metarec.rec.model.Examples;
import io.metarec.rec.train.RecTrainer;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;

import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Meta-training on a Spark cluster: a {@link RecTrainer.Engine}, so the loop around the steps
 * (task order, early stopping, divergence, checkpoints) is {@link RecTrainer}'s own.
 *
 * <p><b>Data.</b> Each epoch's training tasks live in a cached RDD of one {@link Shard} per
 * partition: partition p holds, for every meta-step of the epoch, the tasks of the step's block p
 * ({@link EpochLayout}). The executors build those tasks themselves from the run's data
 * ({@link Recipe}), only the epoch's task order is broadcast.
 *
 * <p><b>Gradient aggregation</b> (the default, {@code localSteps} = 1): each meta-step broadcasts
 * θ; every partition computes its block's per-task meta-gradients with the learner's own
 * {@link MetaLearner#metaGradient} and sums them over the block's subtree; the driver collects the
 * block sums by block, adds them along the tree ({@link TreeSum}), takes the mean as
 * {@code metaGradient} does and applies it with {@link MetaLearner#applyMetaGradient}. Same seed and
 * task order ⇒ the same bits as {@link MetaLearner#metaStep} on one machine (CPU, per-task
 * execution).
 *
 * <p><b>Local steps</b> ({@code localSteps} = k > 1): every partition takes k meta-steps of its own
 * (each on its block of the step, with its own copy of the outer optimizer), then the driver
 * averages the partitions' parameters and optimizer states (weighted by tasks used, in partition
 * order). One round trip per k steps instead of one per step; the result is not the single
 * machine's (see docs/spark.md).
 */
public final class SparkTraining implements RecTrainer.Engine, AutoCloseable {
    private final JavaSparkContext sc;
    private final Recipe recipe;
    private final MetaLearner<Examples> learner;
    private final int partitions, localSteps, metaBatch;
    private final boolean barrier;
    private final int validationTasks;
    private final Deque<MetaLearner.StepResult> pending = new ArrayDeque<>();
    private int epoch, tasks;
    private int[] order;
    private EpochLayout layout;
    private JavaRDD<Shard> shards;
    private Broadcast<int[]> orderCast;
    private final Timings timings = new Timings();

    /**
     * @param learner         the driver's learner (what is trained; its θ is what gets broadcast)
     * @param validationTasks how many validation tasks the run has
     * @param barrier         run each step's stage in barrier mode (all partitions gang-scheduled)
     */
    public SparkTraining(JavaSparkContext sc, Recipe recipe, MetaLearner<Examples> learner, int partitions, int localSteps, int metaBatch,
                         int validationTasks, boolean barrier) {
        if (partitions < 1) throw new IllegalArgumentException("--partitions must be at least 1, got " + partitions);
        if (localSteps < 1) throw new IllegalArgumentException("--local-steps must be at least 1, got " + localSteps);
        this.sc = sc;
        this.recipe = recipe;
        this.learner = learner;
        this.partitions = partitions;
        this.localSteps = localSteps;
        this.metaBatch = metaBatch;
        this.validationTasks = validationTasks;
        this.barrier = barrier;
    }

    /** Where the driver's time went: broadcasting, the Spark jobs, adding and applying. */
    public static final class Timings {
        /** Per step (sums over the steps): broadcasting θ, the Spark job, of which the slowest partition's gradient work, adding the blocks, the update. */
        public long steps, broadcastNanos, jobNanos, computeNanos, combineNanos, applyNanos, shardNanos;

        /** Milliseconds per step of a sum above. */
        public double perStep(long nanos) {
            return nanos / 1e6 / Math.max(1, steps);
        }

        @Override public String toString() {
            return String.format(java.util.Locale.ROOT,
                    "%d steps: broadcast %.1f ms, job %.1f ms (slowest partition's work %.1f ms), combine %.1f ms, apply %.1f ms per step; shards %.0f ms",
                    steps, perStep(broadcastNanos), perStep(jobNanos), perStep(computeNanos), perStep(combineNanos), perStep(applyNanos), shardNanos / 1e6);
        }
    }

    public Timings timings() { return timings; }

    // ---- the epoch's tasks ----------------------------------------------------------------------

    @Override public int epoch(int e) {
        dropShards();
        epoch = e;
        tasks = recipe.context().experiment().trainValidation().train().size();
        order = null;
        return tasks;
    }

    /**
     * Partition p's tasks of one epoch: per assigned block, the positions (in the training users'
     * list) of its tasks, and the tasks themselves, built where the shard is first used (transient:
     * should Spark move a cached shard, only the positions travel and the tasks are rebuilt).
     */
    static final class Shard implements Serializable {
        final int epoch;
        final List<EpochLayout.Assigned> blocks;
        final int[][] positions;
        private transient List<List<Task<Examples>>> built;

        Shard(int epoch, List<EpochLayout.Assigned> blocks, int[][] positions) {
            this.epoch = epoch;
            this.blocks = blocks;
            this.positions = positions;
        }

        /** The index of step s's block here, or −1. */
        int indexOf(int step) {
            for (int i = 0; i < blocks.size(); i++) if (blocks.get(i).step() == step) return i;
            return -1;
        }

        synchronized List<Task<Examples>> tasks(Recipe.Context c, int i) {
            if (built == null) {
                int total = 0;
                for (int[] p : positions) total += p.length;
                int[] all = new int[total];
                int at = 0;
                for (int[] p : positions) {
                    System.arraycopy(p, 0, all, at, p.length);
                    at += p.length;
                }
                List<Task<Examples>> flat = c.experiment().epochTasks(c.config(), epoch, all);
                built = new ArrayList<>(positions.length);
                at = 0;
                for (int[] p : positions) {
                    built.add(flat.subList(at, at + p.length));
                    at += p.length;
                }
            }
            return built.get(i);
        }
    }

    private void shardsFor(int[] order) {
        long t0 = System.nanoTime();
        dropShards();
        this.order = order;
        layout = new EpochLayout(tasks, metaBatch, partitions);
        orderCast = sc.broadcast(order);
        Broadcast<int[]> cast = orderCast;
        EpochLayout lay = layout;
        Recipe r = recipe;
        int e = epoch;
        shards = sc.parallelize(IntStream.range(0, partitions).boxed().toList(), partitions).mapPartitionsWithIndex((p, it) -> {
            List<EpochLayout.Assigned> mine = lay.of(p);
            int[] ord = cast.value();
            int[][] pos = new int[mine.size()][];
            for (int i = 0; i < pos.length; i++) {
                EpochLayout.Assigned a = mine.get(i);
                int base = a.step() * lay.metaBatch();
                pos[i] = new int[a.block().size()];
                for (int j = 0; j < pos[i].length; j++) pos[i][j] = ord[base + a.block().lo() + j];
            }
            Shard s = new Shard(e, mine, pos);
            if (pos.length > 0) s.tasks(r.context(), 0); // build now, while the shard is being cached
            return List.of(s).iterator();
        }, true).persist(StorageLevel.MEMORY_ONLY());
        shards.count();
        timings.shardNanos += System.nanoTime() - t0;
    }

    private void dropShards() {
        pending.clear();
        if (shards != null) shards.unpersist(false);
        if (orderCast != null) orderCast.destroy();
        shards = null;
        orderCast = null;
    }

    // ---- meta-steps ------------------------------------------------------------------------------

    @Override public MetaLearner.StepResult step(int[] order, int lo, int hi) {
        if (order != this.order) shardsFor(order);
        if (!pending.isEmpty()) return pending.poll();
        int s = lo / metaBatch;
        if (localSteps == 1) return gradientStep(s);
        localRound(s, Math.min(layout.steps(), s + localSteps));
        return pending.poll();
    }

    /** What a partition returns for a step: its block's sum (keyed by the block's first task), or the error that stopped it. */
    record BlockSum(int lo, TreeSum.Partial sum, NonFiniteException error, long nanos) implements Serializable {}

    private MetaLearner.StepResult gradientStep(int s) {
        long t0 = System.nanoTime();
        Broadcast<StepState> state = sc.broadcast(StepState.of(learner, false));
        long t1 = System.nanoTime();
        Recipe r = recipe;
        long version = state.id();
        List<BlockSum> sums;
        try {
            sums = Stages.run(shards, barrier, it -> {
                Shard sh = it.next();
                int i = sh.indexOf(s);
                if (i < 0) return List.<BlockSum>of().iterator();
                Recipe.Context c = r.context();
                MetaLearner<Examples> l = c.shared().at(c, version, state.value());
                TreeSum.Block b = sh.blocks.get(i).block();
                return List.of(blockSum(l, sh.tasks(c, i), b.lo())).iterator();
            }).collect();
        } finally {
            state.destroy();
        }
        long t2 = System.nanoTime();
        Map<Integer, TreeSum.Partial> byBlock = new HashMap<>();
        long slowest = 0;
        for (BlockSum b : sums) {
            if (b.error != null) throw b.error;
            byBlock.put(b.lo, b.sum);
            slowest = Math.max(slowest, b.nanos);
        }
        TreeSum.Partial total = TreeSum.combine(layout.size(s), byBlock, layout.blocks(s));
        long t3 = System.nanoTime();
        MetaLearner.StepResult result = apply(learner, total);
        long t4 = System.nanoTime();
        timings.steps++;
        timings.broadcastNanos += t1 - t0;
        timings.jobNanos += t2 - t1;
        timings.computeNanos += slowest;
        timings.combineNanos += t3 - t2;
        timings.applyNanos += t4 - t3;
        return result;
    }

    /** A block's sum over its subtree: each task's gradient alone (as the task at {@code first + j} of the meta-batch). */
    static BlockSum blockSum(MetaLearner<Examples> l, List<Task<Examples>> tasks, int first) {
        long t0 = System.nanoTime();
        try {
            TreeSum.Partial p = TreeSum.sum(tasks.size(), j -> {
                MetaLearner.MetaGradient g = l.metaGradient(List.of(tasks.get(j)), first + j);
                if (g.grads() == null) return TreeSum.Partial.skip();
                // One task: its gradient ×1 and its loss /1 are the task's own, as GradientTree's leaves hold them.
                return new TreeSum.Partial(HostParams.of(g.grads()).values(), g.result().loss(), 1, 0);
            });
            return new BlockSum(first, p, null, System.nanoTime() - t0);
        } catch (NonFiniteException e) {
            return new BlockSum(first, null, e, System.nanoTime() - t0);
        }
    }

    /**
     * Applies a meta-batch's summed gradient as {@link MetaLearner#metaStep} does: the mean
     * (sum × 1/used, the same kernel) then the outer update; counts the skipped tasks.
     */
    static MetaLearner.StepResult apply(MetaLearner<Examples> learner, TreeSum.Partial total) {
        if (total.skipped() > 0) countSkipped(learner, total.skipped());
        if (total.used() == 0) {
            learner.applyMetaGradient(null);
            return new MetaLearner.StepResult(Double.NaN, 0, total.skipped());
        }
        Backend be = learner.backend();
        Params names = learner.metaParams();
        List<String> n = names.names();
        List<Tensor> mean = new ArrayList<>(n.size());
        try (var off = GradMode.disabled()) {
            for (int i = 0; i < n.size(); i++)
                mean.add(Tensor.of(be, total.grads()[i], names.get(n.get(i)).shape()).mul(1f / total.used()).detach());
        }
        learner.applyMetaGradient(Params.of(n, mean));
        return new MetaLearner.StepResult(total.loss() / total.used(), total.used(), total.skipped());
    }

    /** Adds to the learner's count of skipped tasks (computed on the executors' learners). */
    private static void countSkipped(MetaLearner<Examples> learner, int skipped) {
        MetaLearner.TrainingState s = learner.trainingState();
        learner.restore(new MetaLearner.TrainingState(s.meta(), s.optimizer(), s.metaSteps(), s.skippedTasks() + skipped));
    }

    // ---- local steps and parameter averaging --------------------------------------------------------

    /** A partition's round: its parameters and optimizer state after its local steps, and per step its loss sum and task counts. */
    record RoundOut(int partition, HostParams meta, String kind, long optimizerSteps, HostParams optimizer, double[] loss, int[] used, int[] skipped,
                    NonFiniteException error) implements Serializable {}

    private void localRound(int from, int to) {
        long t0 = System.nanoTime();
        Broadcast<StepState> state = sc.broadcast(StepState.of(learner, true));
        long t1 = System.nanoTime();
        Recipe r = recipe;
        List<RoundOut> outs;
        try {
            outs = Stages.runIndexed(shards, barrier, (p, it) -> {
                Shard sh = it.next();
                Recipe.Context c = r.context();
                MetaLearner<Examples> l = c.newLearner();
                state.value().restoreInto(l);
                int k = to - from;
                double[] loss = new double[k];
                int[] used = new int[k], skipped = new int[k];
                for (int j = 0; j < k; j++) {
                    int i = sh.indexOf(from + j);
                    if (i < 0) {
                        l.applyMetaGradient(null);
                        continue;
                    }
                    BlockSum b = blockSum(l, sh.tasks(c, i), sh.blocks.get(i).block().lo());
                    if (b.error != null)
                        return List.of(new RoundOut(p, null, null, 0, null, null, null, null, b.error)).iterator();
                    MetaLearner.StepResult res = apply(l, b.sum);
                    loss[j] = b.sum.loss();
                    used[j] = res.tasks();
                    skipped[j] = res.skipped();
                }
                Optimizer.State o = l.trainingState().optimizer();
                return List.of(new RoundOut(p, HostParams.of(l.snapshot()), o.kind(), o.steps(), HostParams.of(o.tensors()), loss, used, skipped, null))
                        .iterator();
            }).collect();
        } finally {
            state.destroy();
        }
        long t2 = System.nanoTime();
        List<RoundOut> sorted = new ArrayList<>(outs);
        sorted.sort(java.util.Comparator.comparingInt(RoundOut::partition));
        for (RoundOut o : sorted) if (o.error != null) throw o.error;
        int k = to - from;
        long skippedAll = 0;
        double[] weights = new double[sorted.size()];
        for (int i = 0; i < sorted.size(); i++) for (int j = 0; j < k; j++) weights[i] += sorted.get(i).used[j];
        for (int j = 0; j < k; j++) {
            double loss = 0;
            int used = 0, skipped = 0;
            for (RoundOut o : sorted) {
                loss += o.loss[j];
                used += o.used[j];
                skipped += o.skipped[j];
            }
            skippedAll += skipped;
            pending.add(new MetaLearner.StepResult(used == 0 ? Double.NaN : loss / used, used, skipped));
        }
        MetaLearner.TrainingState now = learner.trainingState();
        Params meta = average(sorted, weights, RoundOut::meta, now.meta());
        Optimizer.State opt = now.optimizer();
        if (sorted.stream().anyMatch(o -> o.optimizer.names().length > 0)) {
            long steps = sorted.stream().mapToLong(RoundOut::optimizerSteps).max().orElse(opt.steps());
            opt = new Optimizer.State(sorted.get(0).kind, steps, average(sorted, weights, RoundOut::optimizer, null));
        }
        learner.restore(new MetaLearner.TrainingState(meta, opt, now.metaSteps() + k, now.skippedTasks() + skippedAll));
        long t3 = System.nanoTime();
        timings.steps += k;
        timings.broadcastNanos += t1 - t0;
        timings.jobNanos += t2 - t1;
        timings.applyNanos += t3 - t2;
    }

    /** Σ_p w_p·x_p / Σ_p w_p per scalar, in partition order (double sums); {@code fallback} when no partition used a task. */
    private Params average(List<RoundOut> outs, double[] w, java.util.function.Function<RoundOut, HostParams> part, Params fallback) {
        double total = 0;
        for (double x : w) total += x;
        if (total == 0 && fallback != null) return fallback;
        if (total == 0) { // no task anywhere (cannot happen with a non-empty step): equal weights
            java.util.Arrays.fill(w, 1);
            total = w.length;
        }
        HostParams first = part.apply(outs.get(0));
        float[][] avg = new float[first.values().length][];
        for (int i = 0; i < avg.length; i++) {
            double[] acc = new double[first.values()[i].length];
            for (int p = 0; p < outs.size(); p++) {
                if (w[p] == 0) continue;
                float[] v = part.apply(outs.get(p)).values()[i];
                for (int q = 0; q < acc.length; q++) acc[q] += w[p] * v[q];
            }
            avg[i] = new float[acc.length];
            for (int q = 0; q < acc.length; q++) avg[i][q] = (float) (acc[q] / total);
        }
        return new HostParams(first.names(), first.shapes(), avg).toParams(learner.backend());
    }

    // ---- validation ------------------------------------------------------------------------------

    @Override public boolean hasValidation() {
        return validationTasks > 0;
    }

    /** A partition's validation losses: tasks [lo, lo + losses.length). */
    record Losses(int lo, double[] losses) implements Serializable {}

    @Override public double validationLoss(int steps) {
        Broadcast<StepState> state = sc.broadcast(StepState.of(learner, false));
        Recipe r = recipe;
        long version = state.id();
        int n = validationTasks, parts = partitions;
        List<Losses> out;
        try {
            out = sc.parallelize(IntStream.range(0, parts).boxed().toList(), parts).mapPartitionsWithIndex((p, it) -> {
                int lo = (int) ((long) n * p / parts), hi = (int) ((long) n * (p + 1) / parts);
                Recipe.Context c = r.context();
                MetaLearner<Examples> l = c.shared().at(c, version, state.value());
                List<Task<Examples>> ts = c.experiment().validationTasks().subList(lo, hi);
                return List.of(new Losses(lo, RecTrainer.validationLosses(l, ts, steps))).iterator();
            }, true).collect();
        } finally {
            state.destroy();
        }
        double[] all = new double[n];
        for (Losses l : out) System.arraycopy(l.losses, 0, all, l.lo, l.losses.length);
        return RecTrainer.meanLoss(all);
    }

    @Override public void close() {
        dropShards();
    }
}
