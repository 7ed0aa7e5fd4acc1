package io.metarec.meta;

import io.metarec.autograd.Tensor;
import io.metarec.backend.Backend;
import io.metarec.backend.Backends;
import io.metarec.backend.Indices;
import io.metarec.backend.cpu.ScalarBackend;
import io.metarec.backend.cpu.VectorBackend;
import io.metarec.nn.Params;
import io.metarec.optim.Adam;
import io.metarec.optim.Optimizer;
import io.metarec.rec.model.Examples;
import io.metarec.rec.model.FieldSpec;
import io.metarec.rec.model.MeluModel;
import io.metarec.util.EnginePool;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A MeLU model meta-trained with row-sparse embedding gradients gives bitwise the parameters of the
 * dense path ({@link MetaLearner#rowSparse} off), step after step, with 1, 2 or 4 worker threads:
 * MAML and FOMAML with the MLP adapted (the tables' meta-gradients are touched rows), MAML with
 * everything adapted (they are dense: the inner loop reads the tables densely), and the public
 * {@link MetaLearner#metaGradient}, on both CPU backends; tasks one by one and stacked.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.metarec.RestoresEngine.class)
class RowSparseMetaGradientTest {
    static final List<FieldSpec> FIELDS = List.of(
            new FieldSpec("rate", FieldSpec.Side.ITEM, 6, false),
            new FieldSpec("genre", FieldSpec.Side.ITEM, 9, true),
            new FieldSpec("actor", FieldSpec.Side.ITEM, 50, true),
            new FieldSpec("zip", FieldSpec.Side.USER, 30, false));
    static final int TASKS = 7, STEPS = 3;

    /** Tasks of one user each; multi-valued fields with repeated ids, so rows are hit several times. */
    static List<Task<Examples>> tasks(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Task<Examples>> out = new ArrayList<>();
        for (int t = 0; t < TASKS; t++) {
            int zip = r.nextInt(30);
            out.add(new Task<>(rows(r, 3 + r.nextInt(6), zip), rows(r, 2 + r.nextInt(4), zip)));
        }
        return out;
    }

    static Examples rows(SplittableRandom r, int n, int zip) {
        int[] rate = new int[n], zips = new int[n], og = new int[n + 1], oa = new int[n + 1];
        List<Integer> genre = new ArrayList<>(), actor = new ArrayList<>();
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            rate[i] = r.nextInt(6);
            zips[i] = zip;
            int g = 1 + r.nextInt(3), a = 1 + r.nextInt(4);
            for (int k = 0; k < g; k++) genre.add(r.nextInt(9));
            for (int k = 0; k < a; k++) actor.add(r.nextInt(12)); // a few popular actors: repeats
            og[i + 1] = og[i] + g;
            oa[i + 1] = oa[i] + a;
            y[i] = 1 + r.nextInt(5);
        }
        return new Examples(List.of(new Examples.FieldIds(Indices.wrap(rate), null),
                new Examples.FieldIds(Indices.wrap(genre.stream().mapToInt(Integer::intValue).toArray()), Indices.wrap(og)),
                new Examples.FieldIds(Indices.wrap(actor.stream().mapToInt(Integer::intValue).toArray()), Indices.wrap(oa)),
                new Examples.FieldIds(Indices.wrap(zips), null)), Tensor.of(y, n, 1));
    }

    static Maml<Examples> learner(Order order, String adapted, LearnerConfig.Execution execution, Supplier<Optimizer> outer) {
        LearnerConfig c = LearnerConfig.defaults().withInnerSteps(2).withInnerLr(0.05f).withSeed(3).withOrder(order)
                .withExecution(execution).withAdaptedGroups(adapted.equals("all") ? List.of() : List.of(adapted));
        return new Maml<>(new MeluModel(FIELDS, 8, new int[] {16, 8}, LossKind.MSE), c, outer.get());
    }

    /** The parameters after each of STEPS meta-steps, then the public (dense) meta-gradient, as raw bits. */
    static List<int[]> run(Maml<Examples> m) {
        List<int[]> trace = new ArrayList<>();
        for (int s = 0; s < STEPS; s++) {
            m.metaStep(tasks(s));
            for (Tensor t : m.metaParams().tensors()) trace.add(bits(t.toArray()));
        }
        Params g = m.metaGradient(tasks(99)).grads();
        for (Tensor t : g.tensors()) trace.add(bits(t.toArray()));
        return trace;
    }

    static int[] bits(float[] x) {
        int[] b = new int[x.length];
        for (int i = 0; i < x.length; i++) b[i] = Float.floatToRawIntBits(x[i]);
        return b;
    }

    @ParameterizedTest(name = "{0}, adapting {1}, {2}, {3}")
    @CsvSource({"SECOND_ORDER, mlp, cpu, PER_TASK", "FIRST_ORDER, mlp, cpu, PER_TASK", "SECOND_ORDER, all, cpu, PER_TASK",
            "SECOND_ORDER, mlp, cpu-scalar, PER_TASK", "SECOND_ORDER, mlp, cpu, BATCHED"})
    void denseBitsWithAnyThreadCount(Order order, String adapted, String backend, LearnerConfig.Execution ex) {
        Backends.use(backend.equals("cpu") ? new VectorBackend() : new ScalarBackend());
        EnginePool.setThreads(1);
        Maml<Examples> dense = learner(order, adapted, ex, () -> new Adam(1e-2f));
        dense.rowSparse = false;
        // The path under test is the sparse one: a task's table gradients are touched rows exactly when the tables do not adapt.
        Maml<Examples> probe = learner(order, adapted, ex, () -> new Adam(1e-2f));
        List<Task<Examples>> one = tasks(0).subList(0, 1);
        var c = probe.contribution(probe.metaParams().requiringGrad(),
                ex == LearnerConfig.Execution.BATCHED ? TaskStack.stack(one, 0) : TaskStack.single(one.get(0), 0));
        long sparse = c.gradSum().values().stream().filter(g -> g instanceof io.metarec.autograd.RowSparse).count();
        long tables = c.gradSum().keySet().stream().filter(n -> Params.inGroup(n, "emb")).count();
        assertEquals(adapted.equals("all") ? 0 : tables, sparse, "row-sparse gradients of " + c.gradSum().keySet());
        assertEquals(FIELDS.size(), tables);
        List<int[]> want = run(dense);
        for (int threads : new int[] {1, 2, 4}) {
            EnginePool.setThreads(threads);
            List<int[]> got = run(learner(order, adapted, ex, () -> new Adam(1e-2f)));
            assertEquals(want.size(), got.size());
            for (int i = 0; i < want.size(); i++) assertArrayEquals(want.get(i), got.get(i), threads + " threads: tensor " + i + " of the trace");
        }
    }
}
