package io.metarec.meta;

import io.metarec.autograd.Autograd;
import io.metarec.autograd.GradMode;
import io.metarec.autograd.Gradient;
import io.metarec.autograd.RowSparse;
import io.metarec.autograd.ShapeOps;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Backend;
import io.metarec.backend.Buffer;
import io.metarec.backend.Distribution;
import io.metarec.backend.Shapes;
import io.metarec.nn.Init;
import io.metarec.nn.Params;
import io.metarec.optim.Optimizer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The base of the meta-learners over functional parameters. A subclass writes its inner loop,
 * {@link #adapt}: from the meta-parameters and a support set to fast weights for the adapted
 * groups; a learner whose meta-gradient is not the query loss's (Reptile, Pretrained) also writes
 * its {@link #contribution}. {@link #adaptTo} and {@link #predict} are the evaluation path; θ is
 * never written: adapting returns new Params.
 *
 * <p>Two collaborators do the rest, behind the public methods here: the {@link ParameterStore}
 * holds the meta-parameters (θ plus the learner's own: Meta-SGD's step sizes, Meta-LSTM's
 * optimizer network, LEO's encoder and decoder), the outer optimizer and the counters; the
 * {@link TaskRunner} runs a meta-batch as {@link TaskStack}s (a stack of one per task, or stacks of
 * up to {@link LearnerConfig#stackSize} tasks with {@link LearnerConfig.Execution batched} execution) through {@link #contribution} on
 * the engine pool and sums their gradients over a fixed tree, so results do not depend on the
 * thread count.
 *
 * @param <D> the raw data of a support or query set (what {@link MetaModel#embed} reads)
 */
public abstract class MetaLearner<D> {
    protected final MetaModel<D> model;
    protected final LearnerConfig config;
    private final List<String> modelNames;
    private final Set<String> adapted;
    private final boolean embedOnce;
    private final ParameterStore store;
    private final TaskRunner<D> runner;
    /**
     * Whether meta-gradients keep a table read only through lookups as its touched rows
     * ({@link Autograd#gradients}); false: every gradient dense, as before them (the reference the
     * tests compare with, bitwise).
     */
    boolean rowSparse = true;

    protected MetaLearner(MetaModel<D> model, LearnerConfig config, Optimizer outer) {
        this.model = model;
        this.config = config;
        Optimizer optimizer = outer != null ? outer : config.outerOptimizer().create(config.outerLr());
        Params theta = model.init(config.seed());
        this.modelNames = theta.names();
        // An unknown group name fails here, before any work.
        this.adapted = new LinkedHashSet<>(config.adaptedGroups().isEmpty() ? theta.names() : theta.select(config.adaptedGroups()).names());
        this.embedOnce = adapted.stream().noneMatch(n -> model.embeddingGroups().stream().anyMatch(g -> Params.inGroup(n, g)));
        this.store = new ParameterStore(this::name, theta, optimizer, t -> initLearnerParams(t.filter(adapted::contains)));
        this.runner = new TaskRunner<>(this, store);
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

    /**
     * What a stack of tasks adds to the meta-gradient (the one routine for a task alone and for a
     * stack; {@link TaskStack} holds what differs): the gradient of the summed query losses at the
     * adapted weights (plus the regulariser) with respect to every meta-parameter.
     *
     * @param leaves the meta-parameters as leaves requiring gradients
     */
    protected Contribution contribution(Params leaves, TaskStack<D> tasks) {
        Guard guard = tasks.guard(name());
        SupportSet s = supportSet(leaves, tasks, true);
        Adaptation a = adapt(leaves, s, tasks.lift(leaves.filter(adapted::contains)), config.innerSteps(), true, guard);
        Params full = leaves.with(a.fast());
        Batch q = tasks.query(model, embedOnce ? leaves : full);
        Tensor per = model.loss().perTask(model.head(full, q.features()), q.targets(), q.mask());
        guard.checkQuery(per);
        Tensor total = TaskStack.total(per);
        if (a.regularizer() != null) total = total.add(a.regularizer().sum());
        List<Gradient> g = metaGradients(total, leaves);
        guard.checkMetaGradientsOf(g);
        return new Contribution(Contribution.of(leaves.names(), g), TaskStack.lossSum(per), tasks.size());
    }

    /** Summed meta-gradients (by parameter name, dense or {@link RowSparse}) and query losses of {@code used} tasks. */
    protected record Contribution(Map<String, Gradient> gradSum, double lossSum, int used) {
        /** From dense gradients. */
        protected Contribution(Params gradSum, double lossSum, int used) {
            this(dense(gradSum), lossSum, used);
        }

        private static Map<String, Gradient> dense(Params p) {
            if (p == null) return null;
            Map<String, Gradient> m = new LinkedHashMap<>();
            p.asMap().forEach((n, t) -> m.put(n, new Gradient.Dense(t)));
            return m;
        }

        /** From gradients in the order of {@code names}. */
        protected static Map<String, Gradient> of(List<String> names, List<Gradient> grads) {
            Map<String, Gradient> m = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) m.put(names.get(i), grads.get(i));
            return m;
        }
    }

    /** d total / d leaves as constants, row-sparse where they can be (see {@link #rowSparse}). */
    protected final List<Gradient> metaGradients(Tensor total, Params leaves) {
        if (rowSparse) return Autograd.gradients(total, leaves.tensors());
        return Autograd.grad(total, leaves.tensors(), false).stream().<Gradient>map(Gradient.Dense::new).toList();
    }

    // ---- state (the parameter store) ----------------------------------------------------------

    /** Every meta-parameter: θ and the learner's own. */
    public Params metaParams() { return store.params(); }

    /** θ: the model's parameters only. */
    public Params modelParams() { return store.modelParams(); }

    /** Replaces the meta-parameters (e.g. from a checkpoint); names and shapes must match. */
    public void load(Params values) { store.load(values); }

    /**
     * A copy of the meta-parameters that stays valid whatever later steps do: the parameters
     * themselves on the CPU (immutable heap arrays), a host copy on a device backend, whose
     * superseded buffers each meta-step frees. Give it back with {@link #load}.
     */
    public Params snapshot() { return store.snapshot(); }

    /**
     * Everything meta-training carries from one meta-step to the next: the meta-parameters, the
     * outer optimizer's state, the meta-step count (which keys a stochastic learner's noise) and
     * the count of skipped tasks. {@link #restore} of it into a new learner of the same
     * configuration continues training bitwise as this one would (a checkpoint, see
     * {@code rec.train.Checkpoint}).
     */
    public record TrainingState(Params meta, Optimizer.State optimizer, long metaSteps, long skippedTasks) {}

    /** The training state now; on a device backend a host copy (later steps free the device buffers). */
    public TrainingState trainingState() { return store.state(); }

    /**
     * Continues from {@code s} (of {@link #trainingState}, possibly read back from a file): the
     * meta-parameters as {@link #load} takes them, the optimizer's tensors uploaded to this
     * learner's backend, the counters as they were.
     *
     * @throws IllegalArgumentException when the state does not fit this learner (names, shapes, optimizer kind)
     */
    public void restore(TrainingState s) { store.restore(s); }

    /** Tasks skipped so far for a NaN/Inf (with nonFinite = SKIP). */
    public long skippedTasks() { return store.skippedTasks(); }

    /** Meta-steps taken so far (with the seed and task index, it keys a stochastic learner's noise). */
    public long metaSteps() { return store.metaSteps(); }

    /** The backend the meta-parameters live on. */
    public Backend backend() { return store.backend(); }

    /** Names of the parameters adapted in the inner loop. */
    public Set<String> adaptedNames() { return Set.copyOf(adapted); }

    /** Whether the embeddings stay fixed in the inner loop (a task's sets are then embedded once). */
    boolean embedOnce() { return embedOnce; }

    public LearnerConfig config() { return config; }

    public MetaModel<D> model() { return model; }

    // ---- meta-training (the task runner) ------------------------------------------------------

    /** Whether a meta-step stacks its tasks (resolving AUTO against the current backend). */
    public boolean batched() { return runner.batched(); }

    /**
     * The most tasks one stack of a meta-batch of {@code n} holds (1 unless {@link #batched}), when its
     * largest support and query sets have {@code support} and {@code query} examples.
     */
    public int stackSize(int n, int support, int query) { return runner.batched() ? runner.stackSize(n, support, query) : 1; }

    /** The outcome of one meta-step: mean query loss over the tasks used, and how many were skipped. */
    public record StepResult(double loss, int tasks, int skipped) {}

    /** One meta-step: adapt to each task, differentiate the mean query loss, update the meta-parameters. */
    public StepResult metaStep(List<Task<D>> tasks) { return runner.metaStep(tasks); }

    /**
     * The outer update of one meta-step with a meta-gradient computed elsewhere (e.g. summed over
     * machines, {@code io.metarec.spark}): the outer optimizer's step on {@code grads} (the dense
     * mean over the meta-batch's tasks used, named as {@link #metaParams}; null when every task was
     * skipped: no update), and the meta-step count advances. {@link #metaStep} is the same update
     * of its own mean gradient.
     */
    public void applyMetaGradient(Params grads) { store.stepDense(grads); }

    /** The mean query loss and the meta-gradient (mean over the tasks used); grads is null if all were skipped. */
    public record MetaGradient(StepResult result, Params grads) {}

    /** The meta-gradient of a meta-batch at the current meta-parameters, without updating them (dense). */
    public MetaGradient metaGradient(List<Task<D>> tasks) { return runner.metaGradient(tasks, 0); }

    /**
     * The same for tasks that are positions {@code firstIndex}, {@code firstIndex + 1}, … of a
     * larger meta-batch (a share of it computed on another machine): a task's index keys a
     * stochastic learner's noise, so each task gets the draw it gets in the whole batch.
     */
    public MetaGradient metaGradient(List<Task<D>> tasks, int firstIndex) { return runner.metaGradient(tasks, firstIndex); }

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
        SupportSet s = supportSet(m, support, 0, -1);
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
     * The support sets of a task stack, embedded with {@code base}: stacked [T, Nmax, …] (the
     * embeddings must not adapt), or a task alone, embedded once unless the embeddings adapt.
     *
     * @param training true inside a meta-step (the set then carries the meta-step count for noise)
     */
    protected SupportSet supportSet(Params base, TaskStack<D> tasks, boolean training) {
        long metaStep = training ? metaSteps() : -1;
        if (tasks.stacked()) return new SupportSet(model, base, model.embedStack(base, tasks.supports()), null, tasks.indices(), metaStep);
        return supportSet(base, tasks.supports().get(0), tasks.indices()[0], metaStep);
    }

    private SupportSet supportSet(Params base, D data, int index, long metaStep) {
        Batch b = model.embed(base, data);
        return new SupportSet(model, base, b, embedOnce ? null : p -> model.embed(p, data), new int[] {index}, metaStep);
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

    void checkNotEmpty(D data, String what) {
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
