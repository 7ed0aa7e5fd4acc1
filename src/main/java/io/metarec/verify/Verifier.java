package io.metarec.verify;

import com.fasterxml.jackson.databind.JsonNode;
import io.metarec.autograd.Autograd;
import io.metarec.autograd.Elementwise;
import io.metarec.autograd.Functional;
import io.metarec.autograd.ShapeOps;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Backend;
import io.metarec.backend.Indices;
import io.metarec.nn.Activation;
import io.metarec.nn.Mlp;
import io.metarec.nn.Params;
import io.metarec.verify.ReferenceFile.RefTensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Checks the engine against reference cases in the golden format (see {@code README.md},
 * "Checking a build against PyTorch"). Kinds:
 * <ul>
 *   <li>{@code ops}: per op, output, gradient and Hessian-vector product of L = Σ w·f(inputs);</li>
 *   <li>{@code maml_mlp}: MLP regression meta-loss and meta-gradients, second and first order;</li>
 *   <li>{@code metasgd_mlp}: the same with learned per-element inner learning rates;</li>
 *   <li>{@code melu}: field embeddings + MLP, only the MLP adapting; gradients for both.</li>
 * </ul>
 * Meta-gradients are computed by a plain inner loop of {@code Autograd.grad(…, createGraph)}, any
 * depth, width, activation (relu/tanh/sigmoid), number of steps, tasks, fields and vocabularies.
 */
public final class Verifier {
    public static final double DEFAULT_TOLERANCE = 1e-4;

    private final Backend backend;
    private final double tolerance;

    public Verifier(Backend backend, double tolerance) {
        this.backend = backend;
        this.tolerance = tolerance;
    }

    /** All cases of one file; a malformed file gives one failed case that says why. */
    public List<CaseResult> run(ReferenceFile file) {
        try {
            return switch (file.kind()) {
                case "ops" -> ops(file);
                case "maml_mlp" -> mamlMlp(file);
                case "metasgd_mlp" -> List.of(metaSgd(file));
                case "melu" -> melu(file);
                default -> List.of(CaseResult.failed(file.name(), file.source + ": unknown kind '" + file.kind()
                        + "' (known: ops, maml_mlp, metasgd_mlp, melu)"));
            };
        } catch (RuntimeException e) {
            return List.of(CaseResult.failed(file.name(), why(file, e)));
        }
    }

    /** The message of a failure, naming the file (format errors already do; engine errors say the op and shapes). */
    private static String why(ReferenceFile f, RuntimeException e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        return e instanceof ReferenceFormatException ? m : f.source + ": " + m;
    }

    // ---- ops -------------------------------------------------------------------------------------

    /** The golden softmax_cross_entropy case uses these class targets. */
    static final Indices CE_TARGETS = Indices.of(0, 3, 1, 4);

    /** The functions of the {@code ops} kind, by name. */
    static final Map<String, Function<List<Tensor>, Tensor>> OPS = new LinkedHashMap<>();

    static {
        OPS.put("relu", in -> in.get(0).relu());
        OPS.put("sigmoid", in -> in.get(0).sigmoid());
        OPS.put("tanh", in -> in.get(0).tanh());
        OPS.put("exp", in -> in.get(0).exp());
        OPS.put("log", in -> in.get(0).abs().add(0.5f).log()); // the golden "log" is log(|x| + 0.5)
        OPS.put("square", in -> in.get(0).square());
        OPS.put("softplus", in -> in.get(0).softplus());
        OPS.put("matmul", in -> in.get(0).matmul(in.get(1)));
        OPS.put("add_bias", in -> in.get(0).add(in.get(1)));
        OPS.put("mul", in -> in.get(0).mul(in.get(1)));
        OPS.put("div", in -> in.get(0).div(in.get(1)));
        OPS.put("sum_rows", in -> in.get(0).sum(0, false));
        OPS.put("mean_all", in -> in.get(0).mean());
        OPS.put("mse", in -> Functional.mse(in.get(0), in.get(1)));
        OPS.put("bce_with_logits", in -> Functional.bceWithLogits(in.get(0), in.get(1)));
        OPS.put("softmax_cross_entropy", in -> Functional.softmaxCrossEntropy(in.get(0), CE_TARGETS));
        OPS.put("concat_cols", in -> ShapeOps.concat(in, 1));
        OPS.put("transpose", in -> in.get(0).transpose());
        OPS.put("tanh_of_matmul", in -> in.get(0).matmul(in.get(1)).tanh());
    }

