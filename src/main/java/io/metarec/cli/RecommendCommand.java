package io.metarec.cli;

import io.metarec.nn.Params;
import io.metarec.rec.data.CsvFile;
import io.metarec.rec.data.DataFormatException;
import io.metarec.rec.data.Field;
import io.metarec.rec.model.Examples;
import io.metarec.rec.model.FeatureEncoder;
import io.metarec.rec.train.SavedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/** Top-k recommendations for a new user from a handful of ratings. */
@Command(name = "recommend", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Adapt a saved model to a new user's few ratings and print the top-k items they have not rated.",
                "The ratings file is CSV with a header 'item,rating' (item ids as in the training data)."})
public final class RecommendCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "FILE", description = "a model written by train")
    Path model;

    @Option(names = "--ratings", required = true, paramLabel = "FILE", description = "the new user's ratings: CSV 'item,rating'")
    Path ratings;

    @Option(names = "--user-features", paramLabel = "FIELD=VALUE", split = ",",
            description = "the user's features, e.g. gender=F,age=25-34 (multi-valued: genres=a|b); unknown fields are an error, unknown values count as missing")
    List<String> userFeatures = new ArrayList<>();

    @Option(names = {"-k", "--top"}, defaultValue = "10", paramLabel = "K", description = "how many items (default: ${DEFAULT-VALUE})")
    int k;

    @Option(names = "--steps", paramLabel = "N", description = "inner steps when adapting (default: the model's)")
    Integer steps;

    @Mixin CommonOptions common;

    @Override public Integer call() throws IOException {
        common.backend();
        if (k < 1) throw new IllegalArgumentException("-k must be at least 1, got " + k);
        SavedModel m = SavedModel.load(model);
        FeatureEncoder enc = m.encoder();
        FeatureEncoder.UserProfile profile = profile(enc.userFields(), userFeatures);
        Map<Integer, Float> rated = readRatings(m);
        int[] items = rated.keySet().stream().mapToInt(Integer::intValue).toArray();
        float[] targets = new float[items.length];
        for (int i = 0; i < items.length; i++) {
            float r = rated.get(items[i]);
            targets[i] = m.config().feedback().implicit() ? (r >= m.config().feedback().positiveThreshold() ? 1f : 0f) : r;
        }
        int n = steps != null ? steps : m.config().innerSteps();
        if (n < 0) throw new IllegalArgumentException("--steps must be ≥ 0, got " + n);
        Examples support = enc.encode(profile, items, targets);
        Params adapted = m.learner().adaptTo(support, m.config().algo().equals("pretrained") && steps == null ? n : n);
        int[] all = new int[enc.numItems()];
        for (int i = 0; i < all.length; i++) all[i] = i;
        float[] scores = m.learner().predict(adapted, enc.encode(profile, all, new float[all.length])).toArray();
        Set<Integer> seen = new HashSet<>(rated.keySet());
        Integer[] order = new Integer[all.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Float.compare(scores[b], scores[a]) != 0 ? Float.compare(scores[b], scores[a]) : Integer.compare(a, b));
        boolean implicit = m.config().feedback().implicit();
        System.out.printf(Locale.ROOT, "top %d for a new user with %d ratings (%s, %d inner steps):%n", k, items.length, m.config().algo(), n);
        System.out.printf(Locale.ROOT, "%4s  %-10s  %-50s  %s%n", "rank", "item", "title", implicit ? "P(like)" : "predicted");
        int shown = 0;
        for (int i : order) {
            if (seen.contains(i)) continue;
            String score = implicit ? String.format(Locale.ROOT, "%.3f", 1 / (1 + Math.exp(-scores[i]))) : String.format(Locale.ROOT, "%.2f", scores[i]);
            String title = m.title(i);
            System.out.printf(Locale.ROOT, "%4d  %-10s  %-50s  %s%n", ++shown, m.itemIds().get(i), title.length() > 50 ? title.substring(0, 49) + "…" : title, score);
            if (shown == k) break;
        }
        return 0;
    }

    private Map<Integer, Float> readRatings(SavedModel m) throws IOException {
        Map<Integer, Float> out = new LinkedHashMap<>();
        try (CsvFile f = CsvFile.open(ratings, "the new user's ratings (CSV: item,rating)", true)) {
            List<String> header = f.next();
            if (header == null) throw new DataFormatException(ratings, "is empty; expected a header 'item,rating' and at least one rating");
            int ci = header.indexOf("item"), cr = header.indexOf("rating");
            if (ci < 0 || cr < 0) throw f.error("the header must name the columns 'item' and 'rating'" + f.separatorHint(header));
            for (List<String> row; (row = f.next()) != null; ) {
                if (row.size() != header.size()) throw f.error("expected " + header.size() + " fields, found " + row.size() + f.separatorHint(row));
                int item = m.itemIndex(row.get(ci));
                if (item < 0) throw f.error("item '" + row.get(ci) + "' is not in the model's catalogue");
                float r;
                try {
                    r = Float.parseFloat(row.get(cr));
                } catch (NumberFormatException e) {
                    throw f.error("rating '" + row.get(cr) + "' is not a number");
                }
                if (!Float.isFinite(r)) throw f.error("rating '" + row.get(cr) + "' is not a finite number");
                out.put(item, r);
            }
        }
        if (out.isEmpty()) throw new DataFormatException(ratings, "has no ratings; the model needs at least one to adapt");
        return out;
    }

    static FeatureEncoder.UserProfile profile(List<Field> fields, List<String> given) {
        int[][] ids = new int[fields.size()][];
        for (int f = 0; f < ids.length; f++) ids[f] = fields.get(f).multiValued() ? new int[0] : new int[] {0};
        for (String kv : given) {
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("--user-features: expected FIELD=VALUE, got '" + kv + "'");
            String name = kv.substring(0, eq).trim(), value = kv.substring(eq + 1).trim();
            int f = -1;
            for (int i = 0; i < fields.size(); i++) if (fields.get(i).name().equals(name)) f = i;
            if (f < 0)
                throw new IllegalArgumentException("--user-features: the model has no user field '" + name + "'; its fields: "
                        + fields.stream().map(Field::name).toList());
            ids[f] = fields.get(f).encode(value);
            for (int id : ids[f])
                if (id == 0) System.err.println("metarec recommend: note: " + name + "=" + value + " is not a value the model knows; treated as missing");
        }
        return new FeatureEncoder.UserProfile(ids);
    }
}
