package io.metarec.meta;

import io.metarec.autograd.Tensor;
import io.metarec.backend.ShapeException;
import io.metarec.meta.GoldenLearnerTest.FieldLookupModel;
import io.metarec.meta.GoldenLearnerTest.IdRows;
import io.metarec.nn.Params;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.List;

import static io.metarec.meta.Fixtures.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Invalid hyper-parameters and empty sets fail with a message naming the culprit, before any work. */
class BadInputTest {

    static void fails(Executable e, String... mentions) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        for (String m : mentions) assertTrue(x.getMessage().contains(m), "'" + x.getMessage() + "' should mention '" + m + "'");
    }

    @Test
    void badLearningRatesAndStepCounts() {
        LearnerConfig d = LearnerConfig.defaults();
        fails(() -> d.withInnerLr(0f), "inner learning rate", "0.0");
        fails(() -> d.withInnerLr(-0.1f), "inner learning rate");
        fails(() -> d.withInnerLr(Float.NaN), "inner learning rate");
        fails(() -> d.withInnerLr(Float.POSITIVE_INFINITY), "inner learning rate");
        fails(() -> d.withOuterLr(0f), "outer learning rate");
        fails(() -> d.withInnerSteps(0), "inner steps", "0");
        fails(() -> d.withInnerSteps(-3), "inner steps");
        fails(() -> d.withInnerClipNorm(-1f), "clip norm");
        fails(() -> d.withAdaptedGroups(List.of(" ")), "group");
        fails(() -> Reptile.withEpsilon(Fixtures.smallMlp(), d, 0f), "learning rate");
        fails(() -> new MetaLstm<>(Fixtures.smallMlp(), d, 0, null), "hidden");
        fails(() -> Fixtures.learner(Fixtures.Kind.MAML).adaptTo(Fixtures.tasks(1, 1).get(0).support(), -1), "inner steps");
    }

    @Test
    void anAdaptedGroupThatMatchesNothingIsNamed() {
        for (Fixtures.Kind k : Fixtures.Kind.values())
            fails(() -> Fixtures.learner(k, c -> c.withAdaptedGroups(List.of("mlp.fc9"))), "mlp.fc9", "matches no parameter");
    }

    @Test
    void batchedExecutionWithAdaptingEmbeddingsIsRefused() {
        FieldLookupModel m = new FieldLookupModel(new int[] {3, 4}, 2, new int[] {4, 3, 1});
        Maml<IdRows> l = new Maml<>(m, LearnerConfig.defaults().withExecution(LearnerConfig.Execution.BATCHED));
        fails(() -> l.metaGradient(List.of(task(m, 3, 2))), "batched", "PER_TASK");
    }

    static Task<IdRows> task(FieldLookupModel m, int support, int query) {
        return new Task<>(rows(support), rows(query));
    }

    static IdRows rows(int n) {
        int[][] ids = new int[n][2];
        for (int i = 0; i < n; i++) ids[i] = new int[] {i % 3, i % 4};
        return new IdRows(ids, Tensor.zeros(n, 1));
    }

    @Test
    void anEmptySupportOrQuerySetFailsBeforeAnyWork() {
        FieldLookupModel m = new FieldLookupModel(new int[] {3, 4}, 2, new int[] {4, 3, 1});
        for (Fixtures.Kind k : Fixtures.Kind.values()) {
            if (k == Fixtures.Kind.LEO || k == Fixtures.Kind.LEO_FIRST_ORDER) continue; // checked below with its own model
            MetaLearner<IdRows> l = Fixtures.learner(k, m, Fixtures.config(k).withAdaptedGroups(List.of("mlp")));
            List<float[]> before = values(l.metaParams());
            fails(() -> l.metaStep(List.of(task(m, 3, 2), task(m, 0, 2))), l.name(), "task 1", "support set is empty");
            fails(() -> l.metaStep(List.of(task(m, 3, 0))), "task 0", "query set is empty");
            fails(() -> l.adaptTo(rows(0), 1), "support set is empty");
            assertEquals(0, l.metaSteps());
            List<float[]> after = values(l.metaParams());
            for (int i = 0; i < before.size(); i++) assertArrayEquals(before.get(i), after.get(i));
        }
        Leo<IdRows> leo = new Leo<>(m, LearnerConfig.defaults().withAdaptedGroups(List.of("mlp.fc2")));
        fails(() -> leo.metaStep(List.of(task(m, 0, 2))), "leo", "support set is empty");
        fails(() -> Fixtures.learner(Fixtures.Kind.MAML).metaStep(List.of()), "at least one task");
        // A Batch cannot even be built empty.
        assertThrows(ShapeException.class, () -> new Batch(Tensor.zeros(0, 1), Tensor.zeros(0, 1)));
    }

    @Test
    void aCheckpointWithMissingOrMisshapenParametersIsRefused() {
        MetaLearner<Batch> l = Fixtures.learner(Fixtures.Kind.METASGD);
        Params p = l.metaParams();
        fails(() -> l.load(p.filter(n -> !n.startsWith("metasgd."))), "lacks", "metasgd.lr.mlp.fc1.weight");
        fails(() -> l.load(p.with("mlp.fc1.weight", Tensor.zeros(2, 8))), "mlp.fc1.weight", "shape");
    }
}
