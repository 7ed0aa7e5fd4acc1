package io.metarec.meta;

import io.metarec.autograd.Tensor;
import io.metarec.nn.Params;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MAML++'s learned per-tensor, per-step inner rates (LSLR) on MAML and FOMAML. */
class LslrTest {
    static final int STEPS = 2;

    static Maml<Batch> lslr(Order order) {
        return new Maml<>(Fixtures.smallMlp(), Fixtures.config(Fixtures.Kind.MAML).withInnerSteps(STEPS).withOrder(order), null, true);
    }

    @ParameterizedTest
    @EnumSource(Order.class)
    void startsAsPlainMamlWithOneRatePerTensorAndStep(Order order) {
        Maml<Batch> withRates = lslr(order);
        Maml<Batch> plain = new Maml<>(Fixtures.smallMlp(), Fixtures.config(Fixtures.Kind.MAML).withInnerSteps(STEPS).withOrder(order));
        Params rates = withRates.stepSizes();
        assertEquals(STEPS * withRates.adaptedNames().size(), rates.size());
        for (String n : withRates.adaptedNames())
            for (int k = 0; k < STEPS; k++) assertEquals(0.01f, rates.get("lslr." + k + "." + n).item(), 0f, n + " step " + k);
        List<Task<Batch>> tasks = Fixtures.tasks(3, 4);
        var a = withRates.metaGradient(tasks);
        var b = plain.metaGradient(tasks);
        assertEquals(b.result().loss(), a.result().loss(), 1e-9);
        for (String n : plain.modelParams().names())
            assertTrue(Fixtures.relativeError(a.grads().get(n).toArray(), b.grads().get(n).toArray()) < 1e-6, n);
    }

    /** The rates' meta-gradient is the derivative of the query loss after adaptation (central differences), in both orders. */
    @ParameterizedTest
    @EnumSource(Order.class)
    void rateGradientsMatchFiniteDifferences(Order order) {
        Maml<Batch> m = lslr(order);
        Task<Batch> task = Fixtures.tasks(1, 9).get(0);
        Params grads = m.metaGradient(List.of(task)).grads();
        Params base = m.metaParams();
        for (String rate : List.of("lslr.0.mlp.fc3.weight", "lslr.1.mlp.fc1.bias")) {
            float g = grads.get(rate).item();
            assertTrue(g != 0f, rate + ": no meta-gradient");
            double h = 1e-3;
            double up = lossWith(m, base, rate, (float) (0.01 + h), task), down = lossWith(m, base, rate, (float) (0.01 - h), task);
            double fd = (up - down) / (2 * h);
            assertEquals(fd, g, 0.05 * Math.abs(fd) + 1e-4, rate + " (" + order + ")");
            m.load(base);
        }
    }

    @org.junit.jupiter.api.Test
    void metaTrainingMovesTheRatesAndLaterStepsReuseTheLastOnes() {
        Maml<Batch> m = lslr(Order.SECOND_ORDER);
        for (int s = 0; s < 20; s++) m.metaStep(Fixtures.tasks(4, 100 + s));
        boolean moved = false;
        for (Tensor r : m.stepSizes().tensors()) moved |= Math.abs(r.item() - 0.01f) > 1e-4;
        assertTrue(moved, "the rates were meta-trained");
        Task<Batch> t = Fixtures.tasks(1, 3).get(0);
        double three = m.loss(m.adaptTo(t.support(), STEPS + 1), t.support()), two = m.loss(m.adaptTo(t.support(), STEPS), t.support());
        assertTrue(Double.isFinite(three) && three != two, "a third step runs with the second step's rates");
    }

    private static double lossWith(Maml<Batch> m, Params base, String name, float value, Task<Batch> task) {
        m.load(base.with(name, Tensor.full(value, 1)));
        return m.loss(m.adaptTo(task.support()), task.query());
    }
}
