package io.metarec.serve;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.metarec.backend.Backends;
import io.metarec.rec.data.FeatureTable;
import io.metarec.rec.train.UserRecommender;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The HTTP/JSON recommendation server: the JDK's {@link HttpServer} with one virtual thread per
 * request. Virtual threads make waiting (slow clients, the queue for a core) nearly free, so the
 * server needs no tuned pool; the compute — adapting a model to a user — is bounded separately by
 * a semaphore of {@code threads} permits, so 64 concurrent clients share the cores instead of
 * thrashing them. The model sits in an {@link AtomicReference}: a reload swaps it whole, and each
 * request reads it once, so requests in flight finish on the model they started with.
 */
public final class RecommendServer implements AutoCloseable {
    /** Loads a model file into a ready recommender (the command decides inner steps and ranking). */
    @FunctionalInterface
    public interface Loader {
        UserRecommender load(Path file) throws IOException;
    }

    /** Catalogue entries per page when a request names no limit. */
    static final int DEFAULT_LIMIT = 20;
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

    private final HttpServer http;
    private final ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicReference<ServedModel> model = new AtomicReference<>();
    private final Loader loader;
    private final Path file;
    private final Semaphore compute;
    private final Limits limits;
    private final Metrics metrics = new Metrics();
    private final WebPage page = WebPage.load();

    private RecommendServer(Path file, Loader loader, InetSocketAddress address, int threads, Limits limits) throws IOException {
        if (threads < 1) throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        this.file = file;
        this.loader = loader;
        this.limits = limits;
        this.compute = new Semaphore(threads, true);
        model.set(ServedModel.of(loader.load(file), file)); // a bad model file fails the start, not the first request
        http = HttpServer.create(address, 1024);
        http.createContext("/", this::handle);
        http.setExecutor(requests);
    }

    /** Loads the model and starts serving on {@code address} (port 0: an ephemeral port, see {@link #port()}). */
    public static RecommendServer start(Path file, Loader loader, InetSocketAddress address, int threads, Limits limits) throws IOException {
        RecommendServer s = new RecommendServer(file, loader, address, threads, limits);
        Backends.preferRecycledHostMemory(); // every request repeats the catalogue's shapes
        s.http.start();
        return s;
    }

    public int port() { return http.getAddress().getPort(); }

    public Metrics metrics() { return metrics; }

    /** Stops accepting, gives exchanges in progress up to a second, and ends the request threads. */
    @Override public void close() {
        http.stop(1);
        requests.shutdownNow();
    }

    /**
     * Re-reads the model file and swaps it in; on any failure the served model stays. Serialised,
     * so two reloads never race to install an older file last.
     */
    synchronized ServedModel reload() {
        ServedModel next;
        try {
            next = ServedModel.of(loader.load(file), file);
        } catch (Exception | OutOfMemoryError e) {
            metrics.reloaded(false);
            throw new ApiException(500, null, "reload failed, still serving the model loaded at " + model.get().loadedAt() + ": "
                    + (e.getMessage() == null ? e.toString() : e.getMessage().strip().replaceAll("\\s*\\R\\s*", " ")));
        }
        model.set(next);
        metrics.reloaded(true);
        return next;
    }

    // ---- routing ------------------------------------------------------------------------------

    private record Response(int status, String contentType, byte[] body) {}

    private void handle(HttpExchange ex) {
        long start = System.nanoTime();
        String path = ex.getRequestURI().getRawPath();
        String endpoint = endpoint(path);
        Response r;
        try {
            r = route(ex, endpoint, path);
        } catch (ApiException e) {
            r = json(e.status, new Api.Error(e.getMessage(), e.field));
        } catch (JacksonException e) {
            r = json(400, new Api.Error("malformed JSON: " + e.getOriginalMessage(), null));
        } catch (ArithmeticException e) {
            r = json(500, new Api.Error("the model gives non-finite values: its parameters are out of range (training diverged, or the file was altered)", null));
        } catch (Throwable e) { // the server never dies on a request; the cause goes to the log and the client
            System.err.println("metarec serve: internal error on " + ex.getRequestMethod() + " " + path + ": " + e);
            r = json(500, new Api.Error("internal error: " + e, null));
        }
        // counted before sending, so a client that has its answer also sees it counted; the latency
        // is the server's part, from dispatch to a ready response
        metrics.record(endpoint, r.status, System.nanoTime() - start);
        send(ex, r);
    }

    /** The route a path belongs to: the metrics label, so ids in paths cannot grow the label set. */
    static String endpoint(String path) {
        return switch (path) {
            case "/", "/v1/items", "/v1/recommend", "/v1/recommend/batch", "/v1/admin/reload", "/healthz", "/metrics" -> path;
            default -> path.startsWith("/v1/items/") ? "/v1/items/{id}" : "other";
        };
    }

    private Response route(HttpExchange ex, String endpoint, String path) throws IOException {
        String method = ex.getRequestMethod();
        String allowed = switch (endpoint) {
            case "/v1/recommend", "/v1/recommend/batch", "/v1/admin/reload" -> "POST";
            case "/", "/v1/items", "/healthz", "/metrics", "/v1/items/{id}" -> "GET";
            default -> throw new ApiException(404, null, "no such endpoint: " + path);
        };
        if (!allowed.equals(method)) {
            ex.getResponseHeaders().set("Allow", allowed);
            throw new ApiException(405, null, method + " is not allowed on " + endpoint + "; use " + allowed);
        }
        if (endpoint.equals("/")) return page(ex);
        ServedModel m = model.get(); // once: the whole request runs on this model, whatever a reload does
        return switch (endpoint) {
            case "/v1/items" -> json(200, catalogue(m, ex.getRequestURI().getRawQuery()));
            case "/v1/recommend" -> json(200, recommend(m, new RequestParser(m, limits).user(body(ex), "")));
            case "/v1/recommend/batch" -> json(200, batch(m, new RequestParser(m, limits).batch(body(ex))));
            // the decoded path: %-escapes resolved, a '+' kept (it is no space in a path)
            case "/v1/items/{id}" -> json(200, item(m, ex.getRequestURI().getPath().substring("/v1/items/".length())));
            case "/healthz" -> json(200, health(m));
            case "/metrics" -> new Response(200, "text/plain; version=0.0.4; charset=utf-8", metrics.render().getBytes(StandardCharsets.UTF_8));
            case "/v1/admin/reload" -> json(200, health(reload()));
            default -> throw new IllegalStateException(endpoint);
        };
    }

