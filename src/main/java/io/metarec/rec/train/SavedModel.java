package io.metarec.rec.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metarec.autograd.Tensor;
import io.metarec.meta.MetaLearner;
import io.metarec.meta.MetaModel;
import io.metarec.nn.ParamsFile;
import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.FeatureTable;
import io.metarec.rec.data.Field;
import io.metarec.rec.data.Vocabulary;
import io.metarec.rec.model.Examples;
import io.metarec.rec.model.FeatureEncoder;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A trained recommender on disk (see {@link ParamsFile} for the container: versioned, checksummed,
 * written atomically). The header holds the {@link RecConfig}, the user and item fields with their
 * vocabularies, the item catalogue (ids, titles, feature values) — so a model recommends for a new
 * user without the training data — and the training summary; the tensors are the meta-parameters.
 */
public final class SavedModel {
    public static final String FORMAT = "metarec-recommender";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RecConfig config;
    private final FeatureEncoder encoder;
    private final List<String> itemIds;
    private final List<String> itemTitles;
    private final float meanTarget;
    private final MetaLearner<Examples> learner;
    private final JsonNode info;
    private final float[] ratingScale;
    private final int[] itemCounts;
    private final float meanRating;

    private SavedModel(RecConfig config, FeatureEncoder encoder, List<String> itemIds, List<String> itemTitles, float meanTarget,
                       MetaLearner<Examples> learner, JsonNode info, float[] ratingScale, int[] itemCounts, float meanRating) {
        this.ratingScale = ratingScale;
        this.itemCounts = itemCounts;
        this.meanRating = meanRating;
        this.config = config;
        this.encoder = encoder;
        this.itemIds = itemIds;
        this.itemTitles = itemTitles;
        this.meanTarget = meanTarget;
        this.learner = learner;
        this.info = info;
    }

    public RecConfig config() { return config; }

    public FeatureEncoder encoder() { return encoder; }

    public MetaLearner<Examples> learner() { return learner; }

    public List<String> itemIds() { return itemIds; }

    /** The item's title, or its id when the catalogue has none. */
    public String title(int item) {
        String t = itemTitles.get(item);
        return t == null ? itemIds.get(item) : t;
    }

    /** The rating scale [min, max] predicted ratings are shown in, or null (implicit feedback, or an older file). */
    public float[] ratingScale() {
        return config.feedback().implicit() || ratingScale == null ? null : ratingScale.clone();
    }

    /**
     * The [min, max] of the training data's ratings, whatever the feedback (an implicit model
     * thresholds ratings on the same scale), or null for a file written before it was recorded.
     */
    public float[] ratingRange() {
        return ratingScale == null ? null : ratingScale.clone();
    }

    /** The ranking's treatment of rarely rated items with κ, or null when the file lacks the counts (or for implicit feedback). */
    public RarityShrink rarity(double kappa) {
        return config.feedback().implicit() || itemCounts == null ? null : new RarityShrink(itemCounts, meanRating, kappa);
    }

    /** How many training ratings the item had, or −1 when the file lacks the counts (an older file). */
    public int trainingCount(int item) {
        return itemCounts == null ? -1 : itemCounts[item];
    }

    /** Training summary and dataset description recorded at save time. */
    public JsonNode info() { return info; }

    /** Catalogue index of an item id, or −1. */
    public int itemIndex(String id) {
        return itemIds.indexOf(id);
    }

    /**
     * Writes a model trained on an experiment, with what serving needs beyond the parameters: the
     * rating scale shown scores are clamped to, and each item's training-rating count and the mean
     * rating for the {@link RarityShrink} of rankings.
     */
    public static void save(Path file, RecConfig config, Experiment e, MetaLearner<Examples> learner, JsonNode info) throws IOException {
        save(file, config, e.data(), e.encoder(), e.meanTarget(), learner, info, e.tasks());
    }

    /** Writes the model (atomically: an interrupted save keeps the previous file intact). */
    public static void save(Path file, RecConfig config, Dataset data, FeatureEncoder encoder, float meanTarget,
                            MetaLearner<Examples> learner, JsonNode info) throws IOException {
        save(file, config, data, encoder, meanTarget, learner, info, null);
    }

