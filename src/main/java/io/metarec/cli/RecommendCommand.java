package io.metarec.cli;

import io.metarec.rec.data.CsvFile;
import io.metarec.rec.data.DataFormatException;
import io.metarec.rec.data.Field;
import io.metarec.rec.model.FeatureEncoder;
import io.metarec.meta.NonFiniteException;
import io.metarec.rec.train.UserRecommender;
import io.metarec.rec.train.SavedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** Top-k recommendations for a new user from a handful of ratings. */
@Command(name = "recommend", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Adapt a saved model to a new user's few ratings and print the top-k items they have not rated.",
                "The ratings file is CSV with a header 'item,rating' (item ids as in the training data); a header alone: a user with no ratings, served by the unadapted model.",
                "With a 'user' column (header 'user,item,rating') it is a batch: one JSON line per user, in the file's order; a row 'USER,,' is a user with no ratings."})
public final class RecommendCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "FILE", description = "a model written by train")
    Path model;

    @Option(names = "--ratings", required = true, paramLabel = "FILE", description = "the new user's ratings: CSV 'item,rating' (or 'user,item,rating' for many users)")
    Path ratings;

    @Option(names = "--json", description = "print the answer as JSON: {\"items\":[{\"item\",\"title\",\"score\"}…],\"adapted_steps\":n} (a batch always prints JSON lines, each with its \"user\")")
    boolean json;

    @Option(names = "--user-features", paramLabel = "FIELD=VALUE", split = ",",
            description = "the user's features, e.g. gender=F,age=25-34 (multi-valued: genres=a|b); unknown fields are an error, unknown values count as missing")
    List<String> userFeatures = new ArrayList<>();

    @Option(names = {"-k", "--top"}, defaultValue = "10", paramLabel = "K", description = "how many items (default: ${DEFAULT-VALUE})")
    int k;

    @Mixin RankingOptions ranking;

    @Mixin CommonOptions common;

    @Override public Integer call() throws IOException {
        common.backend();
        if (k < 1) throw new IllegalArgumentException("-k must be at least 1, got " + k);
        SavedModel m = SavedModel.load(model);
        FeatureEncoder enc = m.encoder();
        FeatureEncoder.UserProfile profile = profile(enc, userFeatures);
        Map<String, Map<Integer, Float>> users;
        try {
            users = readRatings(m);
        } catch (DataFormatException e) { // name the flag too: the file is the user's --ratings
            throw new IllegalArgumentException("--ratings: " + e.getMessage(), e);
        }
        UserRecommender rec = ranking.recommender(m);
        boolean batch = !users.containsKey(SINGLE);
        for (var user : users.entrySet()) {
            Map<Integer, Float> rated = user.getValue();
            List<UserRecommender.Ranked> top;
            try {
                top = rec.recommend(profile, rated, k, true);
            } catch (ArithmeticException e) {
                throw unusable(model, e);
            }
            if (batch || json) System.out.println(JSON.writeValueAsString(answer(batch ? user.getKey() : null, top, rec.stepsFor(rated.size()))));
            else print(m, rec, rated.size(), top);
        }
        return 0;
    }

    private void print(SavedModel m, UserRecommender rec, int ratings, List<UserRecommender.Ranked> top) {
        int n = rec.stepsFor(ratings);
        System.out.printf(Locale.ROOT, "top %d for a new user with %d ratings (%s, %s):%n", k, ratings, m.config().algo(),
                ratings == 0 ? "no ratings: the unadapted model" : n + " inner steps");
        System.out.printf(Locale.ROOT, "%4s  %-10s  %-50s  %s%n", "rank", "item", "title", rec.implicit() ? "P(like)" : "predicted");
        int rank = 0;
        for (UserRecommender.Ranked s : top) {
            String score = String.format(Locale.ROOT, rec.implicit() ? "%.3f" : "%.2f", s.score());
            String title = s.title();
            System.out.printf(Locale.ROOT, "%4d  %-10s  %-50s  %s%n", ++rank, s.item(),
                    title.length() > 50 ? title.substring(0, 49) + "…" : title, score);
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** One user's answer as JSON: the same shape as {@code serve}'s ({@code user} first in a batch). */
    static Map<String, Object> answer(String user, List<UserRecommender.Ranked> top, int adaptedSteps) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (user != null) out.put("user", user);
        List<Map<String, Object>> items = new ArrayList<>(top.size());
        for (UserRecommender.Ranked r : top) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("item", r.item());
            item.put("title", r.title());
            item.put("score", (float) r.score());
            items.add(item);
        }
        out.put("items", items);
        out.put("adapted_steps", adaptedSteps);
        return out;
    }

    /**
     * A loaded model that gives NaN or infinite values (finite but huge parameters: a diverged
     * training, or an altered file) is an input error naming the model file.
     */
    static IllegalArgumentException unusable(Path model, ArithmeticException e) {
        Throwable t = Main.unwrap(e);
        String where = t instanceof NonFiniteException n ? "learner " + n.learner + (n.step >= 0 ? ", inner step " + n.step : ", predicting") : t.getMessage();
        return new IllegalArgumentException(model + ": the model gives non-finite values (" + where
                + "): its parameters are out of range (training diverged, or the file was altered)", e);
    }

    /** The key of the one user of a file without a 'user' column. */
    private static final String SINGLE = "\u0000single";

    /**
     * The users' ratings (catalogue index → rating), by user in the file's order: one user (key
     * {@link #SINGLE}) without a 'user' column. An empty item and rating is a user without ratings.
     */
    private Map<String, Map<Integer, Float>> readRatings(SavedModel m) throws IOException {
        Map<String, Map<Integer, Float>> out = new LinkedHashMap<>();
        UserRecommender check = new UserRecommender(m, 0, 0);
        try (CsvFile f = CsvFile.open(ratings, "ratings (CSV: item,rating or user,item,rating)", true)) {
            List<String> header = f.next();
            if (header == null) throw new DataFormatException(ratings, "is empty; expected a header 'item,rating' (or 'user,item,rating')");
            int ci = header.indexOf("item"), cr = header.indexOf("rating"), cu = header.indexOf("user");
            if (ci < 0 || cr < 0) throw f.error("the header must name the columns 'item' and 'rating'" + f.separatorHint(header));
            if (cu < 0) out.put(SINGLE, new LinkedHashMap<>());
            for (List<String> row; (row = f.next()) != null; ) {
                if (row.size() != header.size()) throw f.error("expected " + header.size() + " fields, found " + row.size() + f.separatorHint(row));
                String user = cu < 0 ? SINGLE : row.get(cu);
                if (user.isEmpty()) throw f.error("the user id is empty");
                Map<Integer, Float> rated = out.computeIfAbsent(user, u -> new LinkedHashMap<>());
                if (cu >= 0 && row.get(ci).isEmpty() && row.get(cr).isEmpty()) continue; // a user without ratings
                int item = m.itemIndex(row.get(ci));
                if (item < 0) throw f.error("item '" + row.get(ci) + "' is not in the model's catalogue");
                float r;
                try {
                    r = Float.parseFloat(row.get(cr));
                } catch (NumberFormatException e) {
                    throw f.error("rating '" + row.get(cr) + "' is not a number");
                }
                String problem = check.ratingProblem(r);
                if (problem != null) throw f.error("rating '" + row.get(cr) + "' " + problem);
                if (rated.put(item, r) != null) throw f.error("item '" + row.get(ci) + "' is rated twice" + (cu < 0 ? "" : " by user '" + user + "'"));
            }
        }
        if (out.isEmpty()) throw new DataFormatException(ratings, "has a 'user' column but no rows");
        return out;
    }

    /** Parses FIELD=VALUE pairs; notes values the model does not know (they count as missing). */
    static FeatureEncoder.UserProfile profile(FeatureEncoder enc, List<String> given) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String kv : given) {
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("--user-features: expected FIELD=VALUE, got '" + kv + "'");
            values.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
        }
        FeatureEncoder.UserProfile p;
        try {
            p = enc.profile(values);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--user-features: " + e.getMessage());
        }
        for (var e : values.entrySet())
            for (Field f : enc.userFields())
                if (f.name().equals(e.getKey()))
                    for (int id : f.encode(e.getValue()))
                        if (id == 0) System.err.println("metarec recommend: note: " + e.getKey() + "=" + e.getValue() + " is not a value the model knows; treated as missing");
        return p;
    }
}
