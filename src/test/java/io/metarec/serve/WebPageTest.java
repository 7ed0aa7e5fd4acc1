package io.metarec.serve;

import com.fasterxml.jackson.databind.JsonNode;
import io.metarec.cli.RankingOptions;
import io.metarec.rec.train.SavedModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.metarec.serve.ServerFixture.get;
import static io.metarec.serve.ServerFixture.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The web page at {@code /} and the catalogue search it uses ({@code GET /v1/items}), over plain HTTP (no browser). */
class WebPageTest {
    static final String HOSTILE = "<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\"> & \"Co\" (1999)";

    @TempDir static Path dir;
    static RecommendServer server;
    static int port;
    static SavedModel model;

    @BeforeAll
    static void start() throws IOException {
        Path data = ServerFixture.data(dir, 120, Map.of("5", HOSTILE, "6", "Amélie (2001)"));
        Path file = ServerFixture.train(data, dir.resolve("m.metarec"), "1");
        model = SavedModel.load(file);
        server = RecommendServer.start(file, RankingOptions.loader(null, 5), new InetSocketAddress("127.0.0.1", 0), 2,
                new Limits(64 << 10, 250, 20, 8));
        port = server.port();
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    static HttpResponse<String> raw(String method, String path) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
        return ServerFixture.CLIENT.send(r, HttpResponse.BodyHandlers.ofString());
    }

    static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static List<String> ids(JsonNode page) {
        List<String> out = new ArrayList<>();
        for (JsonNode i : page.path("items")) out.add(i.path("id").asText());
        return out;
    }

    // ---- the page --------------------------------------------------------------------------------

    @Test
    void thePageIsSelfContainedHtmlWithTheElementsTheScriptUses() throws Exception {
        HttpResponse<String> r = raw("GET", "/");
        assertEquals(200, r.statusCode());
        assertEquals("text/html; charset=utf-8", r.headers().firstValue("Content-Type").orElse(""));
        assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElse(""));
        String html = r.body();
        assertTrue(html.startsWith("<!doctype html>"), html.substring(0, 40));
        for (String id : List.of("search", "results", "search-error", "rated", "k", "exclude", "recommend", "error", "adapted", "recommendations", "model"))
            assertTrue(html.contains("id=\"" + id + "\""), "element #" + id);
        // self-contained: no URL to anywhere else, nothing loaded by src/href but the empty data: icon
        assertFalse(html.contains("http:") || html.contains("https:"), "no absolute URL");
        Matcher refs = Pattern.compile("\\b(src|href)=\"([^\"]*)\"").matcher(html);
        while (refs.find()) assertEquals("data:,", refs.group(2), "only the blank favicon is referenced: " + refs.group());
        // text from the server goes in as text: the script never parses HTML it builds
        for (String sink : List.of("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("))
            assertFalse(html.contains(sink), "the page uses " + sink);
        assertEquals(1, html.split("<script>", -1).length - 1, "one inline script");
        assertEquals(1, html.split("<style>", -1).length - 1, "one inline style sheet");

        // the policy allows exactly that script and that style sheet, by hash, and fetches to this server
        String csp = r.headers().firstValue("Content-Security-Policy").orElse("");
        String script = html.substring(html.indexOf("<script>") + 8, html.indexOf("</script>"));
        String style = html.substring(html.indexOf("<style>") + 7, html.indexOf("</style>"));
        assertTrue(csp.startsWith("default-src 'none';"), csp);
        assertTrue(csp.contains("script-src 'sha256-" + sha256(script) + "';"), csp);
        assertTrue(csp.contains("style-src 'sha256-" + sha256(style) + "';"), csp);
        assertTrue(csp.contains("connect-src 'self';"), csp);
        assertFalse(csp.contains("unsafe-inline"), csp);