    private static void save(Path file, RecConfig config, Dataset data, FeatureEncoder encoder, float meanTarget,
                             MetaLearner<Examples> learner, JsonNode info, TaskFactory tasks) throws IOException {
        ObjectNode h = JSON.createObjectNode();
        h.put("format", FORMAT);
        h.set("config", JSON.valueToTree(config));
        h.put("mean_target", meanTarget);
        ObjectNode ds = h.putObject("dataset");
        ds.put("name", data.name());
        ds.put("format", data.format().label());
        ds.put("users", data.numUsers());
        ds.put("items", data.numItems());
        ds.put("interactions", data.interactions().size());
        h.set("user_fields", fields(encoder.userFields()));
        FeatureTable items = encoder.items();
        h.set("item_fields", fields(items.fields()));
        ArrayNode ids = h.putArray("item_ids"), titles = h.putArray("item_titles");
        for (int i = 0; i < data.numItems(); i++) {
            ids.add(data.itemId(i));
            String t = data.title(i).orElse(null);
            if (t == null) titles.addNull();
            else titles.add(t);
        }
        ObjectNode values = h.putObject("item_values"); // per field, per item: the value labels
        for (int f = 0; f < items.fieldCount(); f++) {
            ArrayNode col = values.putArray(items.field(f).name());
            for (int i = 0; i < items.rows(); i++) {
                ArrayNode cell = col.addArray();
                for (String v : items.labels(f, i)) if (!Vocabulary.UNKNOWN_LABEL.equals(v)) cell.add(v);
            }
        }
        h.set("item_remap", JSON.valueToTree(encoder.itemRemap()));
        h.set("user_remap", JSON.valueToTree(encoder.userRemap()));
        h.put("known_items", bits(encoder.knownItems()));
        if (tasks != null) {
            h.set("rating_scale", JSON.valueToTree(tasks.ratingScale()));
            h.put("mean_rating", tasks.meanRating());
            h.set("item_counts", JSON.valueToTree(tasks.trainingCounts()));
        }
        h.put("known_users", bits(encoder.knownUsers()));
        h.set("info", info == null ? JSON.createObjectNode() : info);
        ParamsFile.save(file, h, learner.metaParams());
    }

