package io.metarec.serve;

import com.fasterxml.jackson.databind.JsonNode;
import io.metarec.autograd.Tensor;
import io.metarec.cli.RankingOptions;
import io.metarec.rec.train.SavedModel;
import io.metarec.rec.train.UserRecommender;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.metarec.serve.ServerFixture.get;
import static io.metarec.serve.ServerFixture.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every endpoint and error path of the server, concurrent requests, and reloads under load, on a tiny synthetic model. */
class RecommendServerTest {
    @TempDir static Path dir;
    static Path served, modelA, modelB;
    static RecommendServer server;
    static int port;
    static int items;

    static final String USER = """
            {"ratings":[{"item":"1","rating":5},{"item":"2","rating":1},{"item":"3","rating":4}],"user":{"gender":"F"},"k":5}""";

    @BeforeAll
    static void start() throws IOException {
        Path data = ServerFixture.data(dir);
        modelA = ServerFixture.train(data, dir.resolve("a.metarec"), "1");
        modelB = ServerFixture.train(data, dir.resolve("b.metarec"), "2");
        served = dir.resolve("served.metarec");
        Files.copy(modelA, served);
        items = SavedModel.load(modelA).itemIds().size();
        // small limits, so the limit paths are cheap to reach
        server = RecommendServer.start(served, RankingOptions.loader(null, 5), new InetSocketAddress("127.0.0.1", 0), 2,
                new Limits(64 << 10, 250, 20, 8));
        port = server.port();
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    static List<String> ids(JsonNode rec) {
        List<String> out = new ArrayList<>();
        for (JsonNode i : rec.path("items")) out.add(i.path("item").asText());
        return out;
    }

    @Test
    void recommendsTopKWithTitlesAndScoresOnTheRatingScale() {
        var r = post(port, "/v1/recommend", USER);
        assertEquals(200, r.status(), r.text());
        assertEquals(2, r.json().path("adapted_steps").asInt(), "the model's inner steps");
        JsonNode list = r.json().path("items");
        assertEquals(5, list.size());
        double previous = Double.POSITIVE_INFINITY;
        for (JsonNode i : list) {
            assertFalse(Set.of("1", "2", "3").contains(i.path("item").asText()), "rated items are excluded: " + i);
            assertTrue(i.path("title").asText().startsWith("The "), "synthetic titles: " + i);
            double s = i.path("score").asDouble();
            assertTrue(s >= 1 && s <= 5, "a predicted rating on the 1..5 scale: " + s);
            assertTrue(Double.isFinite(previous) || previous == Double.POSITIVE_INFINITY);
            previous = s;
        }
        assertEquals(ids(r.json()), ids(post(port, "/v1/recommend", USER).json()), "deterministic");
    }

    @Test
    void excludeRatedFalseRanksTheRatedItemsToo() {
        String all = "{\"ratings\":[{\"item\":\"1\",\"rating\":5},{\"item\":\"2\",\"rating\":1}],\"k\":" + items + ",\"exclude_rated\":%s}";
        var kept = post(port, "/v1/recommend", all.formatted("false"));
        var excluded = post(port, "/v1/recommend", all.formatted("true"));
        assertEquals(200, kept.status(), kept.text());
        assertEquals(items, kept.json().path("items").size());
        assertEquals(items - 2, excluded.json().path("items").size());
        assertTrue(ids(kept.json()).containsAll(List.of("1", "2")));
        assertFalse(ids(excluded.json()).contains("1"));
    }

    @Test
    void zeroRatingsServeTheUnadaptedModelForTheProfile() {
        var none = post(port, "/v1/recommend", "{\"user\":{\"gender\":\"F\",\"age\":\"25-34\"},\"k\":" + items + "}");
        assertEquals(200, none.status(), none.text());
        assertEquals(0, none.json().path("adapted_steps").asInt());
        assertEquals(items, none.json().path("items").size(), "nothing rated, nothing excluded");
        var empty = post(port, "/v1/recommend", "{\"ratings\":[],\"user\":{\"gender\":\"F\",\"age\":\"25-34\"},\"k\":" + items + "}");
        assertEquals(none.json(), empty.json(), "an empty ratings array is no ratings");
        var adapted = post(port, "/v1/recommend", "{\"ratings\":[{\"item\":\"7\",\"rating\":1}],\"user\":{\"gender\":\"F\",\"age\":\"25-34\"},\"k\":" + items + ",\"exclude_rated\":false}");
        assertNotEquals(none.json().path("items"), adapted.json().path("items"), "a rating changes the scores");
    }

    @Test
    void batchAnswersEachUserAsTheSingleEndpointDoes() {
        String second = "{\"ratings\":[{\"item\":\"10\",\"rating\":2}],\"k\":3}";
        String third = "{\"user\":{\"gender\":\"M\"},\"k\":4}";
        var r = post(port, "/v1/recommend/batch", "{\"users\":[" + USER + "," + second + "," + third + "]}");
        assertEquals(200, r.status(), r.text());
        JsonNode results = r.json().path("results");
        assertEquals(3, results.size());
        assertEquals(post(port, "/v1/recommend", USER).json(), results.get(0));
        assertEquals(post(port, "/v1/recommend", second).json(), results.get(1));
        assertEquals(post(port, "/v1/recommend", third).json(), results.get(2));
    }

    @Test
    void itemsHealthAndMetrics() {
        var item = get(port, "/v1/items/1");
        assertEquals(200, item.status(), item.text());
        assertEquals("1", item.json().path("id").asText());
        assertTrue(item.json().path("title").asText().startsWith("The "));
        assertTrue(item.json().path("features").path("genres").isArray(), item.text());
        assertTrue(item.json().path("features").path("decade").path(0).isTextual(), item.text());

        assertEquals("1", get(port, "/v1/items/%31").json().path("id").asText(), "percent-escapes are decoded");
        var missing = get(port, "/v1/items/no-such-item");
        assertEquals(404, missing.status());
        assertEquals("id", missing.json().path("field").asText());
        assertTrue(missing.json().path("error").asText().contains("'no-such-item'"), missing.text());

        var health = get(port, "/healthz");
        assertEquals(200, health.status());
        assertEquals("ok", health.json().path("status").asText());
        assertEquals(items, health.json().path("items").asInt());
        assertEquals("maml", health.json().path("algo").asText());

        long before = server.metrics().count("/v1/items/{id}", 404);
        get(port, "/v1/items/also-missing");
        assertEquals(before + 1, server.metrics().count("/v1/items/{id}", 404));
        var metrics = get(port, "/metrics");
        assertEquals(200, metrics.status());
        String text = metrics.text();
        assertTrue(text.contains("# TYPE metarec_requests_total counter"), text);
        assertTrue(text.contains("metarec_requests_total{endpoint=\"/v1/items/{id}\",status=\"404\"} " + (before + 1)), text);
        assertTrue(text.contains("metarec_request_duration_seconds_bucket{endpoint=\"/healthz\",le=\"+Inf\"}"), text);
        assertTrue(text.contains("metarec_request_duration_seconds_count{endpoint=\"/healthz\"}"), text);
        assertTrue(text.matches("(?s).*\\nmetarec_errors_total \\d+\\n.*"), text);
    }

    /** Each bad request: status, the field named, and a message part. */
    @Test
    void badRequestsGetAJsonErrorNamingTheField() {
        String[][] cases = {
                // body, status, field ("" = none), message part
                {"{", "400", "", "malformed JSON"},
                {"[1,2]", "400", "", "must be a JSON object"},
                {"{\"k\":5,\"ratings\":[],\"exclude_rate\":true}", "400", "exclude_rate", "unknown field"},
                {"{\"k\":0}", "400", "k", "1..250"},
                {"{\"k\":251}", "400", "k", "1..250"},
                {"{\"k\":\"5\"}", "400", "k", "integer"},
                {"{\"k\":2.5}", "400", "k", "integer"},
                {"{\"exclude_rated\":\"yes\"}", "400", "exclude_rated", "true or false"},
                {"{\"ratings\":{}}", "400", "ratings", "array"},
                {"{\"ratings\":[5]}", "400", "ratings[0]", "JSON object"},
                {"{\"ratings\":[{\"item\":\"1\"}]}", "400", "ratings[0].rating", "number"},
                {"{\"ratings\":[{\"item\":\"1\",\"rating\":\"5\"}]}", "400", "ratings[0].rating", "number"},
                {"{\"ratings\":[{\"item\":\"1\",\"rating\":4},{\"item\":\"2\",\"rating\":6}]}", "400", "ratings[1].rating", "rating scale 1 to 5"},
                {"{\"ratings\":[{\"item\":\"1\",\"rating\":0.5}]}", "400", "ratings[0].rating", "rating scale"},
                {"{\"ratings\":[{\"rating\":4}]}", "400", "ratings[0].item", "item id"},
                {"{\"ratings\":[{\"item\":\"1\",\"rating\":4,\"when\":1}]}", "400", "ratings[0].when", "unknown field"},
                {"{\"ratings\":[{\"item\":\"1\",\"rating\":4},{\"item\":\"1\",\"rating\":3}]}", "400", "ratings[1].item", "rated twice"},
                {"{\"ratings\":[{\"item\":\"nope\",\"rating\":4}]}", "404", "ratings[0].item", "'nope' is not in the model's catalogue"},
                {"{\"user\":{\"shoe_size\":\"9\"}}", "400", "user.shoe_size", "no user field"},
                {"{\"user\":{\"gender\":{\"a\":1}}}", "400", "user.gender", "string"},
                {"{\"user\":\"F\"}", "400", "user", "JSON object"},
                {"", "400", "", "empty"},
        };
        for (String[] c : cases) {
            var r = post(port, "/v1/recommend", c[0]);
            assertEquals(Integer.parseInt(c[1]), r.status(), c[0] + " → " + r.text());
            assertEquals(c[2], r.json().path("field").asText(""), c[0] + " → " + r.text());
            assertTrue(r.json().path("error").asText().contains(c[3]), c[0] + " → " + r.text());
        }
        StringBuilder many = new StringBuilder("{\"ratings\":[");
        for (int i = 1; i <= 21; i++) many.append(i > 1 ? "," : "").append("{\"item\":\"").append(i).append("\",\"rating\":3}");
        var tooMany = post(port, "/v1/recommend", many + "]}");
        assertEquals(413, tooMany.status(), tooMany.text());
        assertEquals("ratings", tooMany.json().path("field").asText());

        var big = post(port, "/v1/recommend", "{\"k\":5,\"pad\":\"" + "x".repeat(70 << 10) + "\"}");
        assertEquals(413, big.status(), big.text());
        assertTrue(big.json().path("error").asText().contains("exceeds 65536 bytes"), big.text());

        var batchTooMany = post(port, "/v1/recommend/batch", "{\"users\":[" + "{},".repeat(8) + "{}]}");
        assertEquals(413, batchTooMany.status(), batchTooMany.text());
        assertEquals("users", batchTooMany.json().path("field").asText());
        var batchEmpty = post(port, "/v1/recommend/batch", "{\"users\":[]}");
        assertEquals(400, batchEmpty.status());
        var batchBadUser = post(port, "/v1/recommend/batch", "{\"users\":[{},{\"k\":-1}]}");
        assertEquals(400, batchBadUser.status());
        assertEquals("users[1].k", batchBadUser.json().path("field").asText(), batchBadUser.text());
        var batchUnknownItem = post(port, "/v1/recommend/batch", "{\"users\":[{\"ratings\":[{\"item\":\"zz\",\"rating\":3}]}]}");
        assertEquals(404, batchUnknownItem.status());
        assertEquals("users[0].ratings[0].item", batchUnknownItem.json().path("field").asText());

        var wrongMethod = get(port, "/v1/recommend");
        assertEquals(405, wrongMethod.status());
        assertTrue(wrongMethod.json().path("error").asText().contains("use POST"), wrongMethod.text());
        assertEquals(405, post(port, "/healthz", "{}").status());
        var nowhere = get(port, "/v2/anything");
        assertEquals(404, nowhere.status());
        assertTrue(nowhere.json().path("error").asText().contains("no such endpoint"), nowhere.text());
        assertEquals(200, get(port, "/healthz").status(), "the server is still up");
    }

    /** A model whose parameters are out of range (a diverged training) fails each request with a 500, counted; the server stays up. */
    @Test
    void aFailingModelIsA500PerRequestAndTheServerStaysUp() throws IOException {
        RecommendServer.Loader diverged = f -> {
            SavedModel m = SavedModel.load(f);
            m.learner().load(m.learner().metaParams().map((n, t) -> Tensor.full(1e30f, t.shape())));
            return new UserRecommender(m, 2, 5);
        };
        try (RecommendServer s = RecommendServer.start(modelA, diverged, new InetSocketAddress("127.0.0.1", 0), 2, Limits.defaults())) {
            for (int i = 0; i < 2; i++) {
                var r = post(s.port(), "/v1/recommend", USER);
                assertEquals(500, r.status(), r.text());
                assertTrue(r.json().path("error").asText().contains("non-finite values"), r.text());
            }
            var batch = post(s.port(), "/v1/recommend/batch", "{\"users\":[" + USER + "," + USER + "]}");
            assertEquals(500, batch.status(), batch.text());
            assertEquals(3, s.metrics().errors());
            assertEquals(2, s.metrics().count("/v1/recommend", 500));
            assertEquals(200, get(s.port(), "/healthz").status());
            assertEquals(200, get(s.port(), "/v1/items/1").status());
        }
    }

    @Test
    void sixtyFourConcurrentRequestsAllSucceedWithTheSequentialAnswer() throws Exception {
        JsonNode expected = post(port, "/v1/recommend", USER).json();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<ServerFixture.Reply>> replies = new ArrayList<>();
            for (int i = 0; i < 64; i++) replies.add(pool.submit(() -> post(port, "/v1/recommend", USER)));
            for (Future<ServerFixture.Reply> f : replies) {
                ServerFixture.Reply r = f.get();
                assertEquals(200, r.status(), r.text());
                assertEquals(expected, r.json());
            }
        }
    }