    // ---- endpoints ----------------------------------------------------------------------------

    private Api.Recommendation recommend(ServedModel m, Api.UserQuery q) {
        UserRecommender rec = m.recommender();
        List<UserRecommender.Ranked> top;
        compute.acquireUninterruptibly();
        try {
            top = rec.recommend(q.profile(), q.ratings(), q.k(), q.excludeRated());
        } finally {
            compute.release();
        }
        List<Api.Item> items = new ArrayList<>(top.size());
        for (UserRecommender.Ranked r : top) items.add(new Api.Item(r.item(), r.title(), (float) r.score()));
        return new Api.Recommendation(items, rec.stepsFor(q.ratings().size()));
    }

    /** Each user adapted on its own virtual thread (the semaphore bounds how many adapt at once). */
    private Api.BatchResult batch(ServedModel m, List<Api.UserQuery> users) {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Api.Recommendation>> futures = new ArrayList<>(users.size());
            for (Api.UserQuery q : users) futures.add(pool.submit(() -> recommend(m, q)));
            List<Api.Recommendation> out = new ArrayList<>(users.size());
            for (Future<Api.Recommendation> f : futures) out.add(io.metarec.util.Futures.await(f, "during a batch"));
            return new Api.BatchResult(out);
        }
    }

    /** The web page, with the headers that keep it self-contained (see {@link WebPage}). */
    private Response page(HttpExchange ex) {
        var h = ex.getResponseHeaders();
        h.set("Content-Security-Policy", page.contentSecurityPolicy);
        h.set("Referrer-Policy", "no-referrer");
        h.set("Cache-Control", "no-cache");
        return new Response(200, WebPage.CONTENT_TYPE, page.html);
    }

    /** {@code GET /v1/items?query=…&limit=…}: titles matching the query, the most rated first, at most {@code limit} (≤ max k). */
    private Api.Catalogue catalogue(ServedModel m, String rawQuery) {
        Map<String, String> p = RequestParser.parameters(rawQuery, Set.of("query", "limit"));
        String query = p.getOrDefault("query", "");
        if (query.length() > Catalogue.MAX_QUERY)
            throw ApiException.badRequest("query", "'query' is " + query.length() + " characters long; at most " + Catalogue.MAX_QUERY);
        int limit = RequestParser.positive(p, "limit", limits.maxK(), Math.min(DEFAULT_LIMIT, limits.maxK()));
        Catalogue.Page found = m.catalogue().search(query, limit);
        List<Api.ItemInfo> items = new ArrayList<>(found.items().size());
        for (int i : found.items()) items.add(new Api.ItemInfo(m.recommender().model().itemIds().get(i), m.recommender().model().title(i), null));
        return new Api.Catalogue(items, found.total());
    }

    private static Api.ItemInfo item(ServedModel m, String id) {
        int i = m.item(id);
        if (i < 0) throw new ApiException(404, "id", "item '" + id + "' is not in the model's catalogue");
        FeatureTable t = m.recommender().model().encoder().items();
        Map<String, List<String>> features = new LinkedHashMap<>();
        for (int f = 0; f < t.fieldCount(); f++) features.put(t.field(f).name(), t.labels(f, i));
        return new Api.ItemInfo(id, m.recommender().model().title(i), features.isEmpty() ? null : features);
    }

    private static Api.Health health(ServedModel m) {
        UserRecommender r = m.recommender();
        return new Api.Health("ok", m.file().toString(), r.model().config().algo(), r.model().itemIds().size(), r.steps(), m.loadedAt().toString());
    }

    // ---- I/O ----------------------------------------------------------------------------------

    /** The request body as JSON, refused with 413 beyond the size limit (read no further than it). */
    private JsonNode body(HttpExchange ex) throws IOException {
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            long n;
            try {
                n = Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                throw ApiException.badRequest(null, "bad Content-Length '" + length + "'");
            }
            if (n > limits.maxBodyBytes()) throw tooLarge();
        }
        byte[] bytes;
        try (InputStream in = ex.getRequestBody()) {
            bytes = in.readNBytes(limits.maxBodyBytes() + 1);
        }
        if (bytes.length > limits.maxBodyBytes()) throw tooLarge();
        if (bytes.length == 0) throw ApiException.badRequest(null, "the body is empty; expected a JSON object");
        return JSON.readTree(bytes);
    }

    private ApiException tooLarge() {
        return new ApiException(413, null, "the body exceeds " + limits.maxBodyBytes() + " bytes");
    }

    private static Response json(int status, Object body) {
        try {
            return new Response(status, "application/json", JSON.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void send(HttpExchange ex, Response r) {
        try (ex) {
            ex.getResponseHeaders().set("Content-Type", r.contentType);
            ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff"); // a browser takes each body as its declared type
            ex.sendResponseHeaders(r.status, r.body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(r.body);
            }
        } catch (IOException e) {
            // the client went away; nothing to answer
        }
    }
}
