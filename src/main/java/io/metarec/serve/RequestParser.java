package io.metarec.serve;

import com.fasterxml.jackson.databind.JsonNode;
import io.metarec.rec.data.Field;
import io.metarec.rec.model.FeatureEncoder;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns request JSON into checked {@link Api.UserQuery}s for one model. Strict: a field the API does
 * not know is an error (a misspelt {@code exclude_rated} silently ignored would change the answer),
 * and every error names the field by its JSON path.
 */
final class RequestParser {
    static final int DEFAULT_K = 10;
    private static final Set<String> USER_KEYS = Set.of("ratings", "user", "k", "exclude_rated");

    private final ServedModel model;
    private final Limits limits;

    RequestParser(ServedModel model, Limits limits) {
        this.model = model;
        this.limits = limits;
    }

    /** {@code {"users": [query, …]}}. */
    List<Api.UserQuery> batch(JsonNode body) {
        requireObject(body, null);
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("users")) throw ApiException.badRequest(f, "unknown field '" + f + "'; a batch has only 'users'");
        }
        JsonNode users = body.get("users");
        if (users == null || !users.isArray()) throw ApiException.badRequest("users", "'users' must be an array of user requests");
        if (users.isEmpty()) throw ApiException.badRequest("users", "'users' is empty");
        if (users.size() > limits.maxBatchUsers())
            throw new ApiException(413, "users", "too many users: " + users.size() + " (at most " + limits.maxBatchUsers() + " per batch)");
        List<Api.UserQuery> out = new ArrayList<>(users.size());
        for (int i = 0; i < users.size(); i++) out.add(user(users.get(i), "users[" + i + "]."));
        return out;
    }

    /** One user's request; {@code at} prefixes field names ("" at the top level). */
    Api.UserQuery user(JsonNode body, String at) {
        requireObject(body, at.isEmpty() ? null : at.substring(0, at.length() - 1));
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!USER_KEYS.contains(f)) throw ApiException.badRequest(at + f, "unknown field '" + f + "'; expected " + USER_KEYS.stream().sorted().toList());
        }
        int k = DEFAULT_K;
        JsonNode kn = body.get("k");
        if (kn != null && !kn.isNull()) {
            if (!kn.canConvertToInt() || !kn.isIntegralNumber() || kn.intValue() < 1 || kn.intValue() > limits.maxK())
                throw ApiException.badRequest(at + "k", "'k' must be an integer in 1.." + limits.maxK() + ", got " + kn);
            k = kn.intValue();
        }
        boolean exclude = true;
        JsonNode ex = body.get("exclude_rated");
        if (ex != null && !ex.isNull()) {
            if (!ex.isBoolean()) throw ApiException.badRequest(at + "exclude_rated", "'exclude_rated' must be true or false, got " + ex);
            exclude = ex.booleanValue();
        }
        return new Api.UserQuery(profile(body.get("user"), at + "user"), ratings(body.get("ratings"), at + "ratings"), k, exclude);
    }

    private Map<Integer, Float> ratings(JsonNode a, String at) {
        Map<Integer, Float> out = new LinkedHashMap<>();
        if (a == null || a.isNull()) return out;
        if (!a.isArray()) throw ApiException.badRequest(at, "'ratings' must be an array of {\"item\": ID, \"rating\": NUMBER}");
        if (a.size() > limits.maxRatings())
            throw new ApiException(413, at, "too many ratings: " + a.size() + " (at most " + limits.maxRatings() + " per user)");
        for (int i = 0; i < a.size(); i++) {
            String here = at + "[" + i + "]";
            JsonNode r = a.get(i);
            requireObject(r, here);
            for (Iterator<String> it = r.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!f.equals("item") && !f.equals("rating")) throw ApiException.badRequest(here + "." + f, "unknown field '" + f + "'; a rating has 'item' and 'rating'");
            }
            JsonNode id = r.get("item");
            if (id == null || !(id.isTextual() || id.isIntegralNumber()))
                throw ApiException.badRequest(here + ".item", "'item' must be an item id (a string, or an integer)");
            int item = model.item(id.asText());
            if (item < 0) throw new ApiException(404, here + ".item", "item '" + id.asText() + "' is not in the model's catalogue");
            JsonNode v = r.get("rating");
            if (v == null || !v.isNumber()) throw ApiException.badRequest(here + ".rating", "'rating' must be a number");
            float rating = v.floatValue();
            String problem = model.recommender().ratingProblem(rating);
            if (problem != null) throw ApiException.badRequest(here + ".rating", "rating " + v + " " + problem);
            if (out.put(item, rating) != null)
                throw ApiException.badRequest(here + ".item", "item '" + id.asText() + "' is rated twice");
        }
        return out;
    }

    /** Profile fields: a string or number, or an array of strings for a multi-valued field; null or absent: missing. */
    private FeatureEncoder.UserProfile profile(JsonNode u, String at) {
        FeatureEncoder enc = model.recommender().model().encoder();
        Map<String, String> values = new LinkedHashMap<>();
        if (u != null && !u.isNull()) {
            requireObject(u, at);
            for (Iterator<Map.Entry<String, JsonNode>> it = u.fields(); it.hasNext(); ) {
                var e = it.next();
                String here = at + "." + e.getKey();
                if (enc.userFields().stream().map(Field::name).noneMatch(e.getKey()::equals))
                    throw ApiException.badRequest(here, "the model has no user field '" + e.getKey() + "'; its fields: "
                            + enc.userFields().stream().map(Field::name).toList());
                JsonNode v = e.getValue();
                if (v.isNull()) continue;
                if (v.isArray()) {
                    List<String> parts = new ArrayList<>();
                    for (JsonNode p : v) {
                        if (!p.isTextual()) throw ApiException.badRequest(here, "values of a multi-valued field must be strings, got " + p);
                        parts.add(p.asText());
                    }
                    values.put(e.getKey(), String.join(String.valueOf(Field.MULTI_SEPARATOR), parts));
                } else if (v.isTextual() || v.isNumber()) {
                    values.put(e.getKey(), v.asText());
                } else {
                    throw ApiException.badRequest(here, "a profile value must be a string, a number or an array of strings, got " + v);
                }
            }
        }
        try {
            return enc.profile(values);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(at, e.getMessage());
        }
    }

    /**
     * A URL query string ({@code a=1&b=x%20y}, raw) as parameters, strict as the JSON: a parameter
     * not in {@code known}, one given twice, or a malformed %-escape is a 400 naming it.
     */
    static Map<String, String> parameters(String rawQuery, Set<String> known) {
        Map<String, String> out = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) return out;
        for (String pair : rawQuery.split("&", -1)) {
            if (pair.isEmpty()) continue; // "a=1&&b=2", a trailing '&'
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq), null);
            if (!known.contains(name))
                throw ApiException.badRequest(clip(name), "unknown parameter '" + clip(name) + "'; expected " + known.stream().sorted().toList());
            String value = decode(eq < 0 ? "" : pair.substring(eq + 1), name);
            if (out.put(name, value) != null) throw ApiException.badRequest(name, "parameter '" + name + "' is given twice");
        }
        return out;
    }

    /** A client's text quoted in an error, cut to a readable length. */
    static String clip(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }

    private static String decode(String s, String field) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(field, "malformed %-escape in the query string: " + e.getMessage());
        }
    }

    /** An integer parameter in 1..max, or {@code absent} when not given. */
    static int positive(Map<String, String> params, String name, int max, int absent) {
        String v = params.get(name);
        if (v == null) return absent;
        int n;
        try {
            n = Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 1 || n > max) throw ApiException.badRequest(name, "'" + name + "' must be an integer in 1.." + max + ", got '" + clip(v) + "'");
        return n;
    }

    private static void requireObject(JsonNode n, String field) {
        if (n == null || !n.isObject()) throw ApiException.badRequest(field, (field == null ? "the body" : "'" + field + "'") + " must be a JSON object");
    }
}
