package io.metarec.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metarec.cli.Main;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Tiny models trained through the CLI on the embedded synthetic data, and an HTTP client for a server under test. */
final class ServerFixture {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();

    private ServerFixture() {}

    /** Writes the synthetic dataset to {@code dir}/data. */
    static Path data(Path dir) throws IOException {
        return data(dir, 300);
    }

    /** The synthetic dataset with {@code users} users (fewer train faster) and 200 items. */
    static Path data(Path dir, int users) throws IOException {
        Path data = dir.resolve("data");
        Synthetic.write(SyntheticConfig.of(users, 200, 7), data, false);
        return data;
    }

    /**
     * The synthetic dataset with some items retitled ({@code id → title}; any text, written as a
     * quoted CSV field): titles a page must show as text, never as markup.
     */
    static Path data(Path dir, int users, Map<String, String> titles) throws IOException {
        Path data = data(dir, users);
        Path items = data.resolve("items.csv");
        List<String> lines = new ArrayList<>(Files.readAllLines(items));
        Set<String> done = new HashSet<>();
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            int idEnd = line.indexOf(','), titleEnd = line.indexOf(',', idEnd + 1); // synthetic titles hold no comma
            String title = titles.get(line.substring(0, idEnd));
            if (title == null) continue;
            lines.set(i, line.substring(0, idEnd + 1) + '"' + title.replace("\"", "\"\"") + '"' + line.substring(titleEnd));
            done.add(line.substring(0, idEnd));
        }
        if (!done.equals(titles.keySet())) throw new IllegalArgumentException("no such items: " + titles.keySet() + " vs " + done);
        Files.write(items, lines);
        return data;
    }

    /** Trains a small MAML model (one epoch) with the given seed; the CLI's stdout is discarded. */
    static Path train(Path data, Path out, String seed) {
        var old = System.out;
        System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        try {
            int rc = Main.run("train", "--data", data.toString(), "--out", out.toString(), "--embedding-dim", "8", "--hidden", "16,16",
                    "--epochs", "1", "--meta-batch", "16", "--inner-steps", "2", "--seed", seed);
            if (rc != 0) throw new IllegalStateException("train failed: " + rc);
        } finally {
            System.setOut(old);
        }
        return out;
    }

    record Reply(int status, JsonNode json, String text) {}

    static Reply send(int port, String method, String path, String body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(60));
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            if (body != null) b.header("Content-Type", "application/json");
            HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
            String ct = r.headers().firstValue("Content-Type").orElse("");
            return new Reply(r.statusCode(), ct.startsWith("application/json") ? JSON.readTree(r.body()) : null, r.body());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Reply post(int port, String path, String body) {
        return send(port, "POST", path, body);
    }

    static Reply get(int port, String path) {
        return send(port, "GET", path, null);
    }
}
