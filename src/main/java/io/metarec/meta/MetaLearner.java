package io.metarec.meta;

import io.metarec.autograd.Autograd;
import io.metarec.autograd.GradMode;
import io.metarec.autograd.Gradient;
import io.metarec.autograd.RowSparse;
import io.metarec.autograd.ShapeOps;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Backend;
import io.metarec.backend.Backends;
import io.metarec.backend.Buffer;
import io.metarec.backend.Distribution;
import io.metarec.backend.MemoryScope;
import io.metarec.backend.Shapes;
import io.metarec.nn.Init;
import io.metarec.nn.Params;
import io.metarec.optim.Optimizer;
import io.metarec.util.EnginePool;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;

/**
 * The common machinery of the meta-learners over functional parameters.
 *
 * <p>The learner owns the meta-parameters: the model's θ plus its own (Meta-SGD's step sizes,
 * Meta-LSTM's optimizer network, LEO's encoder and decoder), all in one {@link Params}. A subclass
 * writes only its inner loop, {@link #adapt}: from θ and a support set to fast weights for the
 * adapted groups. {@link #metaStep} then differentiates the query loss at the fast weights with
 * respect to every meta-parameter and lets the outer optimizer update them; {@link #adaptTo} and
 * {@link #predict} are the evaluation path. θ is never written: adapting returns new Params.
 *
 * <p>A meta-batch runs its tasks in parallel on the engine pool (each task its own graph; gradients
 * summed over a fixed tree of task indices as the tasks finish, {@link GradientTree}, so results do
 * not depend on the thread count) or, when the subclass supports it, all tasks stacked into the
 * same kernels with per-task fast weights [T, …] (see {@link LearnerConfig.Execution}).
 *
 * @param <D> the raw data of a support or query set (what {@link MetaModel#embed} reads)
 */
public abstract class MetaLearner<D> {
    protected final MetaModel<D> model;
    protected final LearnerConfig config;
    private final Optimizer outer;
    private final List<String> modelNames;
    private final Set<String> adapted;
    private final boolean embedOnce;
    private Params meta;
    private long skippedTasks;
    private long metaSteps;
    /**
     * Whether meta-gradients keep a table read only through lookups as its touched rows
     * ({@link Autograd#gradients}); false: every gradient dense, as before them (the reference the
     * tests compare with, bitwise).
     */
    boolean rowSparse = true;

    protected MetaLearner(MetaModel<D> model, LearnerConfig config, Optimizer outer) {
        this.model = model;
        this.config = config;
        this.outer = outer != null ? outer : config.outerOptimizer().create(config.outerLr());
        Params theta = model.init(config.seed());
        this.modelNames = theta.names();
        // An unknown group name fails here, before any work.
        this.adapted = new LinkedHashSet<>(config.adaptedGroups().isEmpty() ? theta.names() : theta.select(config.adaptedGroups()).names());
        this.embedOnce = adapted.stream().noneMatch(n -> model.embeddingGroups().stream().anyMatch(g -> Params.inGroup(n, g)));
        this.meta = theta;
    }

    /** The learner's name as on the command line ("maml", "metasgd", …). */
    public abstract String name();

    /**
     * The inner loop: adapts the fast weights (initially θ's adapted parameters, or per-task copies
     * [T, …] of them for a stack) to the support set.
     *
     * @param meta     all meta-parameters (leaves requiring gradients during meta-training)
     * @param training true inside a meta-step (keep what the meta-gradient needs), false when evaluating
     * @param guard    report each step's losses and gradients to it (NaN/Inf detection)
     */
    protected abstract Adaptation adapt(Params meta, SupportSet support, Params fast, int steps, boolean training, Guard guard);

    /** Fast weights for the adapted parameters, and an optional extra meta-loss term (LEO's regularisers). */
    public record Adaptation(Params fast, Tensor regularizer) {
        public Adaptation(Params fast) {
            this(fast, null);
        }
    }

    /** The learner's own meta-parameters, initialised from θ's adapted part (empty for MAML). */
    protected Params initLearnerParams(Params adaptedTheta) {
        return Params.empty();
    }

