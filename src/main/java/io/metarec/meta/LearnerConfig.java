package io.metarec.meta;

import io.metarec.optim.OuterOptimizer;

import java.util.List;

/**
 * Hyper-parameters shared by the meta-learners. Validated on construction, so a bad value fails
 * before any work with a message naming it.
 *
 * @param innerSteps     gradient steps on the support set per task during meta-training (≥ 1)
 * @param innerLr        inner-loop learning rate α (&gt; 0; Meta-SGD's initial per-element rate)
 * @param adaptedGroups  parameter groups that adapt in the inner loop (empty = all model parameters)
 * @param order          SECOND_ORDER or FIRST_ORDER meta-gradients (MAML, Meta-SGD, Meta-LSTM)
 * @param innerClipNorm  clip each task's inner gradient to this global L2 norm (0 = off)
 * @param innerClipValue clip each inner gradient element to ±this (0 = off)
 * @param execution      how a meta-batch runs: one thread per task, or all tasks stacked in the same kernels
 * @param nonFinite      what a NaN/Inf in a task does: FAIL (error naming learner, task, step) or SKIP (counted)
 * @param outerLr        learning rate of the outer optimizer
 * @param seed           initialisation seed (model and learner parameters)
 * @param outerOptimizer the outer optimizer when the learner is given none: exact Adam (default) or lazy Adam
 * @param stackSize      with batched execution, the most tasks one stack holds (≥ 0; 0 = {@link #AUTO_STACK}): a
 *                       meta-batch is cut into equal stacks that run in parallel on the engine pool. The cut
 *                       depends on the meta-batch alone, never on the thread count, so neither do the results
 */
