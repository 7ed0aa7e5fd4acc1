package io.metarec.meta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metarec.autograd.Tensor;
import io.metarec.nn.Activation;
import io.metarec.nn.Params;
import io.metarec.verify.CaseResult;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

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

    static void assertClose(String what, float[] ours, double[] ref) {
        double e = CaseResult.relativeError(ours, ref);
        assertTrue(e < 1e-4, what + ": relative error " + e);
    }
}