    /** Whether {@link #adapt} handles stacked support sets. */
    protected boolean supportsBatched() {
        return true;
    }

    // ---- state --------------------------------------------------------------------------------

    /** Every meta-parameter: θ and the learner's own. */
    public synchronized Params metaParams() {
        if (meta.size() == modelNames.size()) {
            Params own = initLearnerParams(meta.filter(adapted::contains));
            for (String n : own.names())
                if (modelNames.contains(n)) throw new IllegalStateException(name() + ": learner parameter '" + n + "' clashes with a model parameter");
            meta = meta.with(own);
        }
        return meta;
    }

    /** θ: the model's parameters only. */
    public Params modelParams() {
        Params m = metaParams();
        return m.filter(modelNames::contains);
    }

    /** Replaces the meta-parameters (e.g. from a checkpoint); names and shapes must match. */
    public synchronized void load(Params values) {
        Params current = metaParams();
        for (String n : current.names()) {
            if (!values.contains(n)) throw new IllegalArgumentException(name() + ": checkpoint lacks parameter '" + n + "'");
            if (!java.util.Arrays.equals(values.get(n).shape(), current.get(n).shape()))
                throw new IllegalArgumentException(name() + ": parameter '" + n + "' has shape " + values.get(n).shapeString()
                        + " in the checkpoint but " + current.get(n).shapeString() + " here");
        }
        // Values from another backend (a host snapshot) are uploaded to this learner's; the learner
        // owns what it holds from now on (a device backend frees it when a later step replaces it).
        Backend be = backend();
        meta = values.filter(current::contains).map((n, t) ->
                t.backend() == be || (be.hostResident() && t.backend().hostResident()) ? t.detach() : t.to(be));
    }

    /**
     * Everything meta-training carries from one meta-step to the next: the meta-parameters, the
     * outer optimizer's state, the meta-step count (which keys a stochastic learner's noise) and
     * the count of skipped tasks. {@link #restore} of it into a new learner of the same
     * configuration continues training bitwise as this one would (a checkpoint, see
     * {@code rec.train.Checkpoint}).
     */
    public record TrainingState(Params meta, Optimizer.State optimizer, long metaSteps, long skippedTasks) {}

    /** The training state now; on a device backend a host copy (later steps free the device buffers). */
    public synchronized TrainingState trainingState() {
        Optimizer.State o = outer.state();
        Params opt = o.tensors();
        if (!backend().hostResident()) {
            Backend host = new io.metarec.backend.cpu.ScalarBackend();
            opt = opt.map((n, t) -> t.to(host));
        }
        return new TrainingState(snapshot(), new Optimizer.State(o.kind(), o.steps(), opt), metaSteps, skippedTasks);
    }

    /**
     * Continues from {@code s} (of {@link #trainingState}, possibly read back from a file): the
     * meta-parameters as {@link #load} takes them, the optimizer's tensors uploaded to this
     * learner's backend, the counters as they were.
     *
     * @throws IllegalArgumentException when the state does not fit this learner (names, shapes, optimizer kind)
     */
    public synchronized void restore(TrainingState s) {
        if (s.metaSteps() < 0 || s.skippedTasks() < 0)
            throw new IllegalArgumentException(name() + ": negative counters in the training state");
        Params current = metaParams();
        Params opt = s.optimizer().tensors();
        for (String key : opt.names()) {
            String param = key.substring(key.indexOf('.') + 1);
            if (!current.contains(param))
                throw new IllegalArgumentException(name() + ": optimizer state '" + key + "' is for no parameter of this learner");
            if (!java.util.Arrays.equals(opt.get(key).shape(), current.get(param).shape()))
                throw new IllegalArgumentException(name() + ": optimizer state '" + key + "' has shape " + opt.get(key).shapeString()
                        + " but the parameter has " + current.get(param).shapeString());
        }
        load(s.meta());
        Backend be = backend();
        Params uploaded = opt.map((n, t) -> t.backend() == be || (be.hostResident() && t.backend().hostResident()) ? t.detach() : t.to(be));
        outer.restore(new Optimizer.State(s.optimizer().kind(), s.optimizer().steps(), uploaded));
        metaSteps = s.metaSteps();
        skippedTasks = s.skippedTasks();
    }

