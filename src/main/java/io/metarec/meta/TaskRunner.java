package io.metarec.meta;

import io.metarec.autograd.Gradient;
import io.metarec.autograd.RowSparse;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Backend;
import io.metarec.backend.Buffer;
import io.metarec.backend.MemoryScope;
import io.metarec.nn.Params;
import io.metarec.util.EnginePool;
import io.metarec.util.Futures;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;

/**
 * Runs a learner's meta-batches: cuts the tasks into {@link TaskStack}s (a stack of one per task,
 * or with batched execution stacks of up to {@link LearnerConfig#stackSize} tasks), runs every stack through the learner's
 * contribution on the engine pool, each in its own memory scope, and sums the stacks' gradients
 * over a fixed tree of stack indices as they finish ({@link GradientTree}), so results do not
 * depend on the thread count. A task whose loss or gradient is not finite is dropped from its
 * stack, which runs again without it (with {@code nonFinite = SKIP}; else the exception stands).
 * The mean of the sum is the meta-gradient; the {@link ParameterStore} applies it.
 */
final class TaskRunner<D> {
    private final MetaLearner<D> learner;
    private final ParameterStore store;

    TaskRunner(MetaLearner<D> learner, ParameterStore store) {
        this.learner = learner;
        this.store = store;
    }

    /** Whether a meta-step stacks its tasks (resolving AUTO against the current backend). */
    boolean batched() {
        String name = learner.name();
        return switch (learner.config.execution()) {
            case PER_TASK -> false;
            case BATCHED -> {
                if (!learner.supportsBatched()) throw new IllegalArgumentException(name + " does not support batched execution; use PER_TASK");
                if (!learner.embedOnce()) throw new IllegalArgumentException(name + ": batched execution needs the embedding groups "
                        + learner.model.embeddingGroups() + " frozen in the inner loop; use PER_TASK to adapt them");
                yield true;
            }
            case AUTO -> learner.supportsBatched() && learner.embedOnce() && !store.backend().hostResident();
        };
    }

    /** One meta-step: the mean meta-gradient of the tasks, applied by the store. */
    MetaLearner.StepResult metaStep(List<Task<D>> tasks) {
        // Everything a step allocates on this thread dies with the step; the updated parameters come
        // from the optimizer unscoped, and the ones they replace are released (device memory stays flat).
        try (MemoryScope step = store.backend().openScope()) {
            Mean mg = mean(tasks, 0);
            store.step(mg.grads());
            return mg.result();
        }
    }

    /** The dense meta-gradient of tasks {@code firstIndex}, … of a meta-batch, without updating anything. */
    MetaLearner.MetaGradient metaGradient(List<Task<D>> tasks, int firstIndex) {
        Mean m = mean(tasks, firstIndex);
        if (m.grads() == null) return new MetaLearner.MetaGradient(m.result(), null);
        Map<String, Tensor> dense = new LinkedHashMap<>();
        m.grads().forEach((n, g) -> dense.put(n, g.toDense()));
        return new MetaLearner.MetaGradient(m.result(), Params.of(dense));
    }

    /**
     * The mean meta-gradient by parameter name, the embedding tables' as touched rows where the
     * tasks read them only through lookups ({@link RowSparse}); grads is null if all were skipped.
     */
    record Mean(MetaLearner.StepResult result, Map<String, Gradient> grads) {}

