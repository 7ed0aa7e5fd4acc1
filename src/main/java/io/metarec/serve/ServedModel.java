package io.metarec.serve;

import io.metarec.rec.train.UserRecommender;

import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One loaded model as the server serves it: immutable, so a reload swaps the whole of it at once
 * and a request that took this one finishes on it. Item ids are indexed (the catalogue's own
 * lookup is a linear search, fine for one command but not per rating per request), and the
 * titles folded for the web page's search.
 */
record ServedModel(UserRecommender recommender, Path file, Instant loadedAt, Map<String, Integer> itemIndex, Catalogue catalogue) {
    static ServedModel of(UserRecommender r, Path file) {
        List<String> ids = r.model().itemIds();
        Map<String, Integer> index = new HashMap<>(ids.size() * 2);
        for (int i = 0; i < ids.size(); i++) index.putIfAbsent(ids.get(i), i);
        return new ServedModel(r, file, Instant.now(), Map.copyOf(index), Catalogue.of(r.model()));
    }

    /** Catalogue index of an item id, or −1. */
    int item(String id) {
        Integer i = itemIndex.get(id);
        return i == null ? -1 : i;
    }
}
