package io.metarec.meta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metarec.autograd.Indexing;
import io.metarec.autograd.ShapeOps;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Indices;
import io.metarec.nn.Activation;
import io.metarec.nn.Init;
import io.metarec.nn.Mlp;
import io.metarec.nn.Params;
import io.metarec.verify.CaseResult;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The golden MAML / FOMAML / Meta-SGD cases reproduced through the public learner API. */
class GoldenLearnerTest {
    static JsonNode load(String file) throws Exception {
        try (InputStream in = GoldenLearnerTest.class.getResourceAsStream("/io/metarec/golden/" + file)) {
            return new ObjectMapper().readTree(in);
        }
    }

    static Tensor tensor(JsonNode t) {
        int[] shape = new int[t.get("shape").size()];
        for (int i = 0; i < shape.length; i++) shape[i] = t.get("shape").get(i).asInt();
        float[] d = new float[t.get("data").size()];
        for (int i = 0; i < d.length; i++) d[i] = (float) t.get("data").get(i).asDouble();
        return Tensor.of(d, shape);
    }

    static double[] doubles(JsonNode t) {
        double[] d = new double[t.get("data").size()];
        for (int i = 0; i < d.length; i++) d[i] = t.get("data").get(i).asDouble();
        return d;
    }

    static List<Task<Batch>> tasks(JsonNode root) {
        List<Task<Batch>> out = new ArrayList<>();
        for (JsonNode t : root.get("tasks"))
            out.add(new Task<>(new Batch(tensor(t.get("support_x")), tensor(t.get("support_y"))),
                    new Batch(tensor(t.get("query_x")), tensor(t.get("query_y")))));
        return out;
    }

    static Params bind(MlpRegression m, JsonNode list, String prefix) {
        List<String> names = new ArrayList<>();
        for (var l : m.mlp().layers()) {
            names.add(prefix + l.weightName());
            names.add(prefix + l.biasName());
        }
        List<Tensor> ts = new ArrayList<>();
        for (JsonNode t : list) ts.add(tensor(t));
        return Params.of(names, ts);
    }

    @ParameterizedTest
    @CsvSource({"maml_sinusoid_1step.json, second_order, PER_TASK", "maml_sinusoid_1step.json, first_order, PER_TASK",
            "maml_sinusoid_5step.json, second_order, PER_TASK", "maml_sinusoid_5step.json, first_order, PER_TASK",
            "maml_sinusoid_1step.json, second_order, BATCHED", "maml_sinusoid_5step.json, first_order, BATCHED",
            "maml_sinusoid_5step.json, second_order, BATCHED"})
    void mamlThroughTheApiMatchesPyTorch(String file, String order, String execution) throws Exception {
        JsonNode root = load(file);
        int[] sizes = new ObjectMapper().convertValue(root.get("layer_sizes"), int[].class);
        MlpRegression model = new MlpRegression(sizes, Activation.RELU);
        LearnerConfig cfg = LearnerConfig.defaults().withInnerSteps(root.get("inner_steps").asInt())
                .withInnerLr((float) root.get("inner_lr").asDouble())
                .withOrder(order.equals("second_order") ? Order.SECOND_ORDER : Order.FIRST_ORDER)
                .withExecution(LearnerConfig.Execution.valueOf(execution));
        Maml<Batch> maml = new Maml<>(model, cfg);
        maml.load(bind(model, root.get("params"), ""));
        var mg = maml.metaGradient(tasks(root));
        JsonNode ref = root.get(order);
        assertClose("meta-loss", new float[] {(float) mg.result().loss()}, new double[] {ref.get("meta_loss").asDouble()});
        List<Tensor> g = mg.grads().tensors();
        for (int i = 0; i < g.size(); i++) assertClose("grad " + i, g.get(i).toArray(), doubles(ref.get("meta_grads").get(i)));
    }

    @ParameterizedTest
    @CsvSource({"PER_TASK", "BATCHED"})
    void metaSgdThroughTheApiMatchesPyTorch(String execution) throws Exception {
        JsonNode root = load("metasgd_sinusoid.json");
        int[] sizes = new ObjectMapper().convertValue(root.get("layer_sizes"), int[].class);
        MlpRegression model = new MlpRegression(sizes, Activation.RELU);
        LearnerConfig cfg = LearnerConfig.defaults().withInnerSteps(root.get("inner_steps").asInt())
                .withExecution(LearnerConfig.Execution.valueOf(execution));
        MetaSgd<Batch> learner = new MetaSgd<>(model, cfg);
        learner.load(bind(model, root.get("params"), "").with(bind(model, root.get("inner_lrs"), MetaSgd.PREFIX)));
        var mg = learner.metaGradient(tasks(root));
        assertClose("meta-loss", new float[] {(float) mg.result().loss()}, new double[] {root.get("meta_loss").asDouble()});
        List<Tensor> g = mg.grads().tensors();
        for (int i = 0; i < 6; i++) assertClose("θ grad " + i, g.get(i).toArray(), doubles(root.get("meta_grads_params").get(i)));
        for (int i = 0; i < 6; i++) assertClose("α grad " + i, g.get(6 + i).toArray(), doubles(root.get("meta_grads_inner_lrs").get(i)));
    }

    /** Examples of the MeLU-shaped golden case: one id per field per row, and the ratings. */
    record IdRows(int[][] ids, Tensor targets) {}

