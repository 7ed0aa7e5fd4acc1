package io.metarec.rec.model;

import io.metarec.autograd.Tensor;
import io.metarec.backend.Indices;
import io.metarec.meta.LearnerConfig;
import io.metarec.meta.LossKind;
import io.metarec.meta.Maml;
import io.metarec.meta.MetaModel;
import io.metarec.meta.Order;
import io.metarec.meta.Task;
import io.metarec.nn.Params;
import io.metarec.verify.CaseResult;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Both recommendation models run under MAML, per task and stacked, with the same meta-gradients. */
class RecModelsTest {
    static final List<FieldSpec> FIELDS = List.of(
            new FieldSpec("gender", FieldSpec.Side.USER, 3, false),
            new FieldSpec("age", FieldSpec.Side.USER, 8, false),
            new FieldSpec("genre", FieldSpec.Side.ITEM, 19, true),
            new FieldSpec("director", FieldSpec.Side.ITEM, 50, false));

    /** A user's examples: fixed user ids, random items with 1–3 genres (sometimes none). */
    static Examples examples(SplittableRandom r, int rows) {
        int gender = r.nextInt(3), age = r.nextInt(8);
        int[] g = new int[rows], a = new int[rows], d = new int[rows], off = new int[rows + 1];
        List<Integer> genres = new ArrayList<>();
        float[] y = new float[rows];
        for (int i = 0; i < rows; i++) {
            g[i] = gender;
            a[i] = age;
            d[i] = r.nextInt(50);
            int k = r.nextInt(4);
            for (int j = 0; j < k; j++) genres.add(r.nextInt(19));
            off[i + 1] = genres.size();
            y[i] = 1 + r.nextInt(5);
        }
        return new Examples(List.of(new Examples.FieldIds(Indices.wrap(g), null), new Examples.FieldIds(Indices.wrap(a), null),
                new Examples.FieldIds(Indices.wrap(genres.stream().mapToInt(Integer::intValue).toArray()), Indices.wrap(off)),
                new Examples.FieldIds(Indices.wrap(d), null)), Tensor.of(y, rows, 1));
    }

    static List<Task<Examples>> tasks(int n) {
        SplittableRandom r = new SplittableRandom(7);
        List<Task<Examples>> out = new ArrayList<>();
        for (int t = 0; t < n; t++) out.add(new Task<>(examples(r, 5 + r.nextInt(9)), examples(r, 10)));
        return out;
    }

    static MetaModel<Examples> model(String kind) {
        return kind.equals("melu") ? new MeluModel(FIELDS, 8, new int[] {16, 16}, LossKind.MSE)
                : new MetricModel(FIELDS, 8, 6, LossKind.MSE, 3f);
    }

    @ParameterizedTest
    @ValueSource(strings = {"melu", "metric"})
    void perTaskAndStackedExecutionAgree(String kind) {
        List<Task<Examples>> tasks = tasks(5);
        List<String> adapted = kind.equals("melu") ? List.of("mlp") : List.of("metric");
        for (Order order : Order.values()) {
            LearnerConfig cfg = LearnerConfig.defaults().withInnerSteps(2).withInnerLr(0.05f).withOrder(order).withAdaptedGroups(adapted);
            var perTask = new Maml<>(model(kind), cfg.withExecution(LearnerConfig.Execution.PER_TASK)).metaGradient(tasks);
            var stacked = new Maml<>(model(kind), cfg.withExecution(LearnerConfig.Execution.BATCHED)).metaGradient(tasks);
            assertEquals(perTask.result().loss(), stacked.result().loss(), 1e-4 * Math.abs(perTask.result().loss()));
            Params a = perTask.grads(), b = stacked.grads();
            for (String n : a.names()) {
                float[] x = a.get(n).toArray(), y = b.get(n).toArray();
                double[] yd = new double[y.length];
                for (int i = 0; i < y.length; i++) yd[i] = y[i];
                double e = CaseResult.relativeError(x, yd);
                assertTrue(e < 1e-4, kind + " " + order + " " + n + ": per-task vs stacked relative difference " + e);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"melu", "metric"})
    void adaptationLowersTheSupportLoss(String kind) {
        List<Task<Examples>> tasks = tasks(3);
        List<String> adapted = kind.equals("melu") ? List.of("mlp") : List.of("metric");
        Maml<Examples> maml = new Maml<>(model(kind), LearnerConfig.defaults().withInnerSteps(5).withInnerLr(0.01f).withAdaptedGroups(adapted));
        for (Task<Examples> t : tasks) {
            double before = maml.loss(maml.modelParams(), t.support());
            double after = maml.loss(maml.adaptTo(t.support()), t.support());
            assertTrue(after < before, kind + ": support loss " + before + " → " + after);
        }
    }
}
