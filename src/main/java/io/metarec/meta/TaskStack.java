package io.metarec.meta;

import io.metarec.autograd.Tensor;
import io.metarec.nn.Params;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Tasks that go through one contribution together ({@link MetaLearner#contribution}): positions
 * {@code indices} of a meta-batch. Per-task execution runs each task as a stack of one; batched
 * execution cuts the meta-batch into stacks of up to {@link LearnerConfig#stackSize} tasks.
 *
 * <p>The layout is the one thing that differs. A {@linkplain #stacked stacked} stack's tensors carry a
 * leading task dimension [T, …] and share kernels: its support and query sets are padded and masked
 * ({@link MetaModel#embedStack}), its fast weights are per-task copies and its losses are [T]. An
 * unstacked one (always a single task) has no task dimension: its sets are embedded as they are
 * ({@link MetaModel#embed}), its losses are scalars, and its inner loop may adapt the embeddings.
 * The two layouts agree to rounding, not bitwise, so a per-task step keeps the unstacked one.
 */
public record TaskStack<D>(List<Task<D>> tasks, int[] indices, boolean stacked) {
    public TaskStack {
        tasks = List.copyOf(tasks);
        indices = indices.clone();
        if (tasks.isEmpty() || tasks.size() != indices.length)
            throw new IllegalArgumentException("task stack: " + tasks.size() + " tasks with " + indices.length + " indices");
        if (!stacked && tasks.size() != 1) throw new IllegalArgumentException("task stack: only a single task can go unstacked");
    }

    /** Task {@code index} of the meta-batch, alone (no task dimension). */
    public static <D> TaskStack<D> single(Task<D> task, int index) {
        return new TaskStack<>(List.of(task), new int[] {index}, false);
    }

    /** Tasks {@code first}, {@code first + 1}, … of the meta-batch stacked [T, …]. */
    public static <D> TaskStack<D> stack(List<Task<D>> tasks, int first) {
        int[] indices = new int[tasks.size()];
        for (int i = 0; i < indices.length; i++) indices[i] = first + i;
        return new TaskStack<>(tasks, indices, true);
    }

    /**
     * Tasks {@code first}, {@code first + 1}, … of the meta-batch cut into as few stacks of at most
     * {@code maxSize} tasks as there can be, in task order, their sizes within one of each other (so
     * that parallel stacks finish together): 32 tasks at most 12 a stack are stacks of 11, 11 and 10.
     */
    public static <D> List<TaskStack<D>> cut(List<Task<D>> tasks, int first, int maxSize) {
        if (maxSize < 1) throw new IllegalArgumentException("task stack: a stack holds at least one task, got " + maxSize);
        int n = tasks.size(), count = (n + maxSize - 1) / maxSize;
        List<TaskStack<D>> stacks = new ArrayList<>(count);
        for (int k = 0, from = 0; k < count; k++) {
            int to = from + n / count + (k < n % count ? 1 : 0);
            stacks.add(stack(tasks.subList(from, to), first + from));
            from = to;
        }
        return stacks;
    }

    /** The meta-batch index of each task (a copy). */
    @Override public int[] indices() { return indices.clone(); }

    /** T, the number of tasks. */
    public int size() { return tasks.size(); }

    /** The same stack without the task of meta-batch index {@code index} (one that failed), or null when it was the last. */
    TaskStack<D> without(int index) {
        int at = -1;
        for (int i = 0; i < indices.length && at < 0; i++) if (indices[i] == index) at = i;
        if (at < 0) throw new IllegalStateException("task stack: task " + index + " is not in " + Arrays.toString(indices));
        if (tasks.size() == 1) return null;
        List<Task<D>> rest = new ArrayList<>(tasks);
        rest.remove(at);
        int[] restIndices = new int[indices.length - 1];
        System.arraycopy(indices, 0, restIndices, 0, at);
        System.arraycopy(indices, at + 1, restIndices, at, restIndices.length - at);
        return new TaskStack<>(rest, restIndices, stacked);
    }

    /** A guard watching these tasks. */
    public Guard guard(String learner) {
        return new Guard(learner, indices);
    }

    /** The support sets' raw data, in order. */
    public List<D> supports() {
        return tasks.stream().map(Task::support).toList();
    }

    /** The query sets embedded with {@code params}: [N, …] alone, [T, Nmax, …] stacked. */
    public Batch query(MetaModel<D> model, Params params) {
        return stacked ? model.embedStack(params, tasks.stream().map(Task::query).toList()) : model.embed(params, tasks.get(0).query());
    }

    /** Initial fast weights from θ's adapted part: θ itself alone, T copies [T, …] stacked (their gradients sum back into θ). */
    public Params lift(Params adapted) {
        return stacked ? adapted.map((n, p) -> perTask(p, tasks.size())) : adapted;
    }

    /** Per-task tensors summed over the tasks: [T, …] → […] stacked, as they are alone. */
    public Params sumOverTasks(Params perTask) {
        return stacked ? perTask.map((n, p) -> p.sum(0, false)) : perTask;
    }

    /** The loss to differentiate from per-task losses (a scalar alone, [T] stacked): their sum. */
    public static Tensor total(Tensor perTask) {
        return perTask.rank() == 0 ? perTask : perTask.sum();
    }

    /** The sum of per-task losses as a number (summed in task order, in double). */
    public static double lossSum(Tensor perTask) {
        if (perTask.rank() == 0) return perTask.item();
        double sum = 0;
        for (float v : perTask.toArray()) sum += v;
        return sum;
    }

    private static Tensor perTask(Tensor p, int tasks) {
        int[] s = p.shape(), lifted = new int[s.length + 1], target = new int[s.length + 1];
        lifted[0] = 1;
        target[0] = tasks;
        System.arraycopy(s, 0, lifted, 1, s.length);
        System.arraycopy(s, 0, target, 1, s.length);
        return p.reshape(lifted).expand(target);
    }
}
