package io.metarec.meta;

import io.metarec.autograd.Tensor;
import io.metarec.backend.Backends;
import io.metarec.backend.cpu.HostScopes;
import io.metarec.backend.cpu.VectorBackend;
import io.metarec.nn.Params;
import io.metarec.optim.Adam;
import io.metarec.rec.model.Examples;
import io.metarec.util.EnginePool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Recycling the CPU's scoped arrays ({@link HostScopes}) changes no number: every learner's
 * meta-steps, adaptation and predictions are bitwise those without scopes, and with the check mode
 * (closed scopes' arrays filled with NaN) nothing reads an array after its scope closed.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.metarec.RestoresEngine.class)
class HostScopesLearnerTest {
    private HostScopes.Mode before;

    @BeforeEach void remember() {
        before = HostScopes.mode();
        Backends.use(new VectorBackend());
    }

    @AfterEach void restore() {
        HostScopes.setMode(before);
    }

    /** Three meta-steps on ragged tasks, then a new task's adaptation and query prediction, as raw bits. */
    private static List<int[]> trace(Fixtures.Kind kind, HostScopes.Mode mode) {
        return trace(kind, mode, true);
    }

    /** The same with the task arenas of repeating scopes on or off (off: OFF mode is the collector's alone). */
    private static List<int[]> trace(Fixtures.Kind kind, HostScopes.Mode mode, boolean arenas) {
        HostScopes.setMode(mode);
        boolean arenasBefore = HostScopes.taskArenas();
        HostScopes.setTaskArenas(arenas);
        try {
            return traceNow(kind);
        } finally {
            HostScopes.setTaskArenas(arenasBefore);
        }
    }

    private static List<int[]> traceNow(Fixtures.Kind kind) {
        MetaLearner<Batch> learner = Fixtures.learner(kind);
        List<int[]> out = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            learner.metaStep(Fixtures.raggedTasks(5, 10 + s));
            for (Tensor t : learner.metaParams().tensors()) out.add(RowSparseMetaGradientTest.bits(t.toArray()));
        }
        Task<Batch> next = Fixtures.raggedTasks(1, 99).get(0);
        Params adapted = learner.adaptTo(next.support());
        out.add(RowSparseMetaGradientTest.bits(learner.predict(adapted, next.query()).toArray()));
        out.add(RowSparseMetaGradientTest.bits(new float[] {(float) learner.loss(adapted, next.query())}));
        return out;
    }

    @ParameterizedTest
    @EnumSource(Fixtures.Kind.class)
    void everyLearnerGivesTheSameBitsWithTaskArenasRecycledOrCheckedScopes(Fixtures.Kind kind) {
        EnginePool.setThreads(2);
        List<int[]> want = trace(kind, HostScopes.Mode.OFF, false);
        for (HostScopes.Mode mode : new HostScopes.Mode[] {HostScopes.Mode.OFF, HostScopes.Mode.RECYCLE, HostScopes.Mode.CHECK}) {
            List<int[]> got = trace(kind, mode);
            assertEquals(want.size(), got.size());
            for (int i = 0; i < want.size(); i++) assertArrayEquals(want.get(i), got.get(i), kind + ", " + mode + ": tensor " + i + " of the trace");
        }
    }

    @Test void meluMamlWithRowSparseTablesGivesTheSameBitsOnOneAndTwoThreads() {
        List<int[]> want = null;
        for (HostScopes.Mode mode : HostScopes.Mode.values()) {
            for (int threads : new int[] {1, 2}) {
                HostScopes.setMode(mode);
                EnginePool.setThreads(threads);
                Maml<Examples> m = RowSparseMetaGradientTest.learner(Order.SECOND_ORDER, "mlp", LearnerConfig.Execution.PER_TASK, () -> new Adam(1e-2f));
                List<int[]> got = RowSparseMetaGradientTest.run(m);
                if (want == null) want = got;
                assertEquals(want.size(), got.size());
                for (int i = 0; i < want.size(); i++) assertArrayEquals(want.get(i), got.get(i), mode + ", " + threads + " threads: tensor " + i);
            }
        }
    }
}
