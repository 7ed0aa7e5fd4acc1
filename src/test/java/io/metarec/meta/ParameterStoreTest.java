package io.metarec.meta;

import io.metarec.autograd.Gradient;
import io.metarec.autograd.Tensor;
import io.metarec.nn.Params;
import io.metarec.optim.Adam;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The parameter store on its own: the training-state round trip, the outer update, the learner's own parameters. */
class ParameterStoreTest {
    static Params theta() {
        return Params.empty().with("w", Tensor.of(new float[] {0.5f, -1f, 2f, 0.25f}, 2, 2)).with("b", Tensor.of(new float[] {0.1f, -0.2f}, 2));
    }

    /** The learner's own parameters: a step size per model parameter. */
    static ParameterStore store() {
        return new ParameterStore(() -> "test", theta(), new Adam(0.01f), t -> {
            Params own = Params.empty();
            for (String n : t.names()) own = own.with("lr." + n, Tensor.full(0.05f, t.get(n).shape()));
            return own;
        });
    }

    static Map<String, Gradient> grads(Params like, float scale) {
        Map<String, Gradient> g = new LinkedHashMap<>();
        for (String n : like.names()) {
            float[] v = like.get(n).toArray();
            for (int i = 0; i < v.length; i++) v[i] = scale * (i + 1) * (n.length() % 3 + 1);
            g.put(n, new Gradient.Dense(Tensor.of(v, like.get(n).shape())));
        }
        return g;
    }

    @Test
    void restoredStateContinuesBitwise() {
        ParameterStore a = store();
        a.step(grads(a.params(), 0.3f));
        a.countSkipped(2);
        a.step(grads(a.params(), -0.7f));
        ParameterStore b = store();
        b.restore(a.state());
        assertEquals(a.metaSteps(), b.metaSteps());
        assertEquals(2, b.skippedTasks());
        for (float s : new float[] {1.1f, -0.4f}) {
            a.step(grads(a.params(), s));
            b.step(grads(b.params(), s));
        }
        assertEquals(a.params().names(), b.params().names());
        for (String n : a.params().names()) assertArrayEquals(a.params().get(n).toArray(), b.params().get(n).toArray(), n);
        assertEquals(4, b.metaSteps());
    }

    @Test
    void learnerParametersJoinThetaOnceAndModelParamsLeaveThemOut() {
        ParameterStore s = store();
        assertEquals(java.util.List.of("w", "b", "lr.w", "lr.b"), s.params().names());
        assertSame(s.params(), s.params());
        assertEquals(java.util.List.of("w", "b"), s.modelParams().names());
    }

    @Test
    void stepWithoutGradientsOnlyCounts() {
        ParameterStore s = store();
        Params before = s.params();
        s.step(null);
        assertSame(before, s.params());
        assertEquals(1, s.metaSteps());
    }

    @Test
    void learnerParameterNamedLikeAModelParameterFails() {
        ParameterStore s = new ParameterStore(() -> "test", theta(), new Adam(0.01f), t -> Params.empty().with("w", Tensor.full(1f, 2, 2)));
        IllegalStateException e = assertThrows(IllegalStateException.class, s::params);
        assertTrue(e.getMessage().contains("'w' clashes"), e.getMessage());
    }

    @Test
    void loadChecksShapes() {
        ParameterStore s = store();
        Params wrong = s.params().with("b", Tensor.full(0f, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.load(wrong));
        assertTrue(e.getMessage().contains("'b' has shape"), e.getMessage());
    }
}