    Mean mean(List<Task<D>> tasks, int firstIndex) {
        String name = learner.name();
        if (firstIndex < 0) throw new IllegalArgumentException(name + ": a task index must be ≥ 0, got " + firstIndex);
        if (tasks.isEmpty()) throw new IllegalArgumentException(name + ": a meta-batch needs at least one task");
        for (int i = 0; i < tasks.size(); i++) {
            learner.checkNotEmpty(tasks.get(i).support(), "task " + i + ": the support set");
            learner.checkNotEmpty(tasks.get(i).query(), "task " + i + ": the query set");
        }
        List<TaskStack<D>> stacks = stacks(tasks, firstIndex);
        Params leaves = store.params().requiringGrad();
        GradientTree.Partial sum = run(leaves, stacks);
        store.countSkipped(sum.skipped());
        if (sum.used() == 0) return new Mean(new MetaLearner.StepResult(Double.NaN, 0, sum.skipped()), null);
        List<String> names = leaves.names();
        Map<String, Gradient> mean = new LinkedHashMap<>();
        for (int k = 0; k < names.size(); k++) mean.put(names.get(k), sum.grads()[k].scale(1f / sum.used()));
        // The sum the stacks built is averaged now: free it (unless the mean is that buffer itself).
        Set<Buffer> kept = Collections.newSetFromMap(new IdentityHashMap<>()), freed = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Gradient g : mean.values()) kept.add(GradientTree.buffer(g));
        Backend be = store.backend();
        for (Gradient g : sum.grads()) {
            Buffer b = GradientTree.buffer(g);
            if (!kept.contains(b) && freed.add(b)) be.release(b);
        }
        return new Mean(new MetaLearner.StepResult(sum.loss() / sum.used(), sum.used(), sum.skipped()), mean);
    }

    /** The meta-batch as stacks: one per task, or with batched execution {@link TaskStack#cut} into stacks of at most {@link #stackSize}. */
    List<TaskStack<D>> stacks(List<Task<D>> tasks, int firstIndex) {
        if (batched()) {
            int support = 0, query = 0;
            for (Task<D> t : tasks) {
                support = Math.max(support, learner.model.examples(t.support()));
                query = Math.max(query, learner.model.examples(t.query()));
            }
            return TaskStack.cut(tasks, firstIndex, stackSize(tasks.size(), support, query));
        }
        List<TaskStack<D>> stacks = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) stacks.add(TaskStack.single(tasks.get(i), firstIndex + i));
        return stacks;
    }

    /**
     * The most tasks a stack of an {@code n}-task meta-batch holds ({@link LearnerConfig#stackSize},
     * resolved), its largest support and query sets having {@code support} and {@code query} examples
     * (−1 where the model cannot tell).
     */
    int stackSize(int n, int support, int query) {
        int configured = learner.config.stackSize();
        if (configured != LearnerConfig.AUTO_STACK) return Math.min(n, configured);
        if (!store.backend().hostResident()) return n;
        return Math.min(n, LearnerConfig.hostStack(learner.config.innerSteps(), support, query));
    }

    /**
     * Runs the stacks on the engine pool (the caller's thread for one), each worker adding its
     * stack's gradients into a {@link GradientTree} as it finishes. The sum's buffers belong to no
     * memory scope (to free after use).
     */
    private GradientTree.Partial run(Params leaves, List<TaskStack<D>> stacks) {
        GradientTree tree = new GradientTree(store.backend(), stacks.size());
        List<Callable<Void>> jobs = new ArrayList<>();
        for (int i = 0; i < stacks.size(); i++) {
            final int index = i;
            jobs.add(() -> {
                GradientTree.Partial part = contribute(leaves, stacks.get(index));
                tree.add(index, part); // outside the stack's scope: the sums it allocates outlive the stack
                return null;
            });
        }
        try {
            if (jobs.size() == 1) call(jobs.get(0));
            else {
                List<Future<Void>> futures;
                try {
                    futures = EnginePool.pool().invokeAll(jobs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted during a meta-step", e);
                }
                for (Future<Void> f : futures) Futures.await(f, "during a meta-step");
            }
        } catch (RuntimeException | Error e) {
            tree.releaseAll(); // every job has ended (invokeAll waits for all): nothing writes the tree now
            throw e;
        }
        return tree.result();
    }

    /**
     * One stack's contribution as the tree takes it: its gradients kept out of the memory scope
     * the stack runs in (worker threads are outside the caller's; the tree frees them once added),
     * the tasks that were not finite left out and counted.
     */
    private GradientTree.Partial contribute(Params leaves, TaskStack<D> stack) {
        Backend be = store.backend();
        List<String> names = leaves.names();
        int skipped = 0;
        while (stack != null) {
            try (MemoryScope scope = be.openRepeatingScope()) { // one stack after another: the same allocations
                MetaLearner.Contribution c = learner.contribution(leaves, stack);
                if (c.gradSum() == null || c.used() == 0) return new GradientTree.Partial(null, false, 0, 0, skipped);
                Gradient[] g = new Gradient[names.size()];
                for (int k = 0; k < g.length; k++) scope.keep(GradientTree.buffer(g[k] = c.gradSum().get(names.get(k))));
                return new GradientTree.Partial(g, false, c.lossSum(), c.used(), skipped);
            } catch (NonFiniteException e) {
                if (learner.config.nonFinite() != LearnerConfig.NonFinitePolicy.SKIP) throw e;
                stack = stack.without(e.task);
                skipped++;
            }
        }
        return new GradientTree.Partial(null, false, 0, 0, skipped);
    }

    private static void call(Callable<Void> job) {
        try {
            job.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