    @Test
    void reloadSwapsModelsUnderLoadWithoutAFailedRequestAndABadFileKeepsTheOld() throws Exception {
        JsonNode fromA = post(port, "/v1/recommend", USER).json();
        Files.copy(modelB, served, StandardCopyOption.REPLACE_EXISTING);
        AtomicBoolean running = new AtomicBoolean(true);
        Set<JsonNode> answers = java.util.concurrent.ConcurrentHashMap.newKeySet();
        List<Future<Integer>> clients = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < 8; c++)
                clients.add(pool.submit(() -> {
                    int n = 0;
                    while (running.get()) {
                        var r = post(port, "/v1/recommend", USER);
                        assertEquals(200, r.status(), r.text());
                        answers.add(r.json());
                        n++;
                    }
                    return n;
                }));
            for (int i = 0; i < 6; i++) {
                Thread.sleep(100);
                Files.copy(i % 2 == 0 ? modelB : modelA, served, StandardCopyOption.REPLACE_EXISTING);
                var r = post(port, "/v1/admin/reload", "");
                assertEquals(200, r.status(), r.text());
            }
            Thread.sleep(100);
            running.set(false);
            int total = 0;
            for (Future<Integer> f : clients) total += f.get(); // rethrows a failed request
            assertTrue(total > 8, "requests were served during the reloads: " + total);
        }
        JsonNode fromB = new HashSet<>(answers).stream().filter(a -> !a.equals(fromA)).findFirst().orElse(null);
        assertTrue(fromB != null && answers.size() == 2, "answers from exactly the two models: " + answers.size());
        assertEquals(fromB.path("items").size(), 5);

        // the last reload installed A (i = 5); now a corrupt file: the reload fails and A stays
        Files.writeString(served, "not a model");
        long failedBefore = server.metrics().errors();
        var bad = post(port, "/v1/admin/reload", "");
        assertEquals(500, bad.status(), bad.text());
        assertTrue(bad.json().path("error").asText().startsWith("reload failed, still serving the model loaded at"), bad.text());
        assertEquals(failedBefore + 1, server.metrics().errors(), "counted as an error");
        assertTrue(get(port, "/metrics").text().contains("metarec_model_reloads_total{outcome=\"failed\"} 1"));
        assertEquals(fromA, post(port, "/v1/recommend", USER).json(), "still serving the old model");
        Files.copy(modelA, served, StandardCopyOption.REPLACE_EXISTING);
    }
}
