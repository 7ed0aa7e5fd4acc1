package io.metarec.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import io.metarec.serve.Limits;
import io.metarec.serve.RecommendServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code serve} answers what {@code recommend} prints for the same ratings and profile; bad options are one line and exit 2. */
class ServeCommandTest extends CapturedCli {
    @TempDir static Path dir;
    static Path model;

    @BeforeAll
    static void train() throws Exception {
        Path data = dir.resolve("data");
        Synthetic.write(SyntheticConfig.of(300, 200, 7), data, false);
        model = dir.resolve("m.metarec");
        var old = System.out;
        System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        try {
            assertEquals(0, Main.run(RecCommandsTest.concat(new String[] {"train", "--data", data.toString(), "--out", model.toString()}, RecCommandsTest.SMALL)));
        } finally {
            System.setOut(old);
        }
    }

    @Test
    void serveRecommendsWhatRecommendPrints() throws Exception {
        Path ratings = dir.resolve("r.csv");
        Files.writeString(ratings, "item,rating\n1,5\n4,2\n9,4\n12,1\n");
        assertEquals(0, run("recommend", "--model", model.toString(), "--ratings", ratings.toString(), "--user-features", "gender=F,age=25-34", "-k", "8"),
                err.toString());
        List<String> printed = new ArrayList<>();
        for (String line : out.toString().split("\\R")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 3 && f[0].matches("\\d+")) printed.add(f[1] + " " + f[f.length - 1]); // rank item title… score
        }
        assertEquals(8, printed.size(), out.toString());

        try (RecommendServer s = RecommendServer.start(model, RankingOptions.loader(null, 5), new InetSocketAddress("127.0.0.1", 0), 2, Limits.defaults())) {
            String body = """
                    {"ratings":[{"item":"1","rating":5},{"item":4,"rating":2},{"item":"9","rating":4},{"item":"12","rating":1}],
                     "user":{"gender":"F","age":"25-34"},"k":8}""";
            HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpResponse<String> r = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/v1/recommend"))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            JsonNode json = new ObjectMapper().readTree(r.body());
            List<String> served = new ArrayList<>();
            for (JsonNode i : json.path("items")) served.add(i.path("item").asText() + " " + String.format(Locale.ROOT, "%.2f", i.path("score").asDouble()));
            assertEquals(printed, served);
        }
    }

    @Test
    void badOptionsAndModelsAreOneLineAndExitTwo() throws Exception {
        assertEquals(2, run("serve", "--model", dir.resolve("nowhere.metarec").toString(), "--port", "0"));
        assertTrue(err.toString().startsWith("metarec serve: "), err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertEquals(2, run("serve", "--model", model.toString(), "--port", "70000"));
        assertTrue(err.toString().contains("--port must be in 0..65535"), err.toString());
        assertEquals(2, run("serve", "--model", model.toString(), "--threads", "0", "--port", "0"));
        assertTrue(err.toString().contains("--threads must be at least 1"), err.toString());
        assertEquals(2, run("serve", "--model", model.toString(), "--steps", "-1", "--port", "0"));
        assertTrue(err.toString().contains("--steps"), err.toString());
        Path junk = dir.resolve("junk.metarec");
        Files.writeString(junk, "not a model");
        assertEquals(2, run("serve", "--model", junk.toString(), "--port", "0"));
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
    }
}