    /**
     * Reads a model written by {@link #save}. Every part of the header is checked before it is
     * used: the configuration against its ranges, the field lists, catalogue and remaps against
     * each other, the size of the model the configuration describes against the values the file
     * holds (so a small file cannot make the loader build a huge model), and every parameter must
     * be finite. Every error is an IOException with one line naming the file and the field.
     */
    public static SavedModel load(Path file) throws IOException {
        ParamsFile.Contents c = ParamsFile.load(file);
        ObjectNode h = c.header();
        if (!FORMAT.equals(h.path("format").asText()))
            throw new IOException(file + ": a metarec file, but not a recommender model (format '" + oneLine(h.path("format").asText()) + "')");
        try {
            RecConfig config = readConfig(h.get("config"));
            List<Field> userFields = readFields(h.get("user_fields"), "user_fields");
            List<Field> itemFields = readFields(h.get("item_fields"), "item_fields");
            List<String> ids = new ArrayList<>(), titles = new ArrayList<>();
            for (JsonNode n : array(h, "item_ids")) {
                if (!n.isTextual()) throw new BadHeader("item_ids", "an item id is not a string");
                ids.add(n.asText());
            }
            JsonNode titleArray = array(h, "item_titles");
            if (titleArray.size() != ids.size())
                throw new BadHeader("item_titles", titleArray.size() + " titles for " + ids.size() + " items");
            titleArray.forEach(n -> titles.add(n.isNull() ? null : n.asText()));
            JsonNode values = h.get("item_values");
            if (values == null || !values.isObject()) throw new BadHeader("item_values", "missing or not an object");
            FeatureTable.Builder b = new FeatureTable.Builder();
            for (Field f : itemFields) {
                b.declare(f.name(), f.kind(), f.vocabulary().values());
                JsonNode col = values.get(f.name());
                if (col == null || !col.isArray() || col.size() != ids.size())
                    throw new BadHeader("item_values", "field '" + f.name() + "' needs one cell per item (" + ids.size() + ")");
                for (int i = 0; i < ids.size(); i++) {
                    JsonNode cell = col.get(i);
                    if (!cell.isArray()) throw new BadHeader("item_values", "field '" + f.name() + "', item " + i + ": not a list of values");
                    List<String> v = new ArrayList<>();
                    for (JsonNode x : cell) {
                        if (!f.vocabulary().contains(x.asText()))
                            throw new BadHeader("item_values", "field '" + f.name() + "', item " + i + ": '" + oneLine(x.asText()) + "' is not in its vocabulary");
                        v.add(x.asText());
                    }
                    b.set(f.name(), i, v);
                }
            }
            int[][] itemRemap = h.hasNonNull("item_remap") ? readRemap(h.get("item_remap"), itemFields, "item_remap") : null;
            int[][] userRemap = h.hasNonNull("user_remap") ? readRemap(h.get("user_remap"), userFields, "user_remap") : null;
            boolean[] knownItems = h.hasNonNull("known_items") ? unbits(h.get("known_items").asText(), ids.size(), "known_items") : null;
            boolean[] knownUsers = h.hasNonNull("known_users") ? unbits(h.get("known_users").asText(), -1, "known_users") : null;
            FeatureEncoder enc = new FeatureEncoder(userFields, b.build(ids.size()), itemRemap, userRemap, knownItems, knownUsers);
            float mean = finite(h, "mean_target", Float.NaN);
            MetaModel<Examples> model = Learners.model(config, enc, mean);
            // The configuration and vocabularies come from the header: check the model they describe
            // against the values the file holds before allocating it.
            long need = model.parameterCount(), have = 0;
            for (Tensor t : c.params().tensors()) have += t.size();
            if (need > have)
                throw new BadHeader(null, "the config describes a model of " + need + " parameters, but the file holds only " + have + " values");
            for (String n : c.params().names()) {
                float[] v = c.params().get(n).toArray();
                for (int k = 0; k < v.length; k++)
                    if (!Float.isFinite(v[k])) throw new BadHeader(null, "parameter '" + oneLine(n) + "' holds " + v[k] + " at index " + k + " (training diverged, or the file was altered)");
            }
            MetaLearner<Examples> learner = Learners.learner(config, model);
            try {
                learner.load(c.params());
            } catch (IllegalArgumentException e) {
                throw new BadHeader(null, "the parameters do not fit the configuration: " + e.getMessage());
            }
            float[] scale = null;
            if (h.hasNonNull("rating_scale")) {
                JsonNode s = h.get("rating_scale");
                if (!s.isArray() || s.size() != 2 || !s.get(0).isNumber() || !s.get(1).isNumber())
                    throw new BadHeader("rating_scale", "must be [min, max]");
                scale = new float[] {(float) s.get(0).asDouble(), (float) s.get(1).asDouble()};
                if (!Float.isFinite(scale[0]) || !Float.isFinite(scale[1]) || !(scale[0] <= scale[1]))
                    throw new BadHeader("rating_scale", "must be [min, max] with finite min ≤ max");
            }
            int[] counts = null;
            if (h.hasNonNull("item_counts")) {
                JsonNode a = array(h, "item_counts");
                if (a.size() != ids.size()) throw new BadHeader("item_counts", a.size() + " entries for " + ids.size() + " items");
                counts = new int[a.size()];
                for (int i = 0; i < counts.length; i++) {
                    JsonNode x = a.get(i);
                    if (!x.canConvertToInt() || !x.isIntegralNumber() || x.asInt() < 0)
                        throw new BadHeader("item_counts", "entry " + i + " is not a count: " + oneLine(x.toString()));
                    counts[i] = x.asInt();
                }
            }
            float meanRating = finite(h, "mean_rating", mean);
            return new SavedModel(config, enc, ids, titles, mean, learner, h.get("info"), scale, counts, meanRating);
        } catch (BadHeader e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IOException(file + ": cannot rebuild the model from its header: " + oneLine(e.getMessage() == null ? e.toString() : e.getMessage()), e);
        }
    }

    /** A problem with one field of the header; the message names the field. */
    private static final class BadHeader extends RuntimeException {
        BadHeader(String field, String problem) {
            super(field == null ? problem : "header field " + field + ": " + problem);
        }

        BadHeader(String message) {
            super(message);
        }
    }

