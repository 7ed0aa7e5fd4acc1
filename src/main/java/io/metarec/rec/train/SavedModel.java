package io.metarec.rec.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metarec.meta.MetaLearner;
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

    public static SavedModel load(Path file) throws IOException {
        ParamsFile.Contents c = ParamsFile.load(file);
        ObjectNode h = c.header();
        if (!FORMAT.equals(h.path("format").asText()))
            throw new IOException(file + ": a metarec file, but not a recommender model (format '" + h.path("format").asText() + "')");
        try {
            RecConfig config = JSON.treeToValue(h.get("config"), RecConfig.class);
            List<Field> userFields = readFields(h.get("user_fields"));
            List<Field> itemFields = readFields(h.get("item_fields"));
            List<String> ids = new ArrayList<>(), titles = new ArrayList<>();
            h.get("item_ids").forEach(n -> ids.add(n.asText()));
            h.get("item_titles").forEach(n -> titles.add(n.isNull() ? null : n.asText()));
            FeatureTable.Builder b = new FeatureTable.Builder();
            for (Field f : itemFields) {
                b.declare(f.name(), f.kind(), f.vocabulary().values());
                JsonNode col = h.get("item_values").get(f.name());
                for (int i = 0; i < ids.size(); i++) {
                    List<String> v = new ArrayList<>();
                    col.get(i).forEach(x -> v.add(x.asText()));
                    b.set(f.name(), i, v);
                }
            }
            int[][] itemRemap = h.hasNonNull("item_remap") ? JSON.treeToValue(h.get("item_remap"), int[][].class) : null;
            int[][] userRemap = h.hasNonNull("user_remap") ? JSON.treeToValue(h.get("user_remap"), int[][].class) : null;
            boolean[] knownItems = h.hasNonNull("known_items") ? unbits(h.get("known_items").asText(), ids.size(), "known_items") : null;
            boolean[] knownUsers = h.hasNonNull("known_users") ? unbits(h.get("known_users").asText(), -1, "known_users") : null;
            FeatureEncoder enc = new FeatureEncoder(userFields, b.build(ids.size()), itemRemap, userRemap, knownItems, knownUsers);
            float mean = (float) h.get("mean_target").asDouble();
            MetaLearner<Examples> learner = Learners.learner(config, Learners.model(config, enc, mean));
            learner.load(c.params());
            float[] scale = h.hasNonNull("rating_scale") ? JSON.treeToValue(h.get("rating_scale"), float[].class) : null;
            if (scale != null && (scale.length != 2 || !(scale[0] <= scale[1]))) throw new IllegalArgumentException("rating_scale must be [min, max]");
            int[] counts = h.hasNonNull("item_counts") ? JSON.treeToValue(h.get("item_counts"), int[].class) : null;
            if (counts != null && counts.length != ids.size())
                throw new IllegalArgumentException("item_counts has " + counts.length + " entries for " + ids.size() + " items");
            float meanRating = (float) h.path("mean_rating").asDouble(mean);
            return new SavedModel(config, enc, ids, titles, mean, learner, h.get("info"), scale, counts, meanRating);
        } catch (IOException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new IOException(file + ": cannot rebuild the model from its header: " + (e.getMessage() == null ? e : e.getMessage()), e);
        }
    }

    /** Flags as a string of '0' and '1' (compact in the JSON header). */
    private static String bits(boolean[] flags) {
        StringBuilder b = new StringBuilder(flags.length);
        for (boolean f : flags) b.append(f ? '1' : '0');
        return b.toString();
    }

    private static boolean[] unbits(String s, int expected, String what) {
        if (expected >= 0 && s.length() != expected)
            throw new IllegalArgumentException(what + " has " + s.length() + " flags, expected " + expected);
        boolean[] out = new boolean[s.length()];
        for (int i = 0; i < out.length; i++) {
            char c = s.charAt(i);
            if (c != '0' && c != '1') throw new IllegalArgumentException(what + ": flag " + i + " is '" + c + "', not 0 or 1");
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

    private static List<Field> readFields(JsonNode a) {
        List<Field> out = new ArrayList<>();
        for (JsonNode o : a) {
            List<String> values = new ArrayList<>();
            o.get("values").forEach(v -> values.add(v.asText()));
            out.add(new Field(o.get("name").asText(), Field.Kind.valueOf(o.get("kind").asText()), Vocabulary.ordered(values)));
        }
        return out;
    }
}