public record LearnerConfig(int innerSteps, float innerLr, List<String> adaptedGroups, Order order,
                            float innerClipNorm, float innerClipValue, Execution execution,
                            NonFinitePolicy nonFinite, float outerLr, long seed, OuterOptimizer outerOptimizer, int stackSize) {

    /**
     * {@link #stackSize}'s default: stacks of at most {@value #HOST_STACK} tasks on a
     * {@linkplain io.metarec.backend.Backend#hostResident host-resident} backend, fewer where the tasks
     * are large ({@link #hostStack}), the whole meta-batch as one stack on a device. On the CPU a
     * stack's kernels are already large at a few tasks (its products fold the tasks' rows), and
     * several stacks keep every worker busy from start to end,
     * where one stack can use a second thread only inside its larger kernels: stacks of 8 ran MeLU's
     * (20, 1) and (100, 1) meta-steps 1.31× and 1.27× faster on two threads than one stack of 32,
     * level on one thread (JMH, three interleaved pairs, docs/benchmarks.md). Stacks of 4 instead of 8
     * (with recycled host scopes): (20, 1) 1.13× one thread / 1.08× two, (100, 1) 0.87× / 1.06×
     * (noisy: 0.84–1.06 one thread), and at (100, 5) a stack's tape (~10 MB a task) halves, so G1
     * no longer grows the heap for it: peak RSS 285 instead of 405–425 MiB, at 1.04–1.07× the speed
     * (without recycling, 369–384 instead of 433–454 MiB).
     * A device wants the fewest, largest kernels.
     */
    public static final int AUTO_STACK = 0;

    /** {@link #AUTO_STACK}'s most tasks per stack on a host-resident backend. */
    public static final int HOST_STACK = 4;

    /**
     * {@link #AUTO_STACK}'s most tape rows per stack on a host-resident backend, unless a stack of one
     * task has more: past it a stack's products are large already, so stacking gains no speed and
     * only multiplies the tape that is alive at once. MeLU at (support 100, 5 inner steps) has 3,660
     * per task: per task 8.9 vs stacks of four 8.0 steps per CPU-second, peak RSS 289 vs 414 MiB
     * (compare.sh, 2026-12-05); (100, 1) with 420 and (20, 5) with 780 keep stacks of four.
     */
    public static final int HOST_STACK_TAPE_ROWS = 4096;

    /**
     * {@link #AUTO_STACK}'s stack size on a host-resident backend for tasks of at most {@code support}
     * and {@code query} examples (−1: unknown) adapted in {@code innerSteps} steps: {@link #HOST_STACK},
     * fewer (at least one) where a task's tape rows, (k + 1) · ((k + 1) · support + query) — each
     * inner step's graph over the support, and the query's over all of them, kept for a second-order
     * meta-gradient — put a stack past {@link #HOST_STACK_TAPE_ROWS}. It depends on the tasks alone,
     * never on the thread count, so neither do the results.
     */
    public static int hostStack(int innerSteps, int support, int query) {
        if (support < 0 || query < 0) return HOST_STACK;
        long steps = innerSteps + 1L, rows = steps * (steps * support + query);
        return (int) Math.max(1, Math.min(HOST_STACK, HOST_STACK_TAPE_ROWS / Math.max(1, rows)));
    }

    /** With the automatic stack size. */
    public LearnerConfig(int innerSteps, float innerLr, List<String> adaptedGroups, Order order, float innerClipNorm, float innerClipValue,
                         Execution execution, NonFinitePolicy nonFinite, float outerLr, long seed, OuterOptimizer outerOptimizer) {
        this(innerSteps, innerLr, adaptedGroups, order, innerClipNorm, innerClipValue, execution, nonFinite, outerLr, seed, outerOptimizer, AUTO_STACK);
    }

    /** With exact Adam as the outer optimizer. */
    public LearnerConfig(int innerSteps, float innerLr, List<String> adaptedGroups, Order order, float innerClipNorm, float innerClipValue,
                         Execution execution, NonFinitePolicy nonFinite, float outerLr, long seed) {
        this(innerSteps, innerLr, adaptedGroups, order, innerClipNorm, innerClipValue, execution, nonFinite, outerLr, seed, OuterOptimizer.ADAM);
    }

    /** How the tasks of a meta-batch are executed. */
    public enum Execution {
        /** Tasks in parallel on the engine pool, each its own graph; gradients summed over a fixed tree of task indices (deterministic). */
        PER_TASK,
        /**
         * Tasks stacked ([T, N, …], padded and masked) with per-task fast weights: the same kernels for
         * all, in stacks of up to {@link #stackSize} tasks that run in parallel on the engine pool.
         */
        BATCHED,
        /**
         * BATCHED on a device backend (one not {@link io.metarec.backend.Backend#hostResident host-resident};
         * when the learner supports it and the embeddings stay frozen in the inner loop), PER_TASK on the CPU. On the CPU stacking wins for equal-sized tasks (JMH, MeLU
         * MAML, fixed support: 1.1–4.6× per task), but real supports are ragged (3–90 ratings) and a
         * stack pads every task to the longest: the synthetic demo's MAML trained 2.3× slower stacked
         * (55 s vs 24 s), so per task is the CPU default; choose BATCHED explicitly for uniform tasks.
         */
        AUTO;

        /** The mode spelled {@code s}: per-task, batched or auto, case-insensitive, {@code _} or {@code -} ({@code PER_TASK} too). */
        public static Execution parse(String s) {
            return io.metarec.util.EnumNames.parse(Execution.class, s, "execution mode");
        }

        /** The command-line spelling (per-task, batched, auto). */
        public String label() {
            return io.metarec.util.EnumNames.label(this);
        }
    }

    public enum NonFinitePolicy { FAIL, SKIP }

    public LearnerConfig {
        adaptedGroups = List.copyOf(adaptedGroups);
        if (innerSteps < 1) throw new IllegalArgumentException("inner steps must be at least 1, got " + innerSteps);
        if (!(innerLr > 0) || Float.isInfinite(innerLr)) throw new IllegalArgumentException("inner learning rate must be positive, got " + innerLr);
        if (!(outerLr > 0) || Float.isInfinite(outerLr)) throw new IllegalArgumentException("outer learning rate must be positive, got " + outerLr);
        if (!(innerClipNorm >= 0)) throw new IllegalArgumentException("inner clip norm must be ≥ 0 (0 = off), got " + innerClipNorm);
        if (!(innerClipValue >= 0)) throw new IllegalArgumentException("inner clip value must be ≥ 0 (0 = off), got " + innerClipValue);
        if (stackSize < 0) throw new IllegalArgumentException("stack size must be ≥ 0 (0 = automatic), got " + stackSize);
        if (order == null || execution == null || nonFinite == null || outerOptimizer == null)
            throw new IllegalArgumentException("order, execution, nonFinite and outerOptimizer must be set");
        for (String g : adaptedGroups)
            if (g == null || g.isBlank()) throw new IllegalArgumentException("adapted group names must be non-empty");
    }

    /** MAML's defaults (Finn et al. 2017, sinusoid): 1 step, α = 0.01, all parameters, second order, Adam 1e-3. */
    public static LearnerConfig defaults() {
        return new LearnerConfig(1, 0.01f, List.of(), Order.SECOND_ORDER, 0f, 0f, Execution.AUTO, NonFinitePolicy.FAIL, 1e-3f, 0L);
    }

    public LearnerConfig withInnerSteps(int v) { return new LearnerConfig(v, innerLr, adaptedGroups, order, innerClipNorm, innerClipValue, execution, nonFinite, outerLr, seed, outerOptimizer, stackSize); }
    public LearnerConfig withInnerLr(float v) { return new LearnerConfig(innerSteps, v, adaptedGroups, order, innerClipNorm, innerClipValue, execution, nonFinite, outerLr, seed, outerOptimizer, stackSize); }
    public LearnerConfig withAdaptedGroups(List<String> v) { return new LearnerConfig(innerSteps, innerLr, v, order, innerClipNorm, innerClipValue, execution, nonFinite, outerLr, seed, outerOptimizer, stackSize); }
    public LearnerConfig withOrder(Order v) { return new LearnerConfig(innerSteps, innerLr, adaptedGroups, v, innerClipNorm, innerClipValue, execution, nonFinite, outerLr, seed, outerOptimizer, stackSize); }
    public LearnerConfig withInnerClipNorm(float v) { return new LearnerConfig(innerSteps, innerLr, adaptedGroups, order, v, innerClipValue, execution, nonFinite, outerLr, seed, outerOptimizer, stackSize); }
    public LearnerConfig withInnerClipValue(float v) { return new LearnerConfig(innerSteps, innerLr, adaptedGroups, order, innerClipNorm, v, execution, nonFinite, outerLr, seed, outerOptimizer, stackSize); }
    public LearnerConfig withExecution(Execution v) { return new LearnerConfig(innerSteps, innerLr, adaptedGroups, order, innerClipNorm, innerClipValue, v, nonFinite, outerLr, seed, outerOptimizer, stackSize); }
    public LearnerConfig withNonFinite(NonFinitePolicy v) { return new LearnerConfig(innerSteps, innerLr, adaptedGroups, order, innerClipNorm, innerClipValue, execution, v, outerLr, seed, outerOptimizer, stackSize); }
    public LearnerConfig withOuterLr(float v) { return new LearnerConfig(innerSteps, innerLr, adaptedGroups, order, innerClipNorm, innerClipValue, execution, nonFinite, v, seed, outerOptimizer, stackSize); }
    public LearnerConfig withOuterOptimizer(OuterOptimizer v) { return new LearnerConfig(innerSteps, innerLr, adaptedGroups, order, innerClipNorm, innerClipValue, execution, nonFinite, outerLr, seed, v, stackSize); }
    public LearnerConfig withStackSize(int v) { return new LearnerConfig(innerSteps, innerLr, adaptedGroups, order, innerClipNorm, innerClipValue, execution, nonFinite, outerLr, seed, outerOptimizer, v); }
    public LearnerConfig withSeed(long v) { return new LearnerConfig(innerSteps, innerLr, adaptedGroups, order, innerClipNorm, innerClipValue, execution, nonFinite, outerLr, v, outerOptimizer, stackSize); }
}