    private List<CaseResult> ops(ReferenceFile f) {
        JsonNode list = f.nonEmptyArray(f.root, "ops");
        Map<String, Integer> uses = new LinkedHashMap<>();
        for (JsonNode op : list) uses.merge(op.path("op").asText("?"), 1, Integer::sum);
        List<CaseResult> out = new ArrayList<>();
        for (int k = 0; k < list.size(); k++) {
            JsonNode op = list.get(k);
            String opName = op.path("op").asText("?");
            // an op listed several times (other shapes) gets its position, so every line names one case
            String name = f.name() + "/" + (op.has("op") ? opName : "#" + k) + (uses.get(opName) > 1 ? "#" + k : "");
            try {
                out.add(oneOp(f, op, name));
            } catch (RuntimeException e) {
                out.add(CaseResult.failed(name, why(f, e)));
            }
        }
        return out;
    }

    private CaseResult oneOp(ReferenceFile f, JsonNode op, String name) {
        String opName = f.text(op, "op");
        Function<List<Tensor>, Tensor> fn = OPS.get(opName);
        if (fn == null) return CaseResult.failed(name, "unknown op '" + opName + "'; known: " + String.join(", ", OPS.keySet()));
        String at = "ops[" + opName + "]";
        List<RefTensor> ins = f.tensors(op, "inputs", at);
        List<RefTensor> grads = f.tensors(op, "grads", at, ins.size()), vs = f.tensors(op, "v", at, ins.size()),
                hvps = f.tensors(op, "hvp", at, ins.size());
        RefTensor outRef = f.tensor(op, "output", at), w = f.tensor(op, "w", at);
        List<Tensor> x = new ArrayList<>();
        for (RefTensor t : ins) x.add(t.toTensor(backend).requiringGrad());
        Tensor y = fn.apply(x);
        if (w.data().length != y.size())
            throw new ReferenceFormatException(f.source + ": " + at + ".w has " + w.data().length + " values but the output "
                    + y.shapeString() + " has " + y.size());
        for (int i = 0; i < ins.size(); i++)
            if (vs.get(i).data().length != ins.get(i).data().length)
                throw new ReferenceFormatException(f.source + ": " + at + ".v[" + i + "] has " + vs.get(i).data().length
                        + " values but inputs[" + i + "] has " + ins.get(i).data().length);
        Tensor loss = y.mul(w.toTensor(backend).reshape(y.shape())).sum();
        List<Tensor> g = Autograd.grad(loss, x, true);
        Tensor gv = null;
        for (int i = 0; i < g.size(); i++) {
            Tensor term = g.get(i).mul(vs.get(i).toTensor(backend).reshape(g.get(i).shape())).sum();
            gv = gv == null ? term : gv.add(term);
        }
        List<Tensor> h = Autograd.grad(gv, x, false);
        Map<String, Double> err = new LinkedHashMap<>();
        err.put("output", CaseResult.relativeError(y.toArray(), outRef.data()));
        for (int i = 0; i < g.size(); i++) err.put("grad" + i, CaseResult.relativeError(g.get(i).toArray(), grads.get(i).data()));
        for (int i = 0; i < h.size(); i++) err.put("hvp" + i, CaseResult.relativeError(h.get(i).toArray(), hvps.get(i).data()));
        return new CaseResult(name, err, tolerance, null);
    }

    // ---- MAML on an MLP ----------------------------------------------------------------------------

    /** A regression task: support and query sets (x and y per set). */
    record Task(Tensor supportX, Tensor supportY, Tensor queryX, Tensor queryY) {}