    /** Names of the parameters adapted in the inner loop. */
    public Set<String> adaptedNames() { return Set.copyOf(adapted); }

    public LearnerConfig config() { return config; }

    public MetaModel<D> model() { return model; }

    /** Tasks skipped so far for a NaN/Inf (with nonFinite = SKIP). */
    public synchronized long skippedTasks() { return skippedTasks; }

    /** Meta-steps taken so far (with the seed and task index, it keys a stochastic learner's noise). */
    public synchronized long metaSteps() { return metaSteps; }

    /** Whether a meta-step stacks its tasks (resolving AUTO against the current backend). */
    public boolean batched() {
        return switch (config.execution()) {
            case PER_TASK -> false;
            case BATCHED -> {
                if (!supportsBatched()) throw new IllegalArgumentException(name() + " does not support batched execution; use PER_TASK");
                if (!embedOnce) throw new IllegalArgumentException(name() + ": batched execution needs the embedding groups "
                        + model.embeddingGroups() + " frozen in the inner loop; use PER_TASK to adapt them");
                yield true;
            }
            case AUTO -> supportsBatched() && embedOnce && !backend().hostResident();
        };
    }

    // ---- meta-training ------------------------------------------------------------------------

    /** The outcome of one meta-step: mean query loss over the tasks used, and how many were skipped. */
    public record StepResult(double loss, int tasks, int skipped) {}

    /** One meta-step: adapt to each task, differentiate the mean query loss, update the meta-parameters. */
    public StepResult metaStep(List<Task<D>> tasks) {
        Backend be = backend();
        // Everything a step allocates on this thread dies with the step; the updated parameters come
        // from the optimizer unscoped, and the ones they replace are released (device memory stays flat).
        try (MemoryScope step = be.openScope()) {
            Mean mg = meanGradient(tasks, 0);
            apply(mg.grads());
            return mg.result();
        }
    }

    /**
     * The outer update of one meta-step with a meta-gradient computed elsewhere (e.g. summed over
     * machines, {@code io.metarec.spark}): the outer optimizer's step on {@code grads} (the dense
     * mean over the meta-batch's tasks used, named as {@link #metaParams}; null when every task was
     * skipped: no update), and the meta-step count advances. {@link #metaStep} is the same update
     * of its own mean gradient.
     */
    public void applyMetaGradient(Params grads) {
        if (grads == null) {
            apply(null);
            return;
        }
        Map<String, Gradient> dense = new LinkedHashMap<>();
        grads.asMap().forEach((n, t) -> dense.put(n, new Gradient.Dense(t)));
        apply(dense);
    }

    private void apply(Map<String, Gradient> grads) {
        Backend be = backend();
        try (MemoryScope update = be.openScope()) {
            synchronized (this) {
                if (grads != null) {
                    Params old = meta;
                    meta = outer.step(meta, grads);
                    for (String n : old.names())
                        if (old.get(n).buffer() != meta.get(n).buffer()) be.release(old.get(n).buffer());
                }
                metaSteps++;
            }
        }
    }

    /**
     * A copy of the meta-parameters that stays valid whatever later steps do: the parameters
     * themselves on the CPU (immutable heap arrays), a host copy on a device backend, whose
     * superseded buffers each meta-step frees. Give it back with {@link #load}.
     */
    public Params snapshot() {
        Params m = metaParams();
        if (backend().hostResident()) return m;
        Backend host = Backends.host();
        return m.map((n, t) -> t.to(host));
    }

    /** The backend the meta-parameters live on. */
    public Backend backend() {
        return metaParams().tensors().get(0).backend();
    }

    /** The mean query loss and the meta-gradient (mean over the tasks used); grads is null if all were skipped. */
    public record MetaGradient(StepResult result, Params grads) {}

    /** The meta-gradient of a meta-batch at the current meta-parameters, without updating them (dense). */
    public MetaGradient metaGradient(List<Task<D>> tasks) {
        return metaGradient(tasks, 0);
    }

