package io.metarec.serve;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.metarec.rec.model.FeatureEncoder;

import java.util.List;
import java.util.Map;

/** The JSON the server reads and writes (responses serialised by Jackson as records). */
final class Api {
    private Api() {}

    /** One user's request, checked against the model: profile, ratings (catalogue index → rating), k, exclude_rated. */
    record UserQuery(FeatureEncoder.UserProfile profile, Map<Integer, Float> ratings, int k, boolean excludeRated) {}

    /** The score as a float, the model's precision (a double would print float noise: 4.773386478424072). */
    record Item(String item, String title, float score) {}

    record Recommendation(List<Item> items, @JsonProperty("adapted_steps") int adaptedSteps) {}

    record BatchResult(List<Recommendation> results) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ItemInfo(String id, String title, Map<String, List<String>> features) {}

    /** A page of the catalogue: the matching items (id and title) and how many match in all. */
    record Catalogue(List<ItemInfo> items, int total) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Error(String error, String field) {}

    record Health(String status, String model, String algo, int items, @JsonProperty("inner_steps") int innerSteps,
                  @JsonProperty("loaded_at") String loadedAt) {}
}