    private static RecConfig readConfig(JsonNode n) {
        if (n == null || !n.isObject()) throw new BadHeader("config", "missing or not an object");
        try {
            return JSON.treeToValue(n, RecConfig.class);
        } catch (com.fasterxml.jackson.databind.JsonMappingException e) {
            // A constructor's check (RecConfig's ranges, Feedback's) or a value of the wrong type.
            for (Throwable t = e; t != null; t = t.getCause())
                if (t instanceof RecConfig.InvalidField f) throw new BadHeader("config field " + f.field() + ": " + f.getMessage());
            StringBuilder path = new StringBuilder();
            for (com.fasterxml.jackson.databind.JsonMappingException.Reference r : e.getPath())
                if (r.getFieldName() != null) path.append(path.isEmpty() ? "" : ".").append(r.getFieldName());
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) root = root.getCause();
            String why = root != e && root.getMessage() != null ? root.getMessage() : e.getOriginalMessage();
            throw new BadHeader((path.isEmpty() ? "config" : "config field " + path) + ": " + oneLine(why));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new BadHeader("config: " + oneLine(e.getOriginalMessage()));
        }
    }

    private static JsonNode array(ObjectNode h, String field) {
        JsonNode a = h.get(field);
        if (a == null || !a.isArray()) throw new BadHeader(field, "missing or not a list");
        return a;
    }

    private static float finite(ObjectNode h, String field, float fallback) {
        JsonNode x = h.get(field);
        if (x == null || x.isNull()) {
            if (Float.isNaN(fallback)) throw new BadHeader(field, "missing");
            return fallback;
        }
        float v = (float) x.asDouble(Double.NaN);
        if (!x.isNumber() || !Float.isFinite(v)) throw new BadHeader(field, "not a finite number: " + oneLine(x.toString()));
        return v;
    }

    /** Remaps per field: one row per field, each id a valid id of that field's vocabulary. */
    private static int[][] readRemap(JsonNode a, List<Field> fields, String name) {
        if (!a.isArray() || a.size() != fields.size()) throw new BadHeader(name, "needs one list per field (" + fields.size() + ")");
        int[][] out = new int[fields.size()][];
        for (int f = 0; f < out.length; f++) {
            JsonNode row = a.get(f);
            int vocab = fields.get(f).vocabulary().size();
            if (!row.isArray() || row.size() > vocab)
                throw new BadHeader(name, "field '" + fields.get(f).name() + "': needs at most one id per value (" + vocab + ")");
            out[f] = new int[row.size()];
            for (int k = 0; k < out[f].length; k++) {
                JsonNode x = row.get(k);
                if (!x.isIntegralNumber() || !x.canConvertToInt() || x.asInt() < 0 || x.asInt() >= vocab)
                    throw new BadHeader(name, "field '" + fields.get(f).name() + "': entry " + k + " is not an id below " + vocab + ": " + oneLine(x.toString()));
                out[f][k] = x.asInt();
            }
        }
        return out;
    }

    /** The first line of a message, at most 200 characters (Jackson's messages run over lines). */
    static String oneLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        String t = nl >= 0 ? s.substring(0, nl) : s;
        return t.length() > 200 ? t.substring(0, 199) + "…" : t;
    }

    /** Flags as a string of '0' and '1' (compact in the JSON header). */
    private static String bits(boolean[] flags) {
        StringBuilder b = new StringBuilder(flags.length);
        for (boolean f : flags) b.append(f ? '1' : '0');
        return b.toString();
    }

    private static boolean[] unbits(String s, int expected, String what) {
        if (expected >= 0 && s.length() != expected)
            throw new BadHeader(what, s.length() + " flags, expected " + expected);
        boolean[] out = new boolean[s.length()];
        for (int i = 0; i < out.length; i++) {
            char c = s.charAt(i);
            if (c != '0' && c != '1') throw new BadHeader(what, "flag " + i + " is '" + c + "', not 0 or 1");
            out[i] = c == '1';
        }
        return out;
    }

    private static ArrayNode fields(List<Field> fields) {
        ArrayNode a = JSON.createArrayNode();
        for (Field f : fields) {
            ObjectNode o = a.addObject();
            o.put("name", f.name());
            o.put("kind", f.kind().name());
            ArrayNode v = o.putArray("values");
            f.vocabulary().values().forEach(v::add);
        }
        return a;
    }

    /** Most fields per side (the datasets here have up to a dozen). */
    static final int MAX_FIELDS = 1000;

    private static List<Field> readFields(JsonNode a, String name) {
        if (a == null || !a.isArray()) throw new BadHeader(name, "missing or not a list");
        if (a.size() > MAX_FIELDS) throw new BadHeader(name, a.size() + " fields (at most " + MAX_FIELDS + ")");
        List<Field> out = new ArrayList<>();
        for (JsonNode o : a) {
            if (!o.isObject() || !o.path("name").isTextual() || !o.path("values").isArray())
                throw new BadHeader(name, "each field needs a name and a list of values");
            String field = o.get("name").asText();
            Field.Kind kind;
            try {
                kind = Field.Kind.valueOf(o.path("kind").asText());
            } catch (IllegalArgumentException e) {
                throw new BadHeader(name, "field '" + oneLine(field) + "': kind '" + oneLine(o.path("kind").asText()) + "' is not one of "
                        + java.util.Arrays.toString(Field.Kind.values()));
            }
            List<String> values = new ArrayList<>();
            o.get("values").forEach(v -> values.add(v.asText()));
            try {
                out.add(new Field(field, kind, Vocabulary.ordered(values)));
            } catch (IllegalArgumentException e) {
                throw new BadHeader(name, "field '" + oneLine(field) + "': " + oneLine(e.getMessage()));
            }
        }
        return out;
    }
}