    private List<Task> mlpTasks(ReferenceFile f) {
        JsonNode tasks = f.nonEmptyArray(f.root, "tasks");
        List<Task> out = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) {
            String at = "tasks[" + i + "]";
            JsonNode t = tasks.get(i);
            out.add(new Task(f.tensor(t, "support_x", at).toTensor(backend), f.tensor(t, "support_y", at).toTensor(backend),
                    f.tensor(t, "query_x", at).toTensor(backend), f.tensor(t, "query_y", at).toTensor(backend)));
        }
        return out;
    }

    /** The MLP of layer_sizes / activation, and the file's params mapped onto its names in order. */
    private record Model(Mlp mlp, Params theta) {}

    private Model mlpModel(ReferenceFile f, String paramsField) {
        int[] sizes = f.ints(f.root, "layer_sizes");
        String act = f.root.has("activation") && !f.root.get("activation").isNull() ? f.text(f.root, "activation") : "relu";
        Activation activation;
        try {
            activation = Activation.parse(act);
        } catch (IllegalArgumentException e) {
            throw new ReferenceFormatException(f.source + ": field 'activation': " + e.getMessage());
        }
        if (sizes.length < 2) throw new ReferenceFormatException(f.source + ": 'layer_sizes' needs at least input and output sizes");
        Mlp mlp = new Mlp("mlp", sizes, activation);
        return new Model(mlp, bind(f, mlp, f.tensors(f.root, paramsField, "")));
    }

    private Params bind(ReferenceFile f, Mlp mlp, List<RefTensor> values) {
        List<String> names = new ArrayList<>();
        for (var l : mlp.layers()) {
            names.add(l.weightName());
            names.add(l.biasName());
        }
        if (values.size() != names.size())
            throw new ReferenceFormatException(f.source + ": " + mlp.layers().size() + " layers need " + names.size()
                    + " tensors (W1, b1, W2, b2, …), got " + values.size());
        List<Tensor> ts = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            var l = mlp.layers().get(i / 2);
            int[] want = i % 2 == 0 ? new int[] {l.in(), l.out()} : new int[] {l.out()};
            if (!java.util.Arrays.equals(values.get(i).shape(), want))
                throw new ReferenceFormatException(f.source + ": parameter " + (i % 2 == 0 ? "W" : "b") + (i / 2 + 1) + " has shape "
                        + java.util.Arrays.toString(values.get(i).shape()) + ", layer_sizes imply " + java.util.Arrays.toString(want));
            ts.add(values.get(i).toTensor(backend));
        }
        return Params.of(names, ts);
    }

    private List<CaseResult> mamlMlp(ReferenceFile f) {
        Model m = mlpModel(f, "params");
        List<Task> tasks = mlpTasks(f);
        float lr = (float) f.number(f.root, "inner_lr");
        int steps = f.integer(f.root, "inner_steps");
        List<CaseResult> out = new ArrayList<>();
        for (String order : List.of("second_order", "first_order")) {
            if (!f.root.has(order)) continue;
            JsonNode ref = f.root.get(order);
            Params theta = m.theta.requiringGrad();
            Tensor metaLoss = null;
            for (Task t : tasks) {
                Params fast = adapt(theta, p -> Functional.mse(m.mlp.forward(p, t.supportX), t.supportY), steps,
                        (name, g) -> g.mul(lr), order.equals("second_order"));
                Tensor q = Functional.mse(m.mlp.forward(fast, t.queryX), t.queryY);
                metaLoss = metaLoss == null ? q : metaLoss.add(q);
            }
            metaLoss = metaLoss.div(tasks.size());
            out.add(compare(f.name() + "/" + order, f, ref, metaLoss, theta, "meta_grads", paramLabels(m.mlp)));
        }
        if (out.isEmpty()) throw new ReferenceFormatException(f.source + ": neither 'second_order' nor 'first_order' is present");
        return out;
    }

    private CaseResult metaSgd(ReferenceFile f) {
        Model m = mlpModel(f, "params");
        Params lrs = bind(f, m.mlp, f.tensors(f.root, "inner_lrs", "")).requiringGrad();
        List<Task> tasks = mlpTasks(f);
        int steps = f.integer(f.root, "inner_steps");
        Params theta = m.theta.requiringGrad();
        Tensor metaLoss = null;
        for (Task t : tasks) {
            Params fast = adapt(theta, p -> Functional.mse(m.mlp.forward(p, t.supportX), t.supportY), steps,
                    (name, g) -> g.mul(lrs.get(name)), true);
            Tensor q = Functional.mse(m.mlp.forward(fast, t.queryX), t.queryY);
            metaLoss = metaLoss == null ? q : metaLoss.add(q);
        }
        metaLoss = metaLoss.div(tasks.size());
        List<Tensor> wrt = new ArrayList<>(theta.tensors());
        wrt.addAll(lrs.tensors());
        List<Tensor> grads = Autograd.grad(metaLoss, wrt, false);
        Map<String, Double> err = new LinkedHashMap<>();
        err.put("loss", CaseResult.relativeError(new float[] {metaLoss.item()}, new double[] {f.number(f.root, "meta_loss")}));
        List<String> labels = paramLabels(m.mlp);
        List<RefTensor> gp = f.tensors(f.root, "meta_grads_params", "", labels.size()),
                ga = f.tensors(f.root, "meta_grads_inner_lrs", "", labels.size());
        for (int i = 0; i < labels.size(); i++) err.put(labels.get(i), CaseResult.relativeError(grads.get(i).toArray(), gp.get(i).data()));
        for (int i = 0; i < labels.size(); i++)
            err.put("lr_" + labels.get(i), CaseResult.relativeError(grads.get(labels.size() + i).toArray(), ga.get(i).data()));
        return new CaseResult(f.name(), err, tolerance, null);
    }

    // ---- MeLU-shaped: embeddings + MLP, only the MLP adapts ------------------------------------------

    private List<CaseResult> melu(ReferenceFile f) {
        int dim = f.integer(f.root, "embedding_dim");
        int[] vocab = f.ints(f.root, "field_vocab_sizes");
        List<RefTensor> tableRefs = f.tensors(f.root, "tables", "");
        if (tableRefs.size() != vocab.length)
            throw new ReferenceFormatException(f.source + ": " + vocab.length + " fields but " + tableRefs.size() + " tables");
        List<Tensor> tables = new ArrayList<>();
        for (int i = 0; i < vocab.length; i++) {
            if (!java.util.Arrays.equals(tableRefs.get(i).shape(), new int[] {vocab[i], dim}))
                throw new ReferenceFormatException(f.source + ": tables[" + i + "] has shape " + java.util.Arrays.toString(tableRefs.get(i).shape())
                        + ", expected [" + vocab[i] + ", " + dim + "]");
            tables.add(tableRefs.get(i).toTensor(backend));
        }
        Model m = mlpModel(f, "params");
        if (m.mlp.layers().get(0).in() != vocab.length * dim)
            throw new ReferenceFormatException(f.source + ": the first layer takes " + m.mlp.layers().get(0).in() + " inputs but "
                    + vocab.length + " fields × " + dim + " = " + vocab.length * dim);
        float lr = (float) f.number(f.root, "inner_lr");
        int steps = f.integer(f.root, "inner_steps");
        JsonNode tasks = f.nonEmptyArray(f.root, "tasks");
        List<CaseResult> out = new ArrayList<>();
        for (String order : List.of("second_order", "first_order")) {
            if (!f.root.has(order)) continue;
            Params theta = m.theta.requiringGrad();
            List<Tensor> tab = new ArrayList<>();
            for (Tensor t : tables) tab.add(t.requiringGrad());
            Tensor metaLoss = null;
            for (int i = 0; i < tasks.size(); i++) {
                String at = "tasks[" + i + "]";
                JsonNode t = tasks.get(i);
                Tensor hs = embed(f, tab, vocab, f.tensor(t, "support_ids", at), at + ".support_ids");
                Tensor hq = embed(f, tab, vocab, f.tensor(t, "query_ids", at), at + ".query_ids");
                Tensor ys = f.tensor(t, "support_y", at).toTensor(backend), yq = f.tensor(t, "query_y", at).toTensor(backend);
                Params fast = adapt(theta, p -> Functional.mse(m.mlp.forward(p, hs), ys), steps, (name, g) -> g.mul(lr),
                        order.equals("second_order"));
                Tensor q = Functional.mse(m.mlp.forward(fast, hq), yq);
                metaLoss = metaLoss == null ? q : metaLoss.add(q);
            }
            metaLoss = metaLoss.div(tasks.size());
            JsonNode ref = f.root.get(order);
            List<Tensor> wrt = new ArrayList<>(theta.tensors());
            wrt.addAll(tab);
            List<Tensor> grads = Autograd.grad(metaLoss, wrt, false);
            Map<String, Double> err = new LinkedHashMap<>();
            err.put("loss", CaseResult.relativeError(new float[] {metaLoss.item()}, new double[] {f.number(ref, "meta_loss")}));
            List<String> labels = paramLabels(m.mlp);
            List<RefTensor> gp = f.tensors(ref, "meta_grads_params", order, labels.size()),
                    gt = f.tensors(ref, "meta_grads_tables", order, tab.size());
            for (int i = 0; i < labels.size(); i++) err.put(labels.get(i), CaseResult.relativeError(grads.get(i).toArray(), gp.get(i).data()));
            for (int i = 0; i < tab.size(); i++)
                err.put("table" + (i + 1), CaseResult.relativeError(grads.get(labels.size() + i).toArray(), gt.get(i).data()));
            out.add(new CaseResult(f.name() + "/" + order, err, tolerance, null));
        }
        if (out.isEmpty()) throw new ReferenceFormatException(f.source + ": neither 'second_order' nor 'first_order' is present");
        return out;
    }

    /** Concatenates each field's embedding row, in field order: [rows, fields × dim]. */
    private Tensor embed(ReferenceFile f, List<Tensor> tables, int[] vocab, RefTensor ids, String where) {
        if (ids.shape().length != 2 || ids.shape()[1] != vocab.length)
            throw new ReferenceFormatException(f.source + ": " + where + " must be [rows, " + vocab.length + "], got "
                    + java.util.Arrays.toString(ids.shape()));
        int rows = ids.shape()[0];
        int[] all = ids.ids(f.source, where);
        List<Tensor> parts = new ArrayList<>();
        for (int field = 0; field < vocab.length; field++) {
            int[] col = new int[rows];
            for (int r = 0; r < rows; r++) {
                col[r] = all[r * vocab.length + field];
                if (col[r] >= vocab[field])
                    throw new ReferenceFormatException(f.source + ": " + where + " row " + r + " field " + field + " has id " + col[r]
                            + " but the vocabulary has " + vocab[field] + " entries");
            }
            parts.add(tables.get(field).gatherRows(Indices.wrap(col)));
        }
        return ShapeOps.concat(parts, 1);
    }

    // ---- shared ------------------------------------------------------------------------------------

    /** The inner step size: the product subtracted from a parameter given its name and gradient. */
    interface Step {
        Tensor apply(String name, Tensor grad);
    }

    /**
     * {@code steps} gradient steps from θ on a support loss: fast ← fast − step(name, ∂L/∂fast).
     * Second order keeps the gradients in the graph (createGraph); first order treats them as constants.
     */
    static Params adapt(Params theta, Function<Params, Tensor> supportLoss, int steps, Step step, boolean secondOrder) {
        Params fast = theta;
        for (int s = 0; s < steps; s++) {
            Tensor loss = supportLoss.apply(fast);
            List<Tensor> g = Autograd.grad(loss, fast.tensors(), secondOrder);
            List<String> names = fast.names();
            List<Tensor> next = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) next.add(Elementwise.sub(fast.get(names.get(i)), step.apply(names.get(i), g.get(i))));
            fast = Params.of(names, next);
        }
        return fast;
    }

    private CaseResult compare(String name, ReferenceFile f, JsonNode ref, Tensor metaLoss, Params theta, String gradsField, List<String> labels) {
        List<Tensor> grads = Autograd.grad(metaLoss, theta.tensors(), false);
        Map<String, Double> err = new LinkedHashMap<>();
        err.put("loss", CaseResult.relativeError(new float[] {metaLoss.item()}, new double[] {f.number(ref, "meta_loss")}));
        List<RefTensor> g = f.tensors(ref, gradsField, name);
        if (g.size() != grads.size())
            throw new ReferenceFormatException(f.source + ": " + name + "." + gradsField + " has " + g.size() + " tensors, expected " + grads.size());
        for (int i = 0; i < labels.size(); i++) err.put(labels.get(i), CaseResult.relativeError(grads.get(i).toArray(), g.get(i).data()));
        return new CaseResult(name, err, tolerance, null);
    }

    private static List<String> paramLabels(Mlp mlp) {
        List<String> l = new ArrayList<>();
        for (int i = 1; i <= mlp.layers().size(); i++) {
            l.add("W" + i);
            l.add("b" + i);
        }
        return l;
    }
}
