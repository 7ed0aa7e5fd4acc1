package io.metarec.rec.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metarec.autograd.Tensor;
import io.metarec.meta.MetaLearner;
import io.metarec.nn.Params;
import io.metarec.nn.ParamsFile;
import io.metarec.optim.Optimizer;
import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.FeatureTable;
import io.metarec.rec.data.Field;
import io.metarec.rec.data.Interactions;
import io.metarec.rec.split.ColdStartSplit;
import io.metarec.rec.split.UserTask;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a {@link RecTrainer} run stands after a completed epoch: everything it needs to continue
 * bitwise as if it had never stopped. {@code train} writes one after every epoch
 * ({@code MODEL.ckpt} beside the model, atomically through {@link ParamsFile}) and
 * {@code train --resume} continues from it.
 *
 * <p>What continuing bitwise takes: the learner's {@link MetaLearner.TrainingState} (meta-parameters,
 * the outer optimizer's moments and step count, the meta-step count that keys a stochastic
 * learner's noise); early stopping's state (best epoch, its parameters, the best and the smoothed
 * validation loss, epochs since the best); the losses divergence is measured against; the learning
 * curve; and the task order's random stream. That stream is a {@link java.util.SplittableRandom},
 * which does not expose its state: its state is the seed and the shuffles drawn from it, so the
 * checkpoint lists the size of each shuffle ({@code shuffles}) and resuming replays them. Each
 * epoch's tasks are a function of (seed, user, epoch) and need nothing saved.
 *
 * @param epoch        epochs completed (1 or more)
 * @param finished     training had ended after this epoch (its last epoch, or early stopping): resuming only writes the model
 * @param stoppedEarly it ended by early stopping
 * @param curve        the completed epochs
 * @param bestEpoch    the epoch early stopping keeps so far (0: the initial parameters)
 * @param bestLoss     its smoothed validation loss
 * @param smoothedLoss the smoothed validation loss after {@code epoch}
 * @param sinceBest    epochs since the best one
 * @param initialLoss  epoch 0's validation loss (NaN without validation users)
 * @param referenceLoss what divergence is measured against
 * @param bestParams   the meta-parameters of {@code bestEpoch}
 * @param learner      the learner's state after {@code epoch}
 * @param shuffles     the size of each shuffle drawn from the task-order stream so far
 */