    /**
     * The same for tasks that are positions {@code firstIndex}, {@code firstIndex + 1}, … of a
     * larger meta-batch (a share of it computed on another machine): a task's index keys a
     * stochastic learner's noise, so each task gets the draw it gets in the whole batch.
     */
    public MetaGradient metaGradient(List<Task<D>> tasks, int firstIndex) {
        Mean m = meanGradient(tasks, firstIndex);
        if (m.grads() == null) return new MetaGradient(m.result(), null);
        Map<String, Tensor> dense = new LinkedHashMap<>();
        m.grads().forEach((n, g) -> dense.put(n, g.toDense()));
        return new MetaGradient(m.result(), Params.of(dense));
    }

    /**
     * The mean meta-gradient by parameter name, the embedding tables' as touched rows where the
     * tasks read them only through lookups ({@link RowSparse}); grads is null if all were skipped.
     */
    private record Mean(StepResult result, Map<String, Gradient> grads) {}

    private Mean meanGradient(List<Task<D>> tasks, int firstIndex) {
        if (firstIndex < 0) throw new IllegalArgumentException(name() + ": a task index must be ≥ 0, got " + firstIndex);
        if (tasks.isEmpty()) throw new IllegalArgumentException(name() + ": a meta-batch needs at least one task");
        for (int i = 0; i < tasks.size(); i++) {
            checkNotEmpty(tasks.get(i).support(), "task " + i + ": the support set");
            checkNotEmpty(tasks.get(i).query(), "task " + i + ": the query set");
        }
        Params leaves = metaParams().requiringGrad();
        List<Buffer> workerBuffers = new ArrayList<>();
        Contribution c = batched() ? runStacked(leaves, tasks, firstIndex) : runPerTask(leaves, tasks, firstIndex, workerBuffers);
        synchronized (this) {
            skippedTasks += c.skipped;
        }
        Map<String, Gradient> mean = null;
        if (c.used > 0) {
            mean = new LinkedHashMap<>();
            for (var e : c.gradSum.entrySet()) mean.put(e.getKey(), e.getValue().scale(1f / c.used));
        }
        // The sum the workers built is averaged now: free it (unless the mean is that buffer itself).
        java.util.Set<Buffer> result = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        if (mean != null) for (Gradient g : mean.values()) result.add(GradientTree.buffer(g));
        Backend be = backend();
        for (Buffer b : workerBuffers) if (!result.contains(b)) be.release(b);
        if (c.used == 0) return new Mean(new StepResult(Double.NaN, 0, c.skipped), null);
        return new Mean(new StepResult(c.lossSum / c.used, c.used, c.skipped), mean);
    }

    /**
     * Summed meta-gradients (by parameter name, dense or {@link RowSparse}) and query losses of the
     * tasks used; gradSum is null when none was.
     */
    protected record Contribution(Map<String, Gradient> gradSum, double lossSum, int used, int skipped) {
        /** From dense gradients. */
        protected Contribution(Params gradSum, double lossSum, int used, int skipped) {
            this(dense(gradSum), lossSum, used, skipped);
        }

        private static Map<String, Gradient> dense(Params p) {
            if (p == null) return null;
            Map<String, Gradient> m = new LinkedHashMap<>();
            p.asMap().forEach((n, t) -> m.put(n, new Gradient.Dense(t)));
            return m;
        }

        /** No task used, {@code skipped} skipped. */
        protected static Contribution none(int skipped) {
            return new Contribution((Map<String, Gradient>) null, 0, 0, skipped);
        }