        assertEquals(200, raw("GET", "/?utm=x").statusCode(), "a query string on / is the same page");
        var post = post(port, "/", "{}");
        assertEquals(405, post.status());
        assertTrue(post.json().path("error").asText().contains("use GET"), post.text());
        assertEquals(404, get(port, "/index.htm").status(), "only / serves the page");
        assertTrue(server.metrics().count("/", 200) >= 2, "the page is counted under its own endpoint");
    }

    static String sha256(String s) throws Exception {
        return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    // ---- GET /v1/items ---------------------------------------------------------------------------

    @Test
    void anEmptyQueryListsTheMostRatedFirst() {
        var r = get(port, "/v1/items");
        assertEquals(200, r.status(), r.text());
        int n = model.itemIds().size();
        assertEquals(n, r.json().path("total").asInt());
        JsonNode items = r.json().path("items");
        assertEquals(RecommendServer.DEFAULT_LIMIT, items.size(), "the default limit");
        int previous = Integer.MAX_VALUE;
        for (JsonNode i : items) {
            int idx = model.itemIndex(i.path("id").asText());
            assertTrue(idx >= 0, i.toString());
            assertEquals(model.title(idx), i.path("title").asText());
            assertFalse(i.has("features"), "a listing has ids and titles only: " + i);
            int count = model.trainingCount(idx);
            assertTrue(count >= 0 && count <= previous, "most rated first: " + count + " after " + previous);
            previous = count;
        }
        assertEquals(r.json(), get(port, "/v1/items?query=").json(), "an empty query is no query");
        assertEquals(r.json(), get(port, "/v1/items?query=%20%20").json(), "spaces are no query");
        assertEquals(5, get(port, "/v1/items?limit=5").json().path("items").size());
        assertEquals(ids(r.json()).subList(0, 5), ids(get(port, "/v1/items?limit=5").json()));
        assertEquals(n, get(port, "/v1/items?limit=250").json().path("items").size(), "all " + n + " items within max k");
    }

    @Test
    void aQueryMatchesEveryWordOfTheTitleFoldedOrTheId() {
        String title = model.title(model.itemIndex("1")); // "The <Adjective> <Noun> (year)"
        String[] words = title.split(" ");
        var r = get(port, "/v1/items?query=" + q(words[2].toUpperCase() + " " + words[1].toLowerCase()) + "&limit=250");
        assertEquals(200, r.status(), r.text());
        assertTrue(ids(r.json()).contains("1"), "words in any order and case: " + r.text());
        assertEquals(r.json().path("items").size(), r.json().path("total").asInt());
        for (JsonNode i : r.json().path("items")) {
            String t = i.path("title").asText().toLowerCase();
            assertTrue(t.contains(words[1].toLowerCase()) && t.contains(words[2].toLowerCase()), "every word matches: " + t);
        }
        assertEquals(List.of("6"), ids(get(port, "/v1/items?query=amelie").json()), "accents folded");
        assertEquals(List.of("6"), ids(get(port, "/v1/items?query=" + q("AMÉLIE 2001")).json()));
        assertTrue(ids(get(port, "/v1/items?query=17").json()).contains("17"), "an item id finds the item");
        var none = get(port, "/v1/items?query=zzzqqq");
        assertEquals(200, none.status());
        assertEquals(0, none.json().path("total").asInt());
        assertEquals(0, none.json().path("items").size());

        var hostile = get(port, "/v1/items?query=script");
        assertEquals(List.of("5"), ids(hostile.json()));
        assertEquals(HOSTILE, hostile.json().path("items").path(0).path("title").asText(), "the title as it is, in JSON");
        assertTrue(hostile.text().contains("<script>"), "JSON carries the text; the page renders it as text");
    }

    @Test
    void badParametersAre400sNamingTheParameter() {
        String[][] cases = {
                // query string, field, message part
                {"limit=0", "limit", "1..250"},
                {"limit=251", "limit", "1..250"},
                {"limit=-3", "limit", "1..250"},
                {"limit=ten", "limit", "integer"},
                {"limit=", "limit", "integer"},
                {"limit=2.5", "limit", "integer"},
                {"limit=99999999999999999999", "limit", "integer"},
                {"q=star", "q", "unknown parameter 'q'"},
                {"query=a&query=b", "query", "given twice"},
                {"query=" + "x".repeat(Catalogue.MAX_QUERY + 1), "query", "at most " + Catalogue.MAX_QUERY},
        };
        for (String[] c : cases) {
            var r = get(port, "/v1/items?" + c[0]);
            assertEquals(400, r.status(), c[0] + " → " + r.text());
            assertEquals(c[1], r.json().path("field").asText(""), c[0] + " → " + r.text());
            assertTrue(r.json().path("error").asText().contains(c[2]), c[0] + " → " + r.text());
            assertTrue(r.json().path("error").asText().length() < 200, "the client's text is clipped in the message: " + r.text());
        }
        assertEquals(200, get(port, "/v1/items?query=" + "x".repeat(Catalogue.MAX_QUERY)).status());
        var post = post(port, "/v1/items", "{}");
        assertEquals(405, post.status());
        assertTrue(post.json().path("error").asText().contains("use GET"), post.text());
        assertEquals(200, get(port, "/v1/items/1").status(), "the item endpoint is unchanged");
        assertTrue(get(port, "/metrics").text().contains("metarec_requests_total{endpoint=\"/v1/items\",status=\"400\"} " + cases.length));
    }

    @Test
    void theCatalogueFollowsAReload() {
        JsonNode before = get(port, "/v1/items?limit=3").json();
        var r = post(port, "/v1/admin/reload", "");
        assertEquals(200, r.status(), r.text());
        assertEquals(before, get(port, "/v1/items?limit=3").json(), "the same file, the same listing");
    }
}
