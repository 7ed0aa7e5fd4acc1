package io.metarec.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metarec.autograd.Tensor;
import io.metarec.meta.LearnerConfig;
import io.metarec.nn.Params;
import io.metarec.nn.ParamsFile;
import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import io.metarec.rec.model.FeatureEncoder;
import io.metarec.rec.split.MeluProtocol;
import io.metarec.rec.train.Experiment;
import io.metarec.rec.train.Feedback;
import io.metarec.rec.train.Learners;
import io.metarec.rec.train.RecConfig;
import io.metarec.rec.train.Recommendations;
import io.metarec.rec.train.SavedModel;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzing the model loader ({@link SavedModel#load}, through {@link ParamsFile#load}) on three
 * small valid models (MeLU with identities under MAML with LSLR, the metric model under Meta-SGD,
 * MeLU without identities under LEO), damaged at four levels:
 * <ul>
 *   <li>raw bytes ({@link Mutation}s, checksum left as it is): the checksum must catch them;</li>
 *   <li>raw bytes with the checksum recomputed: declared lengths, counts, ranks, shapes and the
 *       JSON header are then read as an attacker wrote them;</li>
 *   <li>the JSON header edited (a node replaced by a huge, negative, wrong-typed or empty value,
 *       removed, duplicated, cut) and the file re-sealed;</li>
 *   <li>the tensors edited (reshaped, dropped, renamed, added, NaN/∞/1e30 values) and re-sealed.</li>
 * </ul>
 * Every file must load or be refused with an IOException (one line naming the file); a file that
 * loads must then adapt to a new user and rank the catalogue, or fail with an ArithmeticException
 * (non-finite values, which the CLI reports as a damaged model). In a full run the class has its
 * own JVM with a 256 MiB heap, so a declared size that is allocated without a check fails.
 */
@AddLifecycleHook(Fuzz.Settings.class)
class ModelFileFuzzTest {
    static Path root;
    static final List<byte[]> models = new ArrayList<>();
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeContainer
    static void writeModels() throws IOException {
        root = Files.createTempDirectory("metarec-fuzz-models");
        System.out.println("fuzz JVM: max heap " + Fuzz.heapMiB() + " MiB");
        Dataset d = Synthetic.generate(SyntheticConfig.of(120, 60, 7)).dataset();
        Experiment e = Experiment.of(d, MeluProtocol.defaults().split(d), Feedback.explicit(), 0.1, 3);
        RecConfig base = new RecConfig("melu", 4, List.of(8), Feedback.explicit(), "maml", 2, 0.01f, 1e-3f, 8, 1, 0, 0.1,
                LearnerConfig.Execution.PER_TASK, 3, true, true, true, true, true);
        List<RecConfig> configs = List.of(base,
                new RecConfig("metric", 4, List.of(6), Feedback.explicit(), "metasgd", 1, 0.01f, 1e-3f, 8, 1, 0, 0.1, LearnerConfig.Execution.PER_TASK, 3, true, false, true, false, false),
                new RecConfig("melu", 4, List.of(8, 4), Feedback.implicit(4, 1), "leo", 1, 0.01f, 1e-3f, 8, 1, 0, 0.1, LearnerConfig.Execution.PER_TASK, 3, false, false, false, false, false));
        for (int k = 0; k < configs.size(); k++) {
            RecConfig c = configs.get(k);
            Path f = root.resolve("model" + k + ".metarec");
            SavedModel.save(f, c, e, Learners.learner(c, Learners.model(c, e.encoder(), e.meanTarget())), null);
            models.add(Files.readAllBytes(f));
            use(SavedModel.load(f)); // the undamaged models load and recommend
        }
    }

    @AfterContainer
    static void deleteModels() throws IOException {
        Fuzz.deleteTree(root);
    }

    /** What recommend does with a loaded model: adapt to one rating, rank the catalogue. */
    static void use(SavedModel m) {
        FeatureEncoder enc = m.encoder();
        int steps = Math.min(m.config().innerSteps(), 3);
        Recommendations.topK(m.learner(), enc, enc.profile(Map.of()), new int[] {0}, new float[] {4f}, steps, 3, m.ratingScale(), m.rarity(5));
    }

    /** Loads {@code bytes} as a model file and uses it; the outcome for the statistics. */
    static String loadAndUse(String input, byte[] bytes) throws IOException {
        Path f = root.resolve("case.metarec");
        Files.write(f, bytes);
        return Fuzz.check(input, () -> {
            SavedModel m;
            try {
                m = SavedModel.load(f);
            } catch (IOException e) {
                assertTrue(e.getMessage() != null && e.getMessage().startsWith(f.toString()), "the error names the file: " + e);
                assertTrue(!e.getMessage().contains("not enough memory") && !e.getMessage().contains("heap"),
                        "a small file never needs a large heap: " + e.getMessage());
                throw e;
            }
            use(m);
        }, IOException.class, ArithmeticException.class);
    }

    /** The body with a fresh SHA-256 appended (what an attacker who knows the format writes). */
    static byte[] seal(byte[] body) {
        try {
            byte[] sum = MessageDigest.getInstance("SHA-256").digest(body);
            byte[] out = Arrays.copyOf(body, body.length + sum.length);
            System.arraycopy(sum, 0, out, body.length, sum.length);
            return out;
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] body(byte[] file) {
        return Arrays.copyOf(file, file.length - 32);
    }

    @Provide
    Arbitrary<List<Mutation>> mutations() {
        return Mutation.some(3);
    }

    @Property(tries = 200, seed = "20261202")
    void rawDamageIsCaughtByTheChecksum(@ForAll @IntRange(min = 0, max = 2) int model, @ForAll("mutations") List<Mutation> ms) throws IOException {
        String outcome = loadAndUse("model" + model + " raw " + ms, Mutation.applyAll(ms, models.get(model)));
        Statistics.label("outcome").collect(outcome);
    }

    @Property(tries = 500, seed = "20261202")
    void resealedBytesAreReadOrRefusedCleanly(@ForAll @IntRange(min = 0, max = 2) int model, @ForAll("mutations") List<Mutation> ms) throws IOException {
        String outcome = loadAndUse("model" + model + " resealed " + ms, seal(Mutation.applyAll(ms, body(models.get(model)))));
        Statistics.label("outcome").collect(outcome);
    }

    // ------------------------------------------------------------------ header edits

    /** A change to one node of the JSON header: {@code inConfig} aims at the configuration, else any node. */
    record HeaderEdit(boolean inConfig, double at, Kind kind, int value) {
        enum Kind { REPLACE, REMOVE, DUPLICATE_ELEMENT, CUT_ARRAY }

        static final List<JsonNode> VALUES;

        static {
            JsonNodeFactory f = JsonNodeFactory.instance;
            ArrayNode big = f.arrayNode();
            for (int k = 0; k < 16; k++) big.add(4096);
            ArrayNode many = f.arrayNode();
            for (int k = 0; k < 100_000; k++) many.add(k);
            VALUES = List.of(f.numberNode(2_000_000_000), f.numberNode(-1), f.numberNode(0), f.numberNode(1), f.numberNode(1024),
                    f.numberNode(Long.MAX_VALUE), f.numberNode(1e308), f.numberNode(-1e-300), f.numberNode(Double.NaN), f.numberNode(Double.POSITIVE_INFINITY),
                    f.textNode(""), f.textNode("x"), f.textNode("2000000000"), f.textNode("CATEGORICAL"), f.textNode("MULTI"), f.textNode("maml"),
                    f.textNode("metric"), f.textNode("<unknown>"), f.textNode("z".repeat(100_000)), f.nullNode(), f.booleanNode(true),
                    f.arrayNode(), f.objectNode(), big, many);
        }

        static Arbitrary<HeaderEdit> arbitrary() {
            return Combinators.combine(Arbitraries.of(true, false), Arbitraries.doubles().between(0, 1), Arbitraries.of(Kind.values()),
                    Arbitraries.integers().between(0, VALUES.size() - 1)).as(HeaderEdit::new);
        }

        void apply(ObjectNode header) {
            List<JsonNode[]> nodes = new ArrayList<>(); // {parent, child}
            collect(inConfig && header.has("config") ? header.get("config") : header, nodes);
            if (nodes.isEmpty()) return;
            JsonNode[] pc = nodes.get((int) Math.min(nodes.size() - 1, Math.floor(at * nodes.size())));
            JsonNode parent = pc[0], child = pc[1];
            switch (kind) {
                case REPLACE -> replace(parent, child, VALUES.get(value).deepCopy());
                case REMOVE -> {
                    if (parent instanceof ObjectNode o) o.remove(name(o, child));
                    else if (parent instanceof ArrayNode a) a.remove(index(a, child));
                }
                case DUPLICATE_ELEMENT -> {
                    if (child instanceof ArrayNode a && !a.isEmpty()) a.add(a.get(value % a.size()).deepCopy());
                    else if (parent instanceof ArrayNode a) a.add(child.deepCopy());
                }
                case CUT_ARRAY -> {
                    if (child instanceof ArrayNode a) while (a.size() > value % (a.size() + 1)) a.remove(a.size() - 1);
                }
            }
        }

        private static void collect(JsonNode node, List<JsonNode[]> out) {
            if (node.isObject()) for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
                JsonNode c = it.next();
                out.add(new JsonNode[] {node, c});
                collect(c, out);
            }
            else if (node.isArray()) for (JsonNode c : node) {
                out.add(new JsonNode[] {node, c});
                collect(c, out);
            }
        }

        private static String name(ObjectNode o, JsonNode child) {
            for (var e : o.properties()) if (e.getValue() == child) return e.getKey();
            throw new IllegalStateException();
        }

        private static int index(ArrayNode a, JsonNode child) {
            for (int i = 0; i < a.size(); i++) if (a.get(i) == child) return i;
            throw new IllegalStateException();
        }

        private static void replace(JsonNode parent, JsonNode child, JsonNode with) {
            if (parent instanceof ObjectNode o) o.set(name(o, child), with);
            else if (parent instanceof ArrayNode a) a.set(index(a, child), with);
        }
    }

    @Provide
    Arbitrary<List<HeaderEdit>> headerEdits() {
        return HeaderEdit.arbitrary().list().ofMinSize(1).ofMaxSize(3);
    }

    @Property(tries = 600, seed = "20261202")
    void editedHeadersAreReadOrRefusedCleanly(@ForAll @IntRange(min = 0, max = 2) int model, @ForAll("headerEdits") List<HeaderEdit> edits) throws IOException {
        Path src = root.resolve("src.metarec");
        Files.write(src, models.get(model));
        ParamsFile.Contents c = ParamsFile.load(src);
        for (HeaderEdit e : edits) e.apply(c.header());
        Path f = root.resolve("edited.metarec");
        ParamsFile.save(f, c.header(), c.params());
        String outcome = loadAndUse("model" + model + " header " + edits, Files.readAllBytes(f));
        Statistics.label("outcome").collect(outcome);
    }

    // ------------------------------------------------------------------ tensor edits

    record TensorEdit(double at, Kind kind, int size) {
        enum Kind { GROW_DIM, SHRINK_DIM, ADD_DIM, SCALAR, DROP, RENAME, ADD, NAN, INFINITY, HUGE }

        static Arbitrary<TensorEdit> arbitrary() {
            return Combinators.combine(Arbitraries.doubles().between(0, 1), Arbitraries.of(Kind.values()), Arbitraries.integers().between(0, 5))
                    .as(TensorEdit::new);
        }

        Params apply(Params p) {
            List<String> names = p.names();
            String n = names.get((int) Math.min(names.size() - 1, Math.floor(at * names.size())));
            Tensor t = p.get(n);
            int[] shape = t.shape();
            float[] v = t.toArray();
            return switch (kind) {
                case GROW_DIM, SHRINK_DIM, ADD_DIM, SCALAR -> {
                    int[] s = switch (kind) {
                        case GROW_DIM -> shape.length == 0 ? new int[] {size + 2} : withDim(shape, shape[0] + 1 + size);
                        case SHRINK_DIM -> shape.length == 0 ? new int[] {0} : withDim(shape, Math.max(0, shape[0] - 1 - size));
                        case ADD_DIM -> { int[] x = Arrays.copyOf(shape, shape.length + 1); x[shape.length] = 1 + size; yield x; }
                        default -> new int[0];
                    };
                    long count = 1;
                    for (int d : s) count *= d;
                    yield p.with(n, Tensor.of(Arrays.copyOf(v, (int) count), s));
                }
                case DROP -> p.filter(x -> !x.equals(n));
                case RENAME -> p.filter(x -> !x.equals(n)).with(n + ".x", t);
                case ADD -> p.with("extra." + size, Tensor.zeros(1 + size));
                default -> {
                    float[] w = v.clone();
                    if (w.length > 0) w[size % w.length] = kind == Kind.NAN ? Float.NaN : kind == Kind.INFINITY ? Float.NEGATIVE_INFINITY : 1e30f;
                    else yield p;
                    Arrays.fill(w, kind == Kind.HUGE ? 1e30f : w[0]);
                    yield p.with(n, Tensor.of(w, shape));
                }
            };
        }

        private static int[] withDim(int[] shape, int first) {
            int[] s = shape.clone();
            s[0] = first;
            return s;
        }
    }

    @Provide
    Arbitrary<List<TensorEdit>> tensorEdits() {
        return TensorEdit.arbitrary().list().ofMinSize(1).ofMaxSize(3);
    }

    @Property(tries = 400, seed = "20261202")
    void editedTensorsAreReadOrRefusedCleanly(@ForAll @IntRange(min = 0, max = 2) int model, @ForAll("tensorEdits") List<TensorEdit> edits) throws IOException {
        Path src = root.resolve("src.metarec");
        Files.write(src, models.get(model));
        ParamsFile.Contents c = ParamsFile.load(src);
        Params p = c.params();
        for (TensorEdit e : edits) p = e.apply(p);
        Path f = root.resolve("edited.metarec");
        ParamsFile.save(f, c.header(), p);
        String outcome = loadAndUse("model" + model + " tensors " + edits, Files.readAllBytes(f));
        Statistics.label("outcome").collect(outcome);
    }

    // ------------------------------------------------------------------ the reproducers of issue 11

    /** A sealed file declaring one tensor of shape [2^30, 2^30] in a few bytes: refused before any allocation. */
    @Example
    void aHugeDeclaredShapeIsRefusedWithoutAllocating() throws Exception {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        java.io.DataOutputStream o = new java.io.DataOutputStream(b);
        o.write("METAREC\0".getBytes(StandardCharsets.US_ASCII));
        o.writeInt(1);
        byte[] h = JSON.writeValueAsBytes(JSON.createObjectNode().put("format", SavedModel.FORMAT));
        o.writeInt(h.length);
        o.write(h);
        o.writeInt(1);
        o.writeUTF("mlp.fc1.weight");
        o.writeInt(2);
        o.writeInt(1 << 30);
        o.writeInt(1 << 30);
        o.write(new byte[64]);
        Path f = root.resolve("huge-shape.metarec");
        Files.write(f, seal(b.toByteArray()));
        IOException e = assertThrows(IOException.class, () -> SavedModel.load(f));
        assertTrue(e.getMessage().contains("declares shape [1073741824, 1073741824] but only 64 bytes remain"), e.getMessage());
    }

    /** A file of more than 2 GiB (sparse: no disk space) is refused by its size or checksum, never read whole. */
    @Example
    void aFileOverTwoGibibytesIsNotReadIntoMemory() throws Exception {
        Path f = root.resolve("big.metarec");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.write(Arrays.copyOf(models.get(0), 64));
            raf.setLength((5L << 30) / 2); // 2.5 GiB
        }
        IOException e = assertThrows(IOException.class, () -> SavedModel.load(f));
        assertTrue(e.getMessage().contains("more than this JVM's whole heap") || e.getMessage().contains("checksum mismatch"), e.getMessage());
        Files.delete(f);
    }
}