        /** From gradients in the order of {@code names}. */
        protected static Map<String, Gradient> of(List<String> names, List<Gradient> grads) {
            Map<String, Gradient> m = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) m.put(names.get(i), grads.get(i));
            return m;
        }
    }

    /** Gradient of one task's query loss (plus regulariser) with respect to all meta-parameters. */
    protected Contribution taskContribution(Params leaves, Task<D> task, int index) {
        Guard guard = new Guard(name(), new int[] {index});
        SupportSet s = supportSet(leaves, task.support(), index, true);
        Adaptation a = adapt(leaves, s, leaves.filter(adapted::contains), config.innerSteps(), true, guard);
        Params full = leaves.with(a.fast());
        Batch q = model.embed(embedOnce ? leaves : full, task.query());
        Tensor lq = model.loss().perTask(model.head(full, q.features()), q.targets(), q.mask());
        guard.checkQuery(lq);
        Tensor total = a.regularizer() == null ? lq : lq.add(a.regularizer().sum());
        List<Gradient> g = metaGradients(total, leaves);
        guard.checkMetaGradientsOf(g);
        return new Contribution(Contribution.of(leaves.names(), g), lq.item(), 1, 0);
    }

    /** The same for a stack of tasks sharing kernels; returns summed (not averaged) gradients. */
    protected Contribution stackedContribution(Params leaves, List<Task<D>> tasks, int[] indices) {
        Guard guard = new Guard(name(), indices);
        List<D> sup = new ArrayList<>(), qry = new ArrayList<>();
        for (Task<D> t : tasks) {
            sup.add(t.support());
            qry.add(t.query());
        }
        SupportSet s = stackedSupportSet(leaves, sup, indices, true);
        int T = tasks.size();
        Params fast0 = leaves.filter(adapted::contains).map((n, p) -> perTask(p, T));
        Adaptation a = adapt(leaves, s, fast0, config.innerSteps(), true, guard);
        Batch q = model.embedStack(leaves, qry);
        Tensor per = model.loss().perTask(model.head(leaves.with(a.fast()), q.features()), q.targets(), q.mask());
        guard.checkQuery(per);
        Tensor total = per.sum();
        if (a.regularizer() != null) total = total.add(a.regularizer().sum());
        List<Gradient> g = metaGradients(total, leaves);
        guard.checkMetaGradientsOf(g);
        double loss = 0;
        for (float v : per.toArray()) loss += v;
        return new Contribution(Contribution.of(leaves.names(), g), loss, T, 0);
    }

    /** d total / d leaves as constants, row-sparse where they can be (see {@link #rowSparse}). */
    protected final List<Gradient> metaGradients(Tensor total, Params leaves) {
        if (rowSparse) return Autograd.gradients(total, leaves.tensors());
        return Autograd.grad(total, leaves.tensors(), false).stream().<Gradient>map(Gradient.Dense::new).toList();
    }

    /** T copies of a parameter, [T, …shape] (their gradients sum back into the parameter). */
    protected static Tensor perTask(Tensor p, int tasks) {
        int[] s = p.shape(), lifted = new int[s.length + 1], target = new int[s.length + 1];
        lifted[0] = 1;
        target[0] = tasks;
        System.arraycopy(s, 0, lifted, 1, s.length);
        System.arraycopy(s, 0, target, 1, s.length);
        return p.reshape(lifted).expand(target);
    }

    /**
     * Runs the tasks on the engine pool, each worker adding its task's gradients into a
     * {@link GradientTree} as it finishes; {@code workerBuffers} receives the sum's buffers, which
     * belong to no memory scope (to free after use).
     */
    private Contribution runPerTask(Params leaves, List<Task<D>> tasks, int firstIndex, List<Buffer> workerBuffers) {
        Backend be = backend();
        List<String> names = leaves.names();
        GradientTree tree = new GradientTree(be, tasks.size());
        List<Callable<Void>> jobs = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) {
            final int index = i;
            jobs.add(() -> {
                GradientTree.Partial part;
                // Worker threads are outside the caller's memory scope: each task owns its own and
                // hands only its gradients on, to the tree, which frees them once added.
                try (MemoryScope task = be.openScope()) {
                    Contribution c = taskContribution(leaves, tasks.get(index), firstIndex + index);
                    if (c.gradSum() == null || c.used() == 0) part = new GradientTree.Partial(null, false, 0, 0, c.skipped());
                    else {
                        Gradient[] g = new Gradient[names.size()];
                        for (int k = 0; k < g.length; k++) task.keep(GradientTree.buffer(g[k] = c.gradSum().get(names.get(k))));
                        part = new GradientTree.Partial(g, false, c.lossSum(), c.used(), c.skipped());
                    }
                } catch (NonFiniteException e) {
                    if (config.nonFinite() != LearnerConfig.NonFinitePolicy.SKIP) throw e;
                    part = GradientTree.Partial.skip();
                }
                tree.add(index, part); // outside the task's scope: the sums it allocates outlive the task
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
                for (Future<Void> f : futures) join(f);
            }
        } catch (RuntimeException | Error e) {
            tree.releaseAll(); // every job has ended (invokeAll waits for all): nothing writes the tree now
            throw e;
        }
        GradientTree.Partial sum = tree.result();
        if (sum.used() == 0) return Contribution.none(sum.skipped());
        for (Gradient g : sum.grads()) workerBuffers.add(GradientTree.buffer(g));
        return new Contribution(Contribution.of(names, List.of(sum.grads())), sum.loss(), sum.used(), sum.skipped());
    }

    private Contribution runStacked(Params leaves, List<Task<D>> tasks, int firstIndex) {
        List<Task<D>> live = new ArrayList<>(tasks);
        List<Integer> index = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) index.add(firstIndex + i);
        int skipped = 0;
        while (!live.isEmpty()) {
            try {
                Contribution c = stackedContribution(leaves, live, index.stream().mapToInt(Integer::intValue).toArray());
                return new Contribution(c.gradSum, c.lossSum, c.used, skipped);
            } catch (NonFiniteException e) {
                if (config.nonFinite() != LearnerConfig.NonFinitePolicy.SKIP) throw e;
                int at = index.indexOf(e.task);
                live.remove(at);
                index.remove(at);
                skipped++;
            }
        }
        return Contribution.none(skipped);
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

    private static void join(Future<Void> f) {
        io.metarec.util.Futures.await(f, "during a meta-step");
    }

    // ---- evaluation ---------------------------------------------------------------------------

    /** θ adapted to one support set with the training number of inner steps. */
    public Params adaptTo(D support) {
        return adaptTo(support, config.innerSteps());
    }

    /**
     * θ adapted to one support set with {@code steps} inner steps: the model's parameters with the
     * adapted ones replaced, as constants. With 0 steps, what the learner emits before any support
     * gradient (θ itself for all but LEO, whose decoder reads the support set). Thread-safe.
     */
    public Params adaptTo(D support, int steps) {
        if (steps < 0) throw new IllegalArgumentException(name() + ": inner steps must be ≥ 0, got " + steps);
        Params m = metaParams();
        checkNotEmpty(support, "the support set");
        SupportSet s = supportSet(m, support, 0, false);
        Adaptation a = adapt(m, s, m.filter(adapted::contains).requiringGrad(), steps, false, new Guard(name(), new int[] {0}));
        return m.with(a.fast().detach()).filter(modelNames::contains);
    }

    /** The model's predictions for a set of examples under the given (e.g. adapted) parameters. */
    public Tensor predict(Params params, D data) {
        try (var off = GradMode.disabled()) {
            Batch b = model.embed(params, data);
            return model.head(params, b.features());
        }
    }

    /** The model's training loss on a set of examples under the given parameters. */
    public double loss(Params params, D data) {
        try (var off = GradMode.disabled()) {
            Batch b = model.embed(params, data);
            return model.loss().perTask(model.head(params, b.features()), b.targets(), b.mask()).item();
        }
    }

    // ---- helpers for subclasses ---------------------------------------------------------------

    /**
     * The support set of one task, embedded once when the embeddings do not adapt.
     *
     * @param index    the task's index in the meta-batch
     * @param training true inside a meta-step (the set then carries the meta-step count for noise)
     */
    protected SupportSet supportSet(Params base, D data, int index, boolean training) {
        Batch b = model.embed(base, data);
        return new SupportSet(model, base, b, embedOnce ? null : p -> model.embed(p, data), new int[] {index}, training ? metaSteps() : -1);
    }

    /** The support sets of several tasks stacked [T, Nmax, …] (the embeddings must not adapt). */
    protected SupportSet stackedSupportSet(Params base, List<D> data, int[] indices, boolean training) {
        return new SupportSet(model, base, model.embedStack(base, data), null, indices, training ? metaSteps() : -1);
    }

    /**
     * Standard normal noise [T, …shape] for the T tasks of a support set, a pure function of
     * (seed, meta-step, task index, what): the same whatever the thread count, and the same for a
     * task alone or inside a stack (Philox, see {@link io.metarec.backend.Philox}).
     */
    protected Tensor noise(SupportSet s, String what, int... shape) {
        int per = Shapes.size(shape);
        Backend be = s.batch().features().backend();
        List<Tensor> parts = new ArrayList<>(s.tasks());
        for (int t = 0; t < s.tasks(); t++) {
            Buffer buf = be.allocate(per);
            long stream = Init.stream(name() + "/" + what + "/" + s.metaStep() + "/" + s.taskIndex(t));
            be.random(Distribution.NORMAL, config.seed(), stream, 0f, 1f, buf);
            parts.add(Tensor.wrap(be, buf, 1, per));
        }
        int[] out = new int[shape.length + 1];
        out[0] = s.tasks();
        System.arraycopy(shape, 0, out, 1, shape.length);
        return ShapeOps.concat(parts, 0).reshape(out);
    }

    private void checkNotEmpty(D data, String what) {
        if (model.examples(data) == 0)
            throw new IllegalArgumentException(name() + ": " + what + " is empty (a task needs at least one support and one query example)");
    }

    /**
     * Plain gradient steps: fast ← fast − step(name, g) where g = ∂(support loss)/∂fast, with the
     * configured clipping; {@code createGraph} keeps g differentiable (second order).
     */
    protected final Params descend(SupportSet s, Params fast, int steps, boolean createGraph, Guard guard, Step step) {
        // Evaluating (adaptTo: serving, recommending) needs each step's gradient of the support loss
        // at the current fast weights and nothing else: no meta-gradient flows back through the
        // steps. The updates then run unrecorded and each step after the first starts from fresh
        // leaves, so a step's graph is only its own support loss and dies with it (the same kernels
        // in the same order: the values are bitwise those of the recorded path). The first step
        // keeps the closed-form fit's graph: its gradient for the fast weights the fit read (the
        // MLP's, through the residual) includes the path through the fit, as it always has.
        boolean evaluating = !createGraph && s.metaStep() < 0;
        fast = fast.with(fitInClosedForm(s, fast, steps));
        for (int k = 0; k < steps; k++) {
            Tensor per = s.perTaskLoss(fast);
            guard.checkLoss(per, k);
            List<Tensor> g = Autograd.grad(per.rank() == 0 ? per : per.sum(), fast.tensors(), createGraph);
            guard.checkGradients(g, k, s.tasks() > 1 || per.rank() == 1);
            List<String> names = fast.names();
            List<Tensor> next = new ArrayList<>(names.size());
            try (var off = evaluating ? GradMode.disabled() : null) {
                g = InnerClip.apply(g, config.innerClipNorm(), config.innerClipValue(), per.rank() == 1);
                for (int i = 0; i < names.size(); i++) next.add(fast.get(names.get(i)).sub(step.delta(names.get(i), k, g.get(i))));
            }
            fast = Params.of(names, next);
            if (evaluating) fast = fast.requiringGrad();
        }
        return fast;
    }

    /**
     * What the model fits to the support in closed form ({@link MetaModel#fitInClosedForm}), where
     * the inner loop's steps then start. With 0 steps the learner does not adapt, so nothing is fitted.
     */
    protected final Params fitInClosedForm(SupportSet s, Params fast, int steps) {
        return steps == 0 ? Params.empty() : model.fitInClosedForm(s.base(), s.batch(), fast);
    }

    /** The amount inner step {@code step} (0, 1, …) subtracts from a parameter, given its name and gradient. */
    @FunctionalInterface
    protected interface Step {
        Tensor delta(String name, int step, Tensor grad);
    }
}
