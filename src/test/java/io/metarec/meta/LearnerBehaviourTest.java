package io.metarec.meta;

import io.metarec.autograd.Autograd;
import io.metarec.autograd.Functional;
import io.metarec.autograd.Tensor;
import io.metarec.meta.Fixtures.Kind;
import io.metarec.nn.Params;
import io.metarec.util.EnginePool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;

import static io.metarec.meta.Fixtures.learner;
import static io.metarec.meta.Fixtures.norm;
import static io.metarec.meta.Fixtures.relativeError;
import static io.metarec.meta.Fixtures.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * learn2learn-style behaviour of every learner: adapting never writes θ, adapting lowers the support
 * loss, every meta-parameter that should learn is connected to the meta-loss, first order is the
 * query gradient at the adapted point, stacked execution and thread count change nothing, and a
 * NaN/Inf is reported with learner, task and step (or skipped and counted).
 */
class LearnerBehaviourTest {

    @ParameterizedTest
    @EnumSource(Kind.class)
    void adaptingAndMetaGradientsDoNotChangeTheMetaParameters(Kind kind) {
        MetaLearner<Batch> l = learner(kind);
        List<Task<Batch>> tasks = Fixtures.tasks(3, 1);
        List<float[]> before = values(l.metaParams());
        Params adapted = l.adaptTo(tasks.get(0).support(), 3);
        l.metaGradient(tasks);
        List<float[]> after = values(l.metaParams());
        assertEquals(before.size(), after.size());
        for (int i = 0; i < before.size(); i++) assertArrayEquals(before.get(i), after.get(i), kind + ": meta-parameter " + i + " changed");
        // …and adapting did produce different weights for the adapted parameters
        boolean moved = false;
        for (String n : l.adaptedNames())
            moved |= relativeError(adapted.get(n).toArray(), l.modelParams().get(n).toArray()) > 1e-6;
        assertTrue(moved, kind + ": adaptTo returned θ unchanged");
        assertEquals(l.modelParams().names(), adapted.names(), kind + ": adapted parameters are the model's");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void adaptingLowersTheSupportLoss(Kind kind) {
        MetaLearner<Batch> l = learner(kind);
        for (Task<Batch> t : Fixtures.tasks(4, 2)) {
            double start = l.loss(l.adaptTo(t.support(), 0), t.support());
            double end = l.loss(l.adaptTo(t.support(), 5), t.support());
            assertTrue(end < start, kind + ": support loss " + start + " → " + end + " after 5 steps");
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void everyMetaParameterGetsANonZeroMetaGradient(Kind kind) {
        MetaLearner<Batch> l = learner(kind);
        Params g = l.metaGradient(Fixtures.tasks(3, 3)).grads();
        assertEquals(l.metaParams().names(), g.names());
        for (String n : g.names())
            assertTrue(norm(g.get(n).toArray()) > 0, kind + ": meta-gradient of " + n + " is zero (not connected to the meta-loss)");
    }

    @Test
    void mamlAdaptingOnlyTheLastLayerStillTrainsTheOthersThroughTheQueryPass() {
        for (Order order : Order.values()) {
            MetaLearner<Batch> l = learner(Kind.MAML, c -> c.withAdaptedGroups(List.of("mlp.fc3")).withOrder(order));
            assertEquals(java.util.Set.of("mlp.fc3.weight", "mlp.fc3.bias"), l.adaptedNames());
            Params g = l.metaGradient(Fixtures.tasks(3, 4)).grads();
            for (String n : g.names()) assertTrue(norm(g.get(n).toArray()) > 0, order + ": zero meta-gradient for " + n);
        }
    }

    @Test
    void reptileAdaptingOnlyTheLastLayerGivesTheOthersTheQueryGradientAtTheAdaptedPoint() {
        MlpRegression m = Fixtures.smallMlp();
        for (LearnerConfig.Execution ex : List.of(LearnerConfig.Execution.PER_TASK, LearnerConfig.Execution.BATCHED)) {
            Reptile<Batch> r = Reptile.withEpsilon(m, Fixtures.config(Kind.REPTILE).withInnerSteps(2)
                    .withAdaptedGroups(List.of("mlp.fc3")).withExecution(ex), 0.1f);
            Task<Batch> t = Fixtures.tasks(1, 7).get(0);
            Params theta = r.modelParams();
            // φ: two SGD steps on the last layer only
            Params last = theta.select(List.of("mlp.fc3"));
            Params phi = last;
            for (int k = 0; k < 2; k++) {
                Params v = phi.requiringGrad();
                List<Tensor> g = Autograd.grad(Functional.mse(m.head(theta.with(v), t.support().features()), t.support().targets()), v.tensors(), false);
                List<Tensor> next = new ArrayList<>();
                for (int i = 0; i < g.size(); i++) next.add(phi.tensors().get(i).sub(g.get(i).mul(0.01f)).detach());
                phi = Params.of(phi.names(), next);
            }
            Params gq = queryGradient(m, theta.with(phi), t.query());
            Params got = r.metaGradient(List.of(t)).grads();
            for (String n : theta.names()) {
                float[] expected = last.contains(n) ? theta.get(n).sub(phi.get(n)).toArray() : gq.get(n).toArray();
                assertTrue(relativeError(got.get(n).toArray(), expected) < 1e-5, ex + ": Reptile meta-gradient of " + n);
                assertTrue(norm(got.get(n).toArray()) > 0, ex + ": zero meta-gradient for " + n);
            }
        }
    }

    /** θ − α∇L_s, k times, computed here with plain autograd (independent of the learners' loops). */
    static Params sgdSteps(MlpRegression m, Params theta, Batch support, float lr, int steps) {
        Params p = theta;
        for (int k = 0; k < steps; k++) {
            Params v = p.requiringGrad();
            List<Tensor> g = Autograd.grad(Functional.mse(m.head(v, support.features()), support.targets()), v.tensors(), false);
            List<Tensor> next = new ArrayList<>();
            for (int i = 0; i < g.size(); i++) next.add(p.tensors().get(i).sub(g.get(i).mul(lr)).detach());
            p = Params.of(p.names(), next);
        }
        return p;
    }

    static Params queryGradient(MlpRegression m, Params at, Batch query) {
        Params v = at.requiringGrad();
        return Params.of(v.names(), Autograd.grad(Functional.mse(m.head(v, query.features()), query.targets()), v.tensors(), false));
    }

    @Test
    void firstOrderMamlIsTheQueryGradientAtTheAdaptedPoint() {
        MlpRegression m = Fixtures.smallMlp();
        Maml<Batch> fo = new Maml<>(m, Fixtures.config(Kind.FOMAML).withInnerSteps(3));
        Task<Batch> t = Fixtures.tasks(1, 5).get(0);
        Params adapted = sgdSteps(m, fo.modelParams(), t.support(), 0.01f, 3);
        Params expected = queryGradient(m, adapted, t.query());
        Params got = fo.metaGradient(List.of(t)).grads();
        for (String n : expected.names())
            assertTrue(relativeError(got.get(n).toArray(), expected.get(n).toArray()) < 1e-5, "FOMAML gradient of " + n);
        // and second order is something else
        Params second = new Maml<>(m, Fixtures.config(Kind.MAML).withInnerSteps(3)).metaGradient(List.of(t)).grads();
        double diff = 0;
        for (String n : expected.names()) diff = Math.max(diff, relativeError(second.get(n).toArray(), expected.get(n).toArray()));
        assertTrue(diff > 1e-3, "second-order MAML equals first order (" + diff + ")");
    }

    @Test
    void firstOrderMetaSgdIsTheQueryGradientAtTheAdaptedPointAndItsRateGradientIsMinusGradientTimesQueryGradient() {
        MlpRegression m = Fixtures.smallMlp();
        MetaSgd<Batch> fo = new MetaSgd<>(m, Fixtures.config(Kind.METASGD).withInnerSteps(1).withOrder(Order.FIRST_ORDER));
        Task<Batch> t = Fixtures.tasks(1, 6).get(0);
        Params theta = fo.modelParams();
        Params adapted = sgdSteps(m, theta, t.support(), 0.01f, 1); // rates start at α = 0.01 everywhere
        Params gq = queryGradient(m, adapted, t.query());
        Params gs = queryGradient(m, theta, t.support()); // ∇L_s(θ)
        Params got = fo.metaGradient(List.of(t)).grads();
        for (String n : theta.names()) {
            assertTrue(relativeError(got.get(n).toArray(), gq.get(n).toArray()) < 1e-5, "θ gradient of " + n);
            Tensor expectedRate = gs.get(n).mul(gq.get(n)).neg(); // ∂L_q(θ − α⊙g)/∂α = −g ⊙ ∇L_q(θ')
            assertTrue(relativeError(got.get(MetaSgd.PREFIX + n).toArray(), expectedRate.toArray()) < 1e-5, "rate gradient of " + n);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Kind.class, names = {"PRETRAINED"}, mode = EnumSource.Mode.EXCLUDE)
    void stackedTasksGiveThePerTaskMetaGradient(Kind kind) {
        List<Task<Batch>> tasks = Fixtures.raggedTasks(5, 8);
        var perTask = learner(kind).metaGradient(tasks);
        var stacked = learner(kind, c -> c.withExecution(LearnerConfig.Execution.BATCHED)).metaGradient(tasks);
        assertEquals(perTask.result().loss(), stacked.result().loss(), 1e-5 * Math.max(1, Math.abs(perTask.result().loss())), kind + ": loss");
        for (String n : perTask.grads().names()) {
            double e = relativeError(stacked.grads().get(n).toArray(), perTask.grads().get(n).toArray());
            assertTrue(e < 2e-4, kind + ": stacked vs per-task meta-gradient of " + n + ": relative error " + e);
        }
    }

    /**
     * A meta-batch cut into several stacks (which run in parallel) gives one stack's meta-gradient to
     * rounding: every task keeps its meta-batch index (LEO's noise is keyed by it, so a wrong index
     * shows as a large difference, not rounding) and the stacks' sums add up to the whole.
     */
    @ParameterizedTest
    @EnumSource(value = Kind.class, names = {"PRETRAINED"}, mode = EnumSource.Mode.EXCLUDE)
    void anyStackSizeGivesTheOneStackMetaGradient(Kind kind) {
        List<Task<Batch>> tasks = Fixtures.raggedTasks(7, 8);
        var whole = learner(kind, c -> c.withExecution(LearnerConfig.Execution.BATCHED).withStackSize(7)).metaGradient(tasks);
        for (int size : new int[] {1, 3}) {
            var cut = learner(kind, c -> c.withExecution(LearnerConfig.Execution.BATCHED).withStackSize(size)).metaGradient(tasks);
            assertEquals(whole.result().loss(), cut.result().loss(), 1e-5 * Math.max(1, Math.abs(whole.result().loss())), kind + ", stacks of " + size + ": loss");
            for (String n : whole.grads().names()) {
                double e = relativeError(cut.grads().get(n).toArray(), whole.grads().get(n).toArray());
                assertTrue(e < 2e-4, kind + ", stacks of " + size + " vs one stack: meta-gradient of " + n + ": relative error " + e);
            }
        }
    }

    @Test
    void aMetaBatchIsCutIntoStacksOfEvenSizeInTaskOrder() {
        List<Task<Batch>> tasks = Fixtures.tasks(32, 3);
        List<TaskStack<Batch>> stacks = TaskStack.cut(tasks, 5, 12);
        assertEquals(List.of(11, 11, 10), stacks.stream().map(TaskStack::size).toList());
        int next = 0;
        for (TaskStack<Batch> s : stacks) {
            assertTrue(s.stacked());
            for (int i = 0; i < s.size(); i++, next++) {
                assertSame(tasks.get(next), s.tasks().get(i));
                assertEquals(5 + next, s.indices()[i], "meta-batch index of task " + next);
            }
        }
        assertEquals(32, next);
        assertEquals(List.of(8, 8, 8, 8), TaskStack.cut(tasks, 0, 8).stream().map(TaskStack::size).toList());
        assertEquals(List.of(32), TaskStack.cut(tasks, 0, 100).stream().map(TaskStack::size).toList());
        assertEquals(32, TaskStack.cut(tasks, 0, 1).size());
        assertThrows(IllegalArgumentException.class, () -> TaskStack.cut(tasks, 0, 0));
    }

    @Test
    void theAutomaticStackSizeOnTheCpuIsFourTasksUnlessTheirTapeIsLarge() {
        MetaLearner<Batch> auto = learner(Kind.MAML, c -> c.withExecution(LearnerConfig.Execution.BATCHED));
        assertEquals(4, LearnerConfig.HOST_STACK);
        assertEquals(LearnerConfig.HOST_STACK, auto.stackSize(32, 20, 10));
        assertEquals(3, auto.stackSize(3, 20, 10), "no more than the meta-batch");
        assertEquals(LearnerConfig.HOST_STACK, auto.stackSize(32, -1, -1), "a model that cannot count its examples");
        assertEquals(3, learner(Kind.MAML, c -> c.withExecution(LearnerConfig.Execution.BATCHED).withStackSize(3)).stackSize(32, 20, 10));
        assertEquals(32, learner(Kind.MAML, c -> c.withExecution(LearnerConfig.Execution.BATCHED).withStackSize(64)).stackSize(32, 20, 10));
        assertEquals(1, learner(Kind.MAML).stackSize(32, 20, 10), "per task: stacks of one");
        // MeLU's benchmark shapes: (support 20 | 100, 1 | 5 inner steps), query 10.
        assertEquals(4, LearnerConfig.hostStack(1, 20, 10));
        assertEquals(4, LearnerConfig.hostStack(5, 20, 10), "780 tape rows a task");
        assertEquals(4, LearnerConfig.hostStack(1, 100, 10), "420");
        assertEquals(1, LearnerConfig.hostStack(5, 100, 10), "3,660: a stack of one");
        assertEquals(2, LearnerConfig.hostStack(3, 100, 10), "1,640: two fit in the budget");
        assertEquals(1, LearnerConfig.hostStack(5, 100_000, 10), "never none");
        // A stack that an explicit size would cut differently is cut by the tasks' size, whatever the thread count.
        MetaLearner<Batch> config = learner(Kind.MAML, c -> c.withExecution(LearnerConfig.Execution.BATCHED).withInnerSteps(5));
        assertEquals(1, config.stackSize(32, 100, 10));
        assertEquals(4, config.stackSize(32, 10, 10));
        var e = assertThrows(IllegalArgumentException.class, () -> LearnerConfig.defaults().withStackSize(-1));
        assertTrue(e.getMessage().contains("stack size"), e.getMessage());
    }

    @Test
    void pretrainedRefusesBatchedExecutionClearly() {
        MetaLearner<Batch> l = learner(Kind.PRETRAINED, c -> c.withExecution(LearnerConfig.Execution.BATCHED));
        var e = assertThrows(IllegalArgumentException.class, () -> l.metaGradient(Fixtures.tasks(2, 9)));
        assertTrue(e.getMessage().contains("pretrained") && e.getMessage().contains("PER_TASK"), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void metaGradientsDoNotDependOnTheThreadCount(Kind kind) {
        int original = EnginePool.threads();
        List<Task<Batch>> tasks = Fixtures.raggedTasks(6, 10);
        try {
            EnginePool.setThreads(1);
            var one = learner(kind).metaGradient(tasks);
            EnginePool.setThreads(2);
            var two = learner(kind).metaGradient(tasks);
            assertEquals(one.result().loss(), two.result().loss(), 0.0, kind + ": loss");
            for (String n : one.grads().names())
                assertArrayEquals(one.grads().get(n).toArray(), two.grads().get(n).toArray(), kind + ": " + n + " differs between 1 and 2 threads");
        } finally {
            EnginePool.setThreads(original);
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aPoisonedSupportTargetStopsWithLearnerTaskAndStep(Kind kind) {
        for (float poison : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            for (LearnerConfig.Execution ex : kind.batches() ? LearnerConfig.Execution.values() : new LearnerConfig.Execution[] {LearnerConfig.Execution.PER_TASK}) {
                List<Task<Batch>> tasks = new ArrayList<>(Fixtures.tasks(4, 11));
                tasks.set(2, Fixtures.poisoned(tasks.get(2), true, poison));
                MetaLearner<Batch> l = learner(kind, c -> c.withExecution(ex));
                List<float[]> before = values(l.metaParams());
                NonFiniteException e = assertThrows(NonFiniteException.class, () -> l.metaStep(tasks), kind + " " + ex);
                assertEquals(l.name(), e.learner);
                assertEquals(2, e.task, e.getMessage());
                assertEquals(0, e.step, e.getMessage());
                assertTrue(e.getMessage().startsWith(l.name() + ": ") && e.getMessage().contains("task 2") && e.getMessage().contains("inner step 0"), e.getMessage());
                List<float[]> after = values(l.metaParams());
                for (int i = 0; i < before.size(); i++) assertArrayEquals(before.get(i), after.get(i), "θ changed by a failed step");
            }
        }
    }

    @Test
    void aPoisonedQueryTargetIsReportedOnTheQuerySet() {
        List<Task<Batch>> tasks = new ArrayList<>(Fixtures.tasks(3, 12));
        tasks.set(1, Fixtures.poisoned(tasks.get(1), false, Float.NaN));
        NonFiniteException e = assertThrows(NonFiniteException.class, () -> learner(Kind.MAML).metaStep(tasks));
        assertEquals(1, e.task);
        assertEquals(-1, e.step);
        assertTrue(e.getMessage().contains("query"), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void withSkipAPoisonedTaskIsSkippedAndCounted(Kind kind) {
        for (LearnerConfig.Execution ex : kind.batches() ? LearnerConfig.Execution.values() : new LearnerConfig.Execution[] {LearnerConfig.Execution.PER_TASK}) {
            List<Task<Batch>> tasks = new ArrayList<>(Fixtures.tasks(4, 13));
            tasks.set(1, Fixtures.poisoned(tasks.get(1), true, Float.NaN));
            MetaLearner<Batch> l = learner(kind, c -> c.withExecution(ex).withNonFinite(LearnerConfig.NonFinitePolicy.SKIP));
            MetaLearner.StepResult r = l.metaStep(tasks);
            assertEquals(3, r.tasks(), kind + " " + ex);
            assertEquals(1, r.skipped());
            assertEquals(1, l.skippedTasks());
            assertTrue(Double.isFinite(r.loss()));
            for (float[] v : values(l.metaParams()))
                for (float x : v) assertTrue(Float.isFinite(x), kind + ": non-finite meta-parameter after a skipped task");
            // the step equals one on the three clean tasks
            List<Task<Batch>> clean = List.of(tasks.get(0), tasks.get(2), tasks.get(3));
            MetaLearner<Batch> ref = learner(kind, c -> c.withExecution(ex));
            ref.metaStep(clean);
            if (kind != Kind.LEO && kind != Kind.LEO_FIRST_ORDER) // LEO's noise is keyed by the task's index in the meta-batch
                for (String n : l.metaParams().names())
                    assertTrue(relativeError(l.metaParams().get(n).toArray(), ref.metaParams().get(n).toArray()) < 1e-5, kind + ": " + n);
        }
    }

    @Test
    void allTasksSkippedLeavesTheParametersAlone() {
        List<Task<Batch>> tasks = List.of(Fixtures.poisoned(Fixtures.tasks(1, 14).get(0), true, Float.NaN));
        MetaLearner<Batch> l = learner(Kind.MAML, c -> c.withNonFinite(LearnerConfig.NonFinitePolicy.SKIP));
        List<float[]> before = values(l.metaParams());
        MetaLearner.StepResult r = l.metaStep(tasks);
        assertEquals(0, r.tasks());
        assertEquals(1, r.skipped());
        assertTrue(Double.isNaN(r.loss()));
        List<float[]> after = values(l.metaParams());
        for (int i = 0; i < before.size(); i++) assertArrayEquals(before.get(i), after.get(i));
    }

    @Test
    void secondAndFirstOrderMetaLstmDiffer() {
        List<Task<Batch>> tasks = Fixtures.tasks(2, 15);
        Params first = learner(Kind.METALSTM).metaGradient(tasks).grads();
        Params second = learner(Kind.METALSTM_SECOND_ORDER).metaGradient(tasks).grads();
        double diff = 0;
        for (String n : first.names()) diff = Math.max(diff, relativeError(second.get(n).toArray(), first.get(n).toArray()));
        assertTrue(diff > 1e-4, "second- and first-order Meta-LSTM meta-gradients agree (" + diff + ")");
    }

    @Test
    void leoNoiseIsSeededAndEvaluationUsesTheMeans() {
        List<Task<Batch>> tasks = Fixtures.tasks(3, 16);
        Params a = learner(Kind.LEO).metaGradient(tasks).grads();
        Params b = learner(Kind.LEO).metaGradient(tasks).grads();
        Params c = learner(Kind.LEO, cfg -> cfg.withSeed(8)).metaGradient(tasks).grads();
        boolean differs = false;
        for (String n : a.names()) {
            assertArrayEquals(a.get(n).toArray(), b.get(n).toArray(), n);
            differs |= relativeError(c.get(n).toArray(), a.get(n).toArray()) > 1e-6;
        }
        assertTrue(differs, "another seed gave the same meta-gradient");
        // evaluation is deterministic and does not depend on how many meta-steps were taken
        MetaLearner<Batch> l = learner(Kind.LEO);
        Params p1 = l.adaptTo(tasks.get(0).support(), 2);
        Params p2 = l.adaptTo(tasks.get(0).support(), 2);
        for (String n : p1.names()) assertArrayEquals(p1.get(n).toArray(), p2.get(n).toArray(), n);
        assertNotNull(l.metaStep(tasks));
        assertFalse(l.metaSteps() == 0);
    }
}