public record Checkpoint(int epoch, boolean finished, boolean stoppedEarly, List<RecTrainer.Epoch> curve, int bestEpoch, double bestLoss,
                         double smoothedLoss, int sinceBest, double initialLoss, double referenceLoss, Params bestParams,
                         MetaLearner.TrainingState learner, int[] shuffles) {
    public static final String FORMAT = "metarec-checkpoint";
    /**
     * 2: early stopping scores each validation user on several re-dealt queries
     * ({@link Experiment#VALIDATION_FOLDS}); a version-1 checkpoint's losses were taken on one
     * query each, and continuing it would compare the two.
     */
    public static final int VERSION = 2;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String META = "meta/", BEST = "best/", OPTIMIZER = "optimizer/";

    public Checkpoint {
        curve = List.copyOf(curve);
        shuffles = shuffles.clone();
    }

    @Override public int[] shuffles() { return shuffles.clone(); }

    /** The checkpoint of the model file {@code model}: {@code MODEL.ckpt} beside it. */
    public static Path fileFor(Path model) {
        return Path.of(model + ".ckpt");
    }

    /** Removes a checkpoint file and the temporaries killed saves of it left (those of live writers stay). */
    public static void delete(Path file) throws IOException {
        java.nio.file.Files.deleteIfExists(file);
        Path abs = file.toAbsolutePath().normalize();
        io.metarec.util.AtomicFiles.removeStale(abs.getParent(), abs.getFileName().toString());
    }

    /**
     * What a run must share with the one that wrote a checkpoint to continue it: the configuration
     * (every {@link RecConfig} field), the data as loaded (ids, interactions, features: SHA-256),
     * the split and its training and validation tasks (SHA-256) and the backend (the CPU backends
     * round differently from each other and from CUDA).
     */
    public record Fingerprint(JsonNode config, String data, String split, String backend) {
        /** The fingerprint of training {@code c} on {@code e} on the backend named {@code backend}. */
        public static Fingerprint of(RecConfig c, Experiment e, String backend) {
            JsonNode config;
            try { // as written and read back (a float field reads back as a double node), so it compares equal to a checkpoint's
                config = JSON.readTree(JSON.writeValueAsBytes(c));
            } catch (IOException x) {
                throw new UncheckedIOException(x);
            }
            return new Fingerprint(config, dataHash(e.data()), splitHash(e.split(), e.trainValidation()), backend);
        }

        /**
         * A checkpoint's configuration with the fields it predates added as a file without them reads
         * (RecConfig's value for an absent field: {@code outerOptimizer} ADAM, what such runs trained
         * with), so a run of this version continues it; the fields it has stay as written.
         */
        static JsonNode withAbsentDefaults(JsonNode config) {
            if (!(config instanceof ObjectNode written)) return config;
            JsonNode full;
            try {
                full = JSON.readTree(JSON.writeValueAsBytes(JSON.treeToValue(written, RecConfig.class)));
            } catch (IOException | RuntimeException e) {
                return config; // not a configuration this version reads: compared as written, difference() names the field
            }
            ObjectNode out = written.deepCopy();
            for (Iterator<String> it = full.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!out.has(f)) out.set(f, full.get(f));
            }
            return out;
        }

        /** What differs between this (a checkpoint's) and {@code now}, in words; null when nothing does. */
        public String difference(Fingerprint now) {
            for (Iterator<String> it = config.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                JsonNode was = config.get(f), is = now.config.get(f);
                if (is == null) return "config field " + f + " = " + was + ", which this version does not have";
                if (!was.equals(is)) return "config field " + f + " = " + was + " (now " + is + ")";
            }
            for (Iterator<String> it = now.config.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!config.has(f)) return "no config field " + f + " (now " + now.config.get(f) + ")";
            }
            if (!data.equals(now.data)) return "other data (the dataset's contents differ)";
            if (!split.equals(now.split)) return "another split (its training or validation users differ)";
            if (!backend.equals(now.backend)) return "backend " + backend + " (now " + now.backend + ")";
            return null;
        }

        ObjectNode toJson() {
            ObjectNode o = JSON.createObjectNode();
            o.set("config", config);
            o.put("data_sha256", data);
            o.put("split_sha256", split);
            o.put("backend", backend);
            return o;
        }
    }

    /** A checkpoint read from a file, with the fingerprint of the run that wrote it. */
    public record Saved(Checkpoint state, Fingerprint fingerprint) {}

    /** Writes this checkpoint atomically (a temporary file renamed into place; a killed save leaves the previous one whole). */
    public void save(Path file, Fingerprint fingerprint) throws IOException {
        ObjectNode h = JSON.createObjectNode();
        h.put("format", FORMAT);
        h.put("version", VERSION);
        h.set("fingerprint", fingerprint.toJson());
        h.put("epoch", epoch);
        h.put("finished", finished);
        h.put("stopped_early", stoppedEarly);
        h.put("best_epoch", bestEpoch);
        number(h, "best_loss", bestLoss);
        number(h, "smoothed_loss", smoothedLoss);
        h.put("since_best", sinceBest);
        number(h, "initial_loss", initialLoss);
        number(h, "reference_loss", referenceLoss);
        h.put("meta_steps", learner.metaSteps());
        h.put("skipped_tasks", learner.skippedTasks());
        h.put("optimizer", learner.optimizer().kind());
        h.put("optimizer_steps", learner.optimizer().steps());
        ArrayNode s = h.putArray("shuffles");
        for (int n : shuffles) s.add(n);
        ArrayNode c = h.putArray("curve");
        for (RecTrainer.Epoch ep : curve) {
            ObjectNode o = c.addObject();
            o.put("epoch", ep.epoch());
            number(o, "train_loss", ep.trainLoss());
            number(o, "validation_loss", ep.validationLoss());
            number(o, "seconds", ep.seconds());
            number(o, "tasks_per_second", ep.tasksPerSecond());
            o.put("skipped", ep.skipped());
        }
        LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();
        learner.meta().asMap().forEach((n, t) -> tensors.put(META + n, t));
        bestParams.asMap().forEach((n, t) -> tensors.put(BEST + n, t));
        learner.optimizer().tensors().asMap().forEach((n, t) -> tensors.put(OPTIMIZER + n, t));
        ParamsFile.save(file, h, Params.of(tensors));
    }

    /**
     * Reads a checkpoint written by {@link #save}. Errors are IOExceptions of one line naming the
     * file (and the field): damaged files are caught by the container's checksum, a file of another
     * kind by its format.
     */
    public static Saved load(Path file) throws IOException {
        ParamsFile.Contents c = ParamsFile.load(file);
        ObjectNode h = c.header();
        String format = h.path("format").asText();
        if (!FORMAT.equals(format))
            throw new IOException(file + ": a metarec file, but not a training checkpoint (format '" + SavedModel.oneLine(format) + "')");
        int version = h.path("version").asInt(-1);
        if (version != VERSION)
            throw new IOException(file + ": checkpoint version " + SavedModel.oneLine(h.path("version").toString()) + " is not the one this build reads ("
                    + VERSION + ")");
        try {
            JsonNode f = h.get("fingerprint");
            if (f == null || !f.isObject() || !f.path("config").isObject()) throw new Bad("fingerprint", "missing or not an object");
            Fingerprint fp = new Fingerprint(Fingerprint.withAbsentDefaults(f.get("config")), text(f, "data_sha256"), text(f, "split_sha256"), text(f, "backend"));
            int epoch = count(h, "epoch");
            if (epoch < 1) throw new Bad("epoch", "must be at least 1, got " + epoch);
            List<RecTrainer.Epoch> curve = new ArrayList<>();
            for (JsonNode o : array(h, "curve"))
                curve.add(new RecTrainer.Epoch(count(o, "epoch"), real(o, "train_loss"), real(o, "validation_loss"), real(o, "seconds"),
                        real(o, "tasks_per_second"), bigCount(o, "skipped")));
            if (curve.size() != epoch) throw new Bad("curve", curve.size() + " epochs, the checkpoint is of epoch " + epoch);
            for (int k = 0; k < epoch; k++)
                if (curve.get(k).epoch() != k + 1) throw new Bad("curve", "entry " + k + " is epoch " + curve.get(k).epoch());
            JsonNode s = array(h, "shuffles");
            int[] shuffles = new int[s.size()];
            for (int k = 0; k < shuffles.length; k++) {
                if (!s.get(k).canConvertToInt() || s.get(k).asInt() < 0) throw new Bad("shuffles", "entry " + k + " is not a size");
                shuffles[k] = s.get(k).asInt();
            }
            if (shuffles.length != epoch) throw new Bad("shuffles", shuffles.length + " shuffles for " + epoch + " epochs");
            int bestEpoch = count(h, "best_epoch");
            if (bestEpoch > epoch) throw new Bad("best_epoch", bestEpoch + " is after epoch " + epoch);
            Map<String, Tensor> meta = new LinkedHashMap<>(), best = new LinkedHashMap<>(), opt = new LinkedHashMap<>();
            c.params().asMap().forEach((n, t) -> {
                if (n.startsWith(META)) meta.put(n.substring(META.length()), t);
                else if (n.startsWith(BEST)) best.put(n.substring(BEST.length()), t);
                else if (n.startsWith(OPTIMIZER)) opt.put(n.substring(OPTIMIZER.length()), t);
                else throw new Bad(null, "unexpected tensor '" + SavedModel.oneLine(n) + "'");
            });
            if (meta.isEmpty() || !meta.keySet().equals(best.keySet()))
                throw new Bad(null, "the current and the best parameters must name the same tensors");
            var state = new MetaLearner.TrainingState(Params.of(meta),
                    new Optimizer.State(text(h, "optimizer"), bigCount(h, "optimizer_steps"), Params.of(opt)), bigCount(h, "meta_steps"),
                    bigCount(h, "skipped_tasks"));
            Checkpoint cp = new Checkpoint(epoch, bool(h, "finished"), bool(h, "stopped_early"), curve, bestEpoch, real(h, "best_loss"),
                    real(h, "smoothed_loss"), count(h, "since_best"), real(h, "initial_loss"), real(h, "reference_loss"), Params.of(best), state,
                    shuffles);
            return new Saved(cp, fp);
        } catch (Bad e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** A problem with one field of a checkpoint's header. */
    private static final class Bad extends RuntimeException {
        Bad(String field, String problem) {
            super(field == null ? problem : "checkpoint field " + field + ": " + problem);
        }
    }

    /** A double exactly: JSON numbers round-trip (shortest representation), non-finite values as "NaN", "Infinity", "-Infinity". */
    private static void number(ObjectNode o, String field, double v) {
        if (Double.isFinite(v)) o.put(field, v);
        else o.put(field, Double.toString(v));
    }

    private static double real(JsonNode o, String field) {
        JsonNode x = o.get(field);
        if (x != null && x.isNumber()) return x.asDouble();
        if (x != null && x.isTextual() && List.of("NaN", "Infinity", "-Infinity").contains(x.asText())) return Double.parseDouble(x.asText());
        throw new Bad(field, "missing or not a number");
    }

    private static long bigCount(JsonNode o, String field) {
        JsonNode x = o.get(field);
        if (x == null || !x.isIntegralNumber() || !x.canConvertToLong() || x.asLong() < 0) throw new Bad(field, "missing or not a count");
        return x.asLong();
    }

    private static int count(JsonNode o, String field) {
        long v = bigCount(o, field);
        if (v > Integer.MAX_VALUE) throw new Bad(field, "out of range: " + v);
        return (int) v;
    }

    private static boolean bool(JsonNode o, String field) {
        JsonNode x = o.get(field);
        if (x == null || !x.isBoolean()) throw new Bad(field, "missing or not true/false");
        return x.asBoolean();
    }

    private static String text(JsonNode o, String field) {
        JsonNode x = o.get(field);
        if (x == null || !x.isTextual()) throw new Bad(field, "missing or not a string");
        return x.asText();
    }

    private static JsonNode array(JsonNode o, String field) {
        JsonNode x = o.get(field);
        if (x == null || !x.isArray()) throw new Bad(field, "missing or not a list");
        return x;
    }

    // ---- fingerprints ---------------------------------------------------------------------------

    /** SHA-256 of a dataset as loaded: user and item ids, titles, interactions, both feature tables. */
    static String dataHash(Dataset d) {
        Hasher h = new Hasher();
        h.number(d.numUsers());
        for (int u = 0; u < d.numUsers(); u++) h.text(d.userId(u));
        h.number(d.numItems());
        for (int i = 0; i < d.numItems(); i++) {
            h.text(d.itemId(i));
            h.text(d.title(i).map(t -> "+" + t).orElse("-"));
        }
        Interactions x = d.interactions();
        h.ints(x.users());
        h.ints(x.items());
        float[] r = x.ratings();
        int[] bits = new int[r.length];
        for (int k = 0; k < r.length; k++) bits[k] = Float.floatToRawIntBits(r[k]);
        h.ints(bits);
        long[] times = x.timestamps();
        h.longs(times == null ? new long[0] : times);
        features(h, d.userFeatures());
        features(h, d.itemFeatures());
        return h.hex();
    }

    private static void features(Hasher h, FeatureTable t) {
        h.number(t.fieldCount());
        h.number(t.rows());
        for (int f = 0; f < t.fieldCount(); f++) {
            Field field = t.field(f);
            h.text(field.name());
            h.text(field.kind().name());
            List<String> values = field.vocabulary().values();
            h.number(values.size());
            for (String v : values) h.text(v);
            h.ints(t.offsets(f));
            h.ints(t.ids(f));
        }
    }

    /** SHA-256 of a split: its description, every interaction's scenario and role, the user and item groups, the training and validation tasks. */
    static String splitHash(ColdStartSplit s, ColdStartSplit.TrainValidation tv) {
        Hasher h = new Hasher();
        h.text(s.description());
        Dataset d = s.dataset();
        int n = d.interactions().size();
        int[] scenario = new int[n], role = new int[n];
        for (int k = 0; k < n; k++) {
            scenario[k] = s.scenarioOf(k) == null ? -1 : s.scenarioOf(k).ordinal();
            role[k] = s.roleOf(k) == null ? -1 : s.roleOf(k).ordinal();
        }
        h.ints(scenario);
        h.ints(role);
        int[] users = new int[d.numUsers()], items = new int[d.numItems()];
        for (int u = 0; u < users.length; u++) users[u] = s.userGroup(u).ordinal();
        for (int i = 0; i < items.length; i++) items[i] = s.itemGroup(i).ordinal();
        h.ints(users);
        h.ints(items);
        for (List<UserTask> ts : List.of(tv.train(), tv.validation())) {
            h.number(ts.size());
            for (UserTask t : ts) {
                h.number(t.user());
                h.number(t.scenario().ordinal());
                h.ints(t.support());
                h.ints(t.query());
            }
        }
        return h.hex();
    }

    /** SHA-256 over values fed in bulk (every array and string is preceded by its length, so no two inputs run together). */
    private static final class Hasher {
        private final MessageDigest md;

        Hasher() {
            try {
                md = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        void number(long v) {
            md.update(ByteBuffer.allocate(8).putLong(v).array());
        }

        void text(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            number(b.length);
            md.update(b);
        }

        void ints(int[] a) {
            number(a.length);
            ByteBuffer b = ByteBuffer.allocate(4 * a.length);
            b.asIntBuffer().put(a);
            md.update(b.array());
        }

        void longs(long[] a) {
            number(a.length);
            ByteBuffer b = ByteBuffer.allocate(8 * a.length);
            b.asLongBuffer().put(a);
            md.update(b.array());
        }

        String hex() {
            return HexFormat.of().formatHex(md.digest());
        }
    }
}
