package io.metarec.spark;

import io.metarec.backend.Backend;
import io.metarec.meta.MetaLearner;
import io.metarec.optim.Optimizer;
import io.metarec.rec.model.Examples;

import java.io.Serializable;

/**
 * What a meta-step broadcasts: the meta-parameters, the meta-step count (it keys a stochastic
 * learner's noise) and, for local steps, the outer optimizer's state.
 *
 * @param optimizer the optimizer's tensors (null: a fresh optimizer, enough for gradients)
 */
public record StepState(HostParams meta, long metaSteps, String optimizerKind, long optimizerSteps, HostParams optimizer) implements Serializable {

    /** The driver's learner now; with its optimizer state when {@code withOptimizer}. */
    public static StepState of(MetaLearner<Examples> learner, boolean withOptimizer) {
        MetaLearner.TrainingState s = learner.trainingState();
        Optimizer.State o = s.optimizer();
        return new StepState(HostParams.of(s.meta()), s.metaSteps(), o.kind(), o.steps(), withOptimizer ? HostParams.of(o.tensors()) : null);
    }

    /** Puts this state into {@code learner} (of the same configuration). */
    public void restoreInto(MetaLearner<Examples> learner) {
        Backend be = learner.backend();
        MetaLearner.TrainingState now = learner.trainingState();
        Optimizer.State o = optimizer == null ? now.optimizer() : new Optimizer.State(optimizerKind, optimizerSteps, optimizer.toParams(be));
        learner.restore(new MetaLearner.TrainingState(meta.toParams(be), o, metaSteps, 0));
    }
}
