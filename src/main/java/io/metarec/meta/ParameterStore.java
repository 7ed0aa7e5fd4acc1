package io.metarec.meta;

import io.metarec.autograd.Gradient;
import io.metarec.backend.Backend;
import io.metarec.backend.Backends;
import io.metarec.backend.MemoryScope;
import io.metarec.nn.Params;
import io.metarec.optim.Optimizer;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * A learner's meta-parameters and what updates them: θ and the learner's own parameters in one
 * {@link Params}, the outer optimizer and its state, and the meta-step and skipped-task counters.
 * Everything meta-training carries from one meta-step to the next lives here, so a
 * {@link MetaLearner.TrainingState} is this store's state. Thread-safe (one lock, the store's).
 */
final class ParameterStore {
    private final Supplier<String> learner;
    private final Optimizer outer;
    private final List<String> modelNames;
    private final UnaryOperator<Params> learnerParams;
    private boolean initialised;
    private Params meta;
    private long metaSteps;
    private long skippedTasks;

    /**
     * @param learner       the learner's name, for messages
     * @param theta         the model's initial parameters
     * @param learnerParams θ ↦ the learner's own initial parameters, called on first use (after the
     *                      learner's constructor has run)
     */
    ParameterStore(Supplier<String> learner, Params theta, Optimizer outer, UnaryOperator<Params> learnerParams) {
        this.learner = learner;
        this.outer = outer;
        this.modelNames = theta.names();
        this.learnerParams = learnerParams;
        this.meta = theta;
    }

    /** Every meta-parameter: θ and the learner's own. */
    synchronized Params params() {
        if (!initialised) {
            Params own = learnerParams.apply(meta);
            for (String n : own.names())
                if (modelNames.contains(n)) throw new IllegalStateException(learner.get() + ": learner parameter '" + n + "' clashes with a model parameter");
            meta = meta.with(own);
            initialised = true;
        }
        return meta;
    }

    /** θ: the model's parameters only. */
    Params modelParams() {
        return params().filter(modelNames::contains);
    }

    /** The backend the meta-parameters live on. */
    Backend backend() {
        return params().tensors().get(0).backend();
    }

    synchronized long metaSteps() { return metaSteps; }

    synchronized long skippedTasks() { return skippedTasks; }

    synchronized void countSkipped(int tasks) {
        skippedTasks += tasks;
    }

    /** Replaces the meta-parameters (e.g. from a checkpoint); names and shapes must match. */
    synchronized void load(Params values) {
        Params current = params();
        for (String n : current.names()) {
            if (!values.contains(n)) throw new IllegalArgumentException(learner.get() + ": checkpoint lacks parameter '" + n + "'");
            if (!Arrays.equals(values.get(n).shape(), current.get(n).shape()))
                throw new IllegalArgumentException(learner.get() + ": parameter '" + n + "' has shape " + values.get(n).shapeString()
                        + " in the checkpoint but " + current.get(n).shapeString() + " here");
        }
        // Values from another backend (a host snapshot) are uploaded to this learner's; the store
        // owns what it holds from now on (a device backend frees it when a later step replaces it).
        meta = onThisBackend(values.filter(current::contains));
    }

    /**
     * A copy of the meta-parameters that stays valid whatever later steps do: the parameters
     * themselves on the CPU (immutable heap arrays), a host copy on a device backend, whose
     * superseded buffers each meta-step frees.
     */
    Params snapshot() {
        Params m = params();
        return backend().hostResident() ? m : toHost(m);
    }

    /** The training state now; on a device backend a host copy (later steps free the device buffers). */
    synchronized MetaLearner.TrainingState state() {
        Optimizer.State o = outer.state();
        Params opt = backend().hostResident() ? o.tensors() : toHost(o.tensors());
        return new MetaLearner.TrainingState(snapshot(), new Optimizer.State(o.kind(), o.steps(), opt), metaSteps, skippedTasks);
    }

    /** Continues from {@code s}: see {@link MetaLearner#restore}. */
    synchronized void restore(MetaLearner.TrainingState s) {
        if (s.metaSteps() < 0 || s.skippedTasks() < 0)
            throw new IllegalArgumentException(learner.get() + ": negative counters in the training state");
        Params current = params();
        Params opt = s.optimizer().tensors();
        for (String key : opt.names()) {
            String param = key.substring(key.indexOf('.') + 1);
            if (!current.contains(param))
                throw new IllegalArgumentException(learner.get() + ": optimizer state '" + key + "' is for no parameter of this learner");
            if (!Arrays.equals(opt.get(key).shape(), current.get(param).shape()))
                throw new IllegalArgumentException(learner.get() + ": optimizer state '" + key + "' has shape " + opt.get(key).shapeString()
                        + " but the parameter has " + current.get(param).shapeString());
        }
        load(s.meta());
        outer.restore(new Optimizer.State(s.optimizer().kind(), s.optimizer().steps(), onThisBackend(opt)));
        metaSteps = s.metaSteps();
        skippedTasks = s.skippedTasks();
    }

    /**
     * The outer update: the optimizer's step on {@code grads} (the mean meta-gradient by parameter
     * name; null when every task was skipped: no update), releasing the parameters it supersedes;
     * the meta-step count advances either way.
     */
    void step(Map<String, Gradient> grads) {
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

    /** {@link #step} of dense gradients named as {@link #params} (null: no update). */
    void stepDense(Params grads) {
        if (grads == null) {
            step(null);
            return;
        }
        Map<String, Gradient> dense = new LinkedHashMap<>();
        grads.asMap().forEach((n, t) -> dense.put(n, new Gradient.Dense(t)));
        step(dense);
    }

    /** Tensors on this store's backend: as they are when they already live there (or both are host-resident), else uploaded. */
    private Params onThisBackend(Params p) {
        Backend be = backend();
        return p.map((n, t) -> t.backend() == be || (be.hostResident() && t.backend().hostResident()) ? t.detach() : t.to(be));
    }

    private static Params toHost(Params p) {
        Backend host = Backends.host();
        return p.map((n, t) -> t.to(host));
    }
}
