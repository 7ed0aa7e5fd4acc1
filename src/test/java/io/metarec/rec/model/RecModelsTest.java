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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Both recommendation models run under MAML, per task and stacked, with the same meta-gradients. */
class RecModelsTest {
    static final List<FieldSpec> FIELDS = List.of(
            new FieldSpec("gender", FieldSpec.Side.USER, 3, false),
            new FieldSpec("age", FieldSpec.Side.USER, 8, false),
            new FieldSpec("genre", FieldSpec.Side.ITEM, 19, true),
            new FieldSpec("director", FieldSpec.Side.ITEM, 50, false));

    static final int ITEMS = 30, USERS = 12;

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
        // Identities: items 0..ITEMS (0 = unknown), one user per task (sometimes unknown).
        int user = r.nextInt(USERS + 1);
        int[] items = new int[rows], users = new int[rows];
        for (int i = 0; i < rows; i++) {
            items[i] = r.nextInt(ITEMS + 1);
            users[i] = user;
        }
        return new Examples(List.of(new Examples.FieldIds(Indices.wrap(g), null), new Examples.FieldIds(Indices.wrap(a), null),
                new Examples.FieldIds(Indices.wrap(genres.stream().mapToInt(Integer::intValue).toArray()), Indices.wrap(off)),
                new Examples.FieldIds(Indices.wrap(d), null)), Indices.wrap(items), Indices.wrap(users), Tensor.of(y, rows, 1));
    }

    static List<Task<Examples>> tasks(int n) {
        SplittableRandom r = new SplittableRandom(7);
        List<Task<Examples>> out = new ArrayList<>();
        for (int t = 0; t < n; t++) out.add(new Task<>(examples(r, 5 + r.nextInt(9)), examples(r, 10)));
        return out;
    }

    /**
     * "melu", "metric", or either with "+id": identities, biases and (MeLU) the personal parameters;
     * "melu+fold": those fitted to the support in closed form (λ = 2).
     */
    static MetaModel<Examples> model(String kind) {
        MeluModel.Identity id = kind.endsWith("+id") ? new MeluModel.Identity(ITEMS, USERS, null)
                : kind.endsWith("+fold") ? new MeluModel.Identity(ITEMS, USERS, null, 2f) : null;
        return kind.startsWith("melu") ? new MeluModel(FIELDS, 8, new int[] {16, 16}, LossKind.MSE, 3f, id)
                : new MetricModel(FIELDS, 8, 6, LossKind.MSE, 3f, id);
    }

    static List<String> adapted(String kind) {
        if (kind.startsWith("metric")) return List.of("metric");
        return kind.endsWith("+id") || kind.endsWith("+fold") ? List.of("mlp", MeluModel.PERSONAL) : List.of("mlp");
    }

    @ParameterizedTest
    @ValueSource(strings = {"melu", "metric", "melu+id", "metric+id", "melu+fold"})
    void perTaskAndStackedExecutionAgree(String kind) {
        List<Task<Examples>> tasks = tasks(5);
        List<String> adapted = adapted(kind);
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
    @ValueSource(strings = {"melu", "metric", "melu+id", "metric+id", "melu+fold"})
    void adaptationLowersTheSupportLoss(String kind) {
        List<Task<Examples>> tasks = tasks(3);
        List<String> adapted = adapted(kind);
        Maml<Examples> maml = new Maml<>(model(kind), LearnerConfig.defaults().withInnerSteps(5).withInnerLr(0.01f).withAdaptedGroups(adapted));
        for (Task<Examples> t : tasks) {
            double before = maml.loss(maml.modelParams(), t.support());
            double after = maml.loss(maml.adaptTo(t.support()), t.support());
            assertTrue(after < before, kind + ": support loss " + before + " → " + after);
        }
    }

    /** Every parameter of the identity models gets a meta-gradient (none is left out of the graph). */
    @ParameterizedTest
    @ValueSource(strings = {"melu+id", "metric+id", "melu+fold"})
    void everyIdentityParameterLearns(String kind) {
        Maml<Examples> maml = new Maml<>(model(kind), LearnerConfig.defaults().withInnerSteps(2).withInnerLr(0.05f).withAdaptedGroups(adapted(kind)));
        Params g = maml.metaGradient(tasks(6)).grads();
        for (String n : g.names()) {
            double norm = 0;
            for (float v : g.get(n).toArray()) norm += v * v;
            assertTrue(norm > 0, kind + ": parameter " + n + " got a zero meta-gradient");
        }
    }

    /**
     * An unknown identity (row 0) reads the generated warm start, a known one its table row on top:
     * with zero tables both predict the same; writing a known item's row changes only its rows.
     */
    @Test
    void unknownIdentitiesReadTheGeneratedWarmStart() {
        MeluModel m = (MeluModel) model("melu+id");
        Params p = m.init(3);
        assertTrue(java.util.Arrays.stream(boxed(p.get(IdentityEmbedding.tableName(FieldSpec.Side.ITEM)).toArray())).allMatch(v -> v == 0f),
                "identity tables start at zero");
        Examples x = examples(new SplittableRandom(5), 6);
        int[] known = x.itemIds().array().clone(), hidden = new int[known.length];
        known[0] = 4;
        known[1] = 4;
        Examples withIds = new Examples(x.fields(), Indices.wrap(known), x.userIds(), x.targets());
        Examples withoutIds = new Examples(x.fields(), Indices.wrap(hidden), x.userIds(), x.targets());
        float[] a = predict(m, p, withIds), b = predict(m, p, withoutIds);
        for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-6, "zero tables: identity and warm start agree, row " + i);
        float[] table = p.get(IdentityEmbedding.tableName(FieldSpec.Side.ITEM)).toArray();
        for (int c = 0; c < 9; c++) table[4 * 9 + c] = 0.5f; // item 4's embedding (d = 8) and bias
        Params q = p.with(IdentityEmbedding.tableName(FieldSpec.Side.ITEM), Tensor.of(table, ITEMS + 1, 9));
        float[] c = predict(m, q, withIds), d = predict(m, q, withoutIds);
        assertTrue(Math.abs(c[0] - a[0]) > 1e-3 && Math.abs(c[1] - a[1]) > 1e-3, "the known item's row is read");
        for (int i = 2; i < c.length; i++) if (known[i] != 4) assertEquals(a[i], c[i], 1e-6, "other items unchanged, row " + i);
        for (int i = 0; i < d.length; i++) assertEquals(b[i], d[i], 1e-6, "unknown ids never read a known row");
    }

    /** Initial item rows land in rows 1..n of the item table; row 0 (unknown) and the user table stay zero. */
    @Test
    void itemIdentitiesStartFromTheGivenRows() {
        float[] rows = new float[ITEMS * 9];
        for (int i = 0; i < rows.length; i++) rows[i] = 0.01f * i - 1;
        MeluModel m = new MeluModel(FIELDS, 8, new int[] {16, 16}, LossKind.MSE, 3f, new MeluModel.Identity(ITEMS, USERS, rows));
        Params p = m.init(1);
        float[] t = p.get(IdentityEmbedding.tableName(FieldSpec.Side.ITEM)).toArray();
        for (int r = 0; r <= ITEMS; r++)
            for (int c = 0; c < 9; c++) assertEquals(r > 0 ? rows[(r - 1) * 9 + c] : 0f, t[r * 9 + c], 0f, "row " + r + " column " + c);
        for (float v : p.get(IdentityEmbedding.tableName(FieldSpec.Side.USER)).toArray()) assertEquals(0f, v);
        assertThrows(IllegalArgumentException.class,
                () -> new MeluModel(FIELDS, 8, new int[] {16, 16}, LossKind.MSE, 3f, new MeluModel.Identity(ITEMS, USERS, new float[5])));
    }

    /**
     * The fold-in is the ridge regression of the support's residuals on (e_i, 1) with λ, in double
     * precision here by Gaussian elimination; the inner loop's steps start from it.
     */
    @Test
    void foldInIsTheRidgeFitOfTheUsersOffsetAndBias() {
        float[] rows = new float[ITEMS * 9];
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < rows.length; i++) rows[i] = (float) r.nextGaussian() * 0.5f;
        MeluModel m = new MeluModel(FIELDS, 8, new int[] {16, 16}, LossKind.MSE, 3f, new MeluModel.Identity(ITEMS, USERS, rows, 2f));
        Maml<Examples> maml = new Maml<>(m, LearnerConfig.defaults().withInnerSteps(3).withInnerLr(0.05f).withAdaptedGroups(List.of("mlp", MeluModel.PERSONAL)));
        Params p = maml.modelParams();
        Examples support = examples(new SplittableRandom(9), 7);
        var batch = m.embed(p, support);
        Params fast = p.filter(n -> n.startsWith(MeluModel.PERSONAL));
        Params fitted = m.fitInClosedForm(p, batch, fast);
        // the reference: features and residuals at δ = 0, β = 0
        int d = 8, f = batch.features().dim(1) - 2 * d - 1;
        float[] feat = batch.features().toArray(), pred = m.head(p, batch.features()).toArray(), y = batch.targets().toArray();
        int w = batch.features().dim(1);
        double[][] a = new double[d + 1][d + 1];
        double[] b = new double[d + 1];
        for (int row = 0; row < 7; row++) {
            double[] x = new double[d + 1];
            for (int k = 0; k < d; k++) x[k] = feat[row * w + f + k];
            x[d] = 1;
            for (int i = 0; i <= d; i++) {
                b[i] += x[i] * (y[row] - pred[row]);
                for (int j = 0; j <= d; j++) a[i][j] += x[i] * x[j];
            }
        }
        for (int i = 0; i <= d; i++) a[i][i] += 2;
        double[] solution = io.metarec.autograd.SolveSpdTest.gauss(a, b);
        float gv = p.get(MeluModel.GAIN + ".offset").item(), gb = p.get(MeluModel.GAIN + ".bias").item();
        float[] offset = fitted.get(MeluModel.PERSONAL + ".offset").toArray();
        for (int k = 0; k < d; k++) assertEquals(solution[k], offset[k] * gv, 1e-4, "offset " + k);
        assertEquals(solution[d], fitted.get(MeluModel.PERSONAL + ".bias").item() * gb, 1e-4, "bias");
        // the learner's inner loop starts there: one tiny step stays next to it
        Maml<Examples> tiny = new Maml<>(m, LearnerConfig.defaults().withInnerSteps(1).withInnerLr(1e-6f).withAdaptedGroups(List.of("mlp", MeluModel.PERSONAL)));
        assertArrayEquals(offset, tiny.adaptTo(support).get(MeluModel.PERSONAL + ".offset").toArray(), 1e-5f);
        // with no steps nothing is fitted
        assertArrayEquals(p.get(MeluModel.PERSONAL + ".offset").toArray(), maml.adaptTo(support, 0).get(MeluModel.PERSONAL + ".offset").toArray());
    }

    /**
     * LEO with the fold-in: the user's offset and bias are the closed-form fit (nothing of them
     * emitted by the decoder, whose code covers only the head), per-task and stacked execution agree,
     * and every parameter, the fold-in's λ included, gets a meta-gradient.
     */
    @Test
    void leoFoldsInTheUserAndEmitsOnlyTheHead() {
        float[] rows = new float[ITEMS * 9];
        SplittableRandom r = new SplittableRandom(13);
        for (int i = 0; i < rows.length; i++) rows[i] = (float) r.nextGaussian() * 0.5f;
        MeluModel m = new MeluModel(FIELDS, 8, new int[] {16, 16}, LossKind.MSE, 3f, new MeluModel.Identity(ITEMS, USERS, rows, 2f));
        LearnerConfig cfg = LearnerConfig.defaults().withInnerSteps(2).withInnerLr(0.05f).withAdaptedGroups(List.of("mlp.fc3", MeluModel.PERSONAL));
        io.metarec.meta.Leo<Examples> leo = new io.metarec.meta.Leo<>(m, cfg.withExecution(LearnerConfig.Execution.PER_TASK));
        Params meta = leo.metaParams();
        int head = (int) meta.get("mlp.fc3.weight").size() + meta.get("mlp.fc3.bias").size();
        assertEquals(2 * head, meta.get("leo.decoder.weight").dim(1), "the decoder emits the head only");
        Params p = leo.modelParams();
        Examples support = examples(new SplittableRandom(9), 7);
        Params fitted = m.fitInClosedForm(p, m.embed(p, support), p.filter(n -> n.startsWith(MeluModel.PERSONAL)));
        Params adapted = leo.adaptTo(support);
        for (String n : List.of(MeluModel.PERSONAL + ".offset", MeluModel.PERSONAL + ".bias"))
            assertArrayEquals(fitted.get(n).toArray(), adapted.get(n).toArray(), 1e-6f, n + " is the fold-in's fit");
        assertTrue(leo.loss(adapted, support) < leo.loss(p, support), "adapting lowers the support loss");
        List<Task<Examples>> tasks = tasks(5);
        var perTask = leo.metaGradient(tasks);
        var stacked = new io.metarec.meta.Leo<>(m, cfg.withExecution(LearnerConfig.Execution.BATCHED)).metaGradient(tasks);
        assertEquals(perTask.result().loss(), stacked.result().loss(), 1e-4 * Math.abs(perTask.result().loss()));
        for (String n : perTask.grads().names()) {
            // the fold-in sets g·δ and g·β whatever δ₀, β₀ and the gains: their gradients cancel to rounding noise
            if (n.startsWith(MeluModel.PERSONAL) || n.startsWith(MeluModel.GAIN)) continue;
            float[] x = perTask.grads().get(n).toArray(), y = stacked.grads().get(n).toArray();
            double[] yd = new double[y.length];
            double norm = 0;
            for (int i = 0; i < y.length; i++) {
                yd[i] = y[i];
                norm += x[i] * x[i];
            }
            assertTrue(norm > 0, n + " got a zero meta-gradient");
            assertTrue(CaseResult.relativeError(x, yd) < 1e-3, n + ": per-task vs stacked " + CaseResult.relativeError(x, yd));
        }
    }

    private static float[] predict(MeluModel m, Params p, Examples x) {
        return m.head(p, m.embed(p, x).features()).toArray();
    }

    private static Float[] boxed(float[] v) {
        Float[] out = new Float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i];
        return out;
    }
}