    /**
     * A test-local MeLU-shaped model: each field's id looked up in its own table
     * ({@code emb.f<i>.weight}), the rows concatenated in field order, then an MLP ("mlp") with ReLU.
     */
    static class FieldLookupModel implements MetaModel<IdRows> {
        final int[] vocab;
        final int dim;
        final Mlp mlp;

        FieldLookupModel(int[] vocab, int dim, int[] sizes) {
            this.vocab = vocab.clone();
            this.dim = dim;
            this.mlp = new Mlp("mlp", sizes, Activation.RELU);
        }

        static String table(int f) { return "emb.f" + f + ".weight"; }

        @Override public Params init(long seed) {
            Params p = Params.empty();
            for (int f = 0; f < vocab.length; f++) p = p.with(table(f), Init.STANDARD_NORMAL.draw(seed, table(f), vocab[f], vocab[f], dim));
            return p.with(mlp.init(seed));
        }

        @Override public List<String> embeddingGroups() { return List.of("emb"); }

        @Override public int examples(IdRows data) { return data.ids().length; }

        @Override public int featureWidth() { return vocab.length * dim; }

        @Override public Batch embed(Params params, IdRows data) {
            List<Tensor> parts = new ArrayList<>();
            for (int f = 0; f < vocab.length; f++) {
                int[] col = new int[data.ids().length];
                for (int r = 0; r < col.length; r++) col[r] = data.ids()[r][f];
                parts.add(Indexing.gatherRows(params.get(table(f)), Indices.wrap(col)));
            }
            return new Batch(ShapeOps.concat(parts, 1), data.targets());
        }

        @Override public Tensor head(Params params, Tensor features) { return mlp.forward(params, features); }

        @Override public LossKind loss() { return LossKind.MSE; }
    }

    static IdRows idRows(JsonNode ids, JsonNode y) {
        Tensor t = tensor(ids);
        float[] v = t.toArray();
        int rows = t.dim(0), fields = t.dim(1);
        int[][] out = new int[rows][fields];
        for (int r = 0; r < rows; r++)
            for (int f = 0; f < fields; f++) out[r][f] = Math.round(v[r * fields + f]);
        return new IdRows(out, tensor(y));
    }

    @ParameterizedTest
    @CsvSource({"second_order, PER_TASK", "first_order, PER_TASK", "second_order, BATCHED", "first_order, BATCHED"})
    void meluWithOnlyTheMlpAdaptingMatchesPyTorch(String order, String execution) throws Exception {
        JsonNode root = load("melu_small.json");
        ObjectMapper om = new ObjectMapper();
        int[] vocab = om.convertValue(root.get("field_vocab_sizes"), int[].class);
        int[] sizes = om.convertValue(root.get("layer_sizes"), int[].class);
        FieldLookupModel model = new FieldLookupModel(vocab, root.get("embedding_dim").asInt(), sizes);
        LearnerConfig cfg = LearnerConfig.defaults().withInnerSteps(root.get("inner_steps").asInt())
                .withInnerLr((float) root.get("inner_lr").asDouble()).withAdaptedGroups(List.of("mlp"))
                .withOrder(order.equals("second_order") ? Order.SECOND_ORDER : Order.FIRST_ORDER)
                .withExecution(LearnerConfig.Execution.valueOf(execution));
        Maml<IdRows> maml = new Maml<>(model, cfg);
        assertEquals(Set.of("mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias", "mlp.fc3.weight", "mlp.fc3.bias"), maml.adaptedNames());
        Params theta = Params.empty();
        for (int f = 0; f < vocab.length; f++) theta = theta.with(FieldLookupModel.table(f), tensor(root.get("tables").get(f)));
        List<String> mlpNames = new ArrayList<>();
        List<Tensor> mlpValues = new ArrayList<>();
        for (var l : model.mlp.layers()) {
            mlpNames.add(l.weightName());
            mlpNames.add(l.biasName());
        }
        for (JsonNode t : root.get("params")) mlpValues.add(tensor(t));
        maml.load(theta.with(Params.of(mlpNames, mlpValues)));
        List<Task<IdRows>> tasks = new ArrayList<>();
        for (JsonNode t : root.get("tasks"))
            tasks.add(new Task<>(idRows(t.get("support_ids"), t.get("support_y")), idRows(t.get("query_ids"), t.get("query_y"))));

        var mg = maml.metaGradient(tasks);
        JsonNode ref = root.get(order);
        assertClose("meta-loss", new float[] {(float) mg.result().loss()}, new double[] {ref.get("meta_loss").asDouble()});
        for (int i = 0; i < mlpNames.size(); i++)
            assertClose(mlpNames.get(i), mg.grads().get(mlpNames.get(i)).toArray(), doubles(ref.get("meta_grads_params").get(i)));
        for (int f = 0; f < vocab.length; f++) {
            float[] g = mg.grads().get(FieldLookupModel.table(f)).toArray();
            assertClose(FieldLookupModel.table(f), g, doubles(ref.get("meta_grads_tables").get(f)));
        }
    }

    static void assertClose(String what, float[] ours, double[] ref) {
        double e = CaseResult.relativeError(ours, ref);
        assertTrue(e < 1e-4, what + ": relative error " + e);
    }
}
