package io.metarec.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Backend;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A reference case file in the golden format (float64 values from PyTorch): every tensor is
 * {@code {"shape": [...], "data": [...]}}, row-major. Reading errors name the file and the field.
 */
public final class ReferenceFile {
    private static final ObjectMapper JSON = new ObjectMapper();

    final String source;
    final JsonNode root;

    private ReferenceFile(String source, JsonNode root) {
        this.source = source;
        this.root = root;
    }

    public static ReferenceFile read(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            return parse(path.toString(), in);
        }
    }

    public static ReferenceFile parse(String source, InputStream in) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(in);
        } catch (IOException e) {
            throw new IOException(source + ": not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) throw new IOException(source + ": expected a JSON object at the top level");
        return new ReferenceFile(source, root);
    }

    public String source() { return source; }

    /** The case name ("case", else the file name). */
    public String name() {
        JsonNode c = root.get("case");
        if (c != null && c.isTextual()) return c.asText();
        String s = source.replace('\\', '/');
        return s.substring(s.lastIndexOf('/') + 1).replaceFirst("\\.json$", "");
    }

    /** The "kind" field: ops, maml_mlp, metasgd_mlp or melu. */
    public String kind() {
        return text(root, "kind");
    }

    // ---- typed field access with clear errors ---------------------------------------------------

    JsonNode field(JsonNode node, String name) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) throw new ReferenceFormatException(source + ": missing field '" + name + "'");
        return v;
    }

    String text(JsonNode node, String name) {
        JsonNode v = field(node, name);
        if (!v.isTextual()) throw new ReferenceFormatException(source + ": field '" + name + "' must be a string");
        return v.asText();
    }

    double number(JsonNode node, String name) {
        JsonNode v = field(node, name);
        if (!v.isNumber()) throw new ReferenceFormatException(source + ": field '" + name + "' must be a number, got " + v);
        return v.asDouble();
    }

    int integer(JsonNode node, String name) {
        JsonNode v = field(node, name);
        if (!v.isIntegralNumber() || v.asInt() < 0)
            throw new ReferenceFormatException(source + ": field '" + name + "' must be a non-negative integer, got " + v);
        return v.asInt();
    }

    int[] ints(JsonNode node, String name) {
        JsonNode v = field(node, name);
        if (!v.isArray()) throw new ReferenceFormatException(source + ": field '" + name + "' must be an array of integers");
        int[] out = new int[v.size()];
        for (int i = 0; i < out.length; i++) {
            if (!v.get(i).isIntegralNumber() || v.get(i).asInt() <= 0)
                throw new ReferenceFormatException(source + ": " + name + "[" + i + "] must be a positive integer, got " + v.get(i));
            out[i] = v.get(i).asInt();
        }
        return out;
    }

    /** A tensor stored as {shape, data} (float64 values; also returned exactly as doubles). */
    RefTensor tensor(JsonNode node, String where) {
        if (node == null || !node.isObject()) throw new ReferenceFormatException(source + ": " + where + " must be a {shape, data} object");
        JsonNode s = node.get("shape"), d = node.get("data");
        if (s == null || !s.isArray()) throw new ReferenceFormatException(source + ": " + where + ".shape is missing or not an array");
        if (d == null || !d.isArray()) throw new ReferenceFormatException(source + ": " + where + ".data is missing or not an array");
        int[] shape = new int[s.size()];
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!s.get(i).isIntegralNumber() || s.get(i).asInt() < 0)
                throw new ReferenceFormatException(source + ": " + where + ".shape[" + i + "] must be a non-negative integer");
            shape[i] = s.get(i).asInt();
            n *= shape[i];
        }
        if (n != d.size())
            throw new ReferenceFormatException(source + ": " + where + " has shape " + java.util.Arrays.toString(shape) + " (" + n
                    + " values) but " + d.size() + " data values");
        double[] data = new double[d.size()];
        for (int i = 0; i < data.length; i++) {
            if (!d.get(i).isNumber()) throw new ReferenceFormatException(source + ": " + where + ".data[" + i + "] is not a number");
            data[i] = d.get(i).asDouble();
        }
        return new RefTensor(shape, data);
    }

    RefTensor tensor(JsonNode parent, String name, String where) {
        return tensor(field(parent, name), where.isEmpty() ? name : where + "." + name);
    }

    /** Like {@link #tensors(JsonNode, String, String)}, but exactly {@code count} of them. */
    List<RefTensor> tensors(JsonNode parent, String name, String where, int count) {
        List<RefTensor> out = tensors(parent, name, where);
        if (out.size() != count)
            throw new ReferenceFormatException(source + ": " + (where.isEmpty() ? "" : where + ".") + name + " has " + out.size()
                    + " tensors, expected " + count);
        return out;
    }

    /** A non-empty JSON array field (tasks, ops). */
    JsonNode nonEmptyArray(JsonNode node, String name) {
        JsonNode v = field(node, name);
        if (!v.isArray() || v.isEmpty()) throw new ReferenceFormatException(source + ": '" + name + "' must be a non-empty array");
        return v;
    }

    List<RefTensor> tensors(JsonNode parent, String name, String where) {
        JsonNode v = field(parent, name);
        if (!v.isArray()) throw new ReferenceFormatException(source + ": " + (where.isEmpty() ? "" : where + ".") + name + " must be an array of tensors");
        List<RefTensor> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) out.add(tensor(v.get(i), (where.isEmpty() ? "" : where + ".") + name + "[" + i + "]"));
        return out;
    }

    /** A reference tensor: shape and float64 values. */
    public record RefTensor(int[] shape, double[] data) {
        public Tensor toTensor(Backend backend) {
            float[] f = new float[data.length];
            for (int i = 0; i < f.length; i++) f[i] = (float) data[i];
            return Tensor.of(backend, f, shape);
        }

        /** Values as non-negative int ids (for index fields stored as numbers). */
        int[] ids(String source, String where) {
            int[] out = new int[data.length];
            for (int i = 0; i < out.length; i++) {
                double v = data[i];
                if (v != Math.rint(v) || v < 0)
                    throw new ReferenceFormatException(source + ": " + where + " value " + v + " at " + i + " is not a non-negative integer id");
                out[i] = (int) v;
            }
            return out;
        }
    }
}
