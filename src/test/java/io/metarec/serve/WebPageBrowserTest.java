package io.metarec.serve;

import com.fasterxml.jackson.databind.JsonNode;
import io.metarec.cli.RankingOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static io.metarec.serve.ServerFixture.get;
import static io.metarec.serve.ServerFixture.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The web page in a real browser: Debian's headless chromium driven through chromedriver by
 * Selenium. It searches the catalogue, rates movies, asks for recommendations and checks what the
 * page shows against the API's own answers, then a bad request's error and a title full of markup.
 *
 * <p>Skipped (with the reason) where chromium or chromedriver is not installed — {@code apt-get
 * install chromium chromium-driver} on Debian — or with {@code -Dmetarec.browser=off}. Other paths:
 * {@code -Dmetarec.chromium=…} and {@code -Dmetarec.chromedriver=…}. Selenium is handed the driver
 * explicitly, so Selenium Manager never runs and nothing is downloaded.
 */
class WebPageBrowserTest {
    static final String CHROMIUM = System.getProperty("metarec.chromium", "/usr/bin/chromium");
    static final String CHROMEDRIVER = System.getProperty("metarec.chromedriver", "/usr/bin/chromedriver");
    static final String HOSTILE = WebPageTest.HOSTILE;
    static final Duration WAIT = Duration.ofSeconds(20); // a ceiling for a loaded machine; a wait normally takes milliseconds

    @TempDir static Path dir;
    static RecommendServer server;
    static ChromeDriverService service;
    static ChromeDriver browser;
    static CompletableFuture<ChromeDriver> starting;
    static int port;

    /** Why the browser test cannot run here, or null. */
    static String unavailable;

    static String unavailable(String driverVersion) {
        if ("off".equals(System.getProperty("metarec.browser"))) return "browser test turned off (-Dmetarec.browser=off)";
        if (!Files.isExecutable(Path.of(CHROMIUM)))
            return "no chromium at " + CHROMIUM + " (apt-get install chromium chromium-driver, or -Dmetarec.chromium=PATH)";
        if (!Files.isExecutable(Path.of(CHROMEDRIVER)))
            return "no chromedriver at " + CHROMEDRIVER + " (apt-get install chromium-driver, or -Dmetarec.chromedriver=PATH)";
        if (driverVersion == null) return CHROMEDRIVER + " --version does not run: the driver is installed but unusable here";
        if (runs(CHROMIUM, "--version") == null) return CHROMIUM + " --version does not run: the browser is installed but unusable here";
        return null;
    }

    @BeforeAll
    static void start() throws IOException {
        // the reason is reported per test (@BeforeEach): an assumption failing here would skip the class without a word
        String version = Files.isExecutable(Path.of(CHROMEDRIVER)) ? runs(CHROMEDRIVER, "--version") : null;
        unavailable = unavailable(version);
        if (unavailable != null) {
            System.err.println("WebPageBrowserTest skipped: " + unavailable);
            return;
        }

        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
                "--disable-background-networking", "--disable-component-update", "--disable-default-apps",
                "--user-data-dir=" + dir.resolve("profile"), "--window-size=1280,1000");
        options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL")); // the console, read at the end
        // the driver by path: Selenium Manager (which would look for, or download, a driver) never runs
        service = new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort()
                .withLogOutput(java.io.OutputStream.nullOutputStream()).build();
        // the browser starts while the model trains
        starting = CompletableFuture.supplyAsync(() -> new ChromeDriver(service, options));

        Path data = ServerFixture.data(dir, 120, Map.of("5", HOSTILE));
        Path file = ServerFixture.train(data, dir.resolve("m.metarec"), "1");
        server = RecommendServer.start(file, RankingOptions.loader(null, 5), new InetSocketAddress("127.0.0.1", 0), 2,
                new Limits(64 << 10, 250, 20, 8));
        port = server.port();

        try {
            browser = starting.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            fail("chromium and chromedriver are installed (" + version.strip() + ") but no browser session starts; "
                    + "-Dmetarec.browser=off skips this test: " + String.valueOf(cause.getMessage()).lines().findFirst().orElse(""), cause);
        }
        browser.manage().timeouts().pageLoadTimeout(WAIT).scriptTimeout(WAIT);
    }

    @BeforeEach
    void browserInstalled() {
        assumeTrue(unavailable == null, () -> unavailable);
    }

    @AfterAll
    static void stop() {
        try {
            if (browser == null && starting != null) browser = starting.exceptionally(e -> null).join(); // a failed set-up
            if (browser != null) browser.quit();
        } finally {
            if (service != null) service.stop();
            if (server != null) server.close();
        }
    }

    /** The command's output when it exits 0 within 10 s, else null. */
    static String runs(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return p.exitValue() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    // ---- page helpers ----------------------------------------------------------------------------

    /** Polls until {@code condition} holds (a stale element just means "not yet"), failing after {@link #WAIT}. */
    static void await(String what, Supplier<Boolean> condition) {
        long end = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try {
                if (Boolean.TRUE.equals(condition.get())) return;
            } catch (StaleElementReferenceException e) {
                // the list was redrawn under us; look again
            }
            if (System.nanoTime() > end) fail("timed out waiting for " + what + "; the page shows:\n" + browser.findElement(By.tagName("main")).getText());
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }
    }

    static WebElement byId(String id) {
        return browser.findElement(By.id(id));
    }

    static int answers() {
        return Integer.parseInt(byId("out").getDomAttribute("data-answers"));
    }

    /** Types {@code query} into the search box and waits for exactly the API's answer to it. */
    static void search(String query) {
        List<String> expected = new ArrayList<>();
        for (JsonNode i : get(port, "/v1/items?limit=20&query=" + URLEncoder.encode(query, StandardCharsets.UTF_8).replace("+", "%20")).json().path("items"))
            expected.add(i.path("id").asText());
        WebElement box = byId("search");
        box.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.DELETE);
        box.sendKeys(query);
        await("the results for '" + query + "': " + expected,
                () -> query.equals(byId("results").getDomAttribute("data-query")) && ids("#results > li").equals(expected));
    }

    /** The data-id of each element {@code css} selects, in one script call. */
    @SuppressWarnings("unchecked")
    static List<String> ids(String css) {
        return (List<String>) browser.executeScript("return [...document.querySelectorAll(arguments[0])].map(e => e.dataset.id);", css);
    }

    /** Finds {@code id} in the catalogue by its title, as a user would, and rates it. */
    static void searchAndRate(String id, int rating) {
        String title = get(port, "/v1/items/" + id).json().path("title").asText();
        search(title.substring(0, title.indexOf(" (")));
        browser.findElement(By.cssSelector("#results > li[data-id='" + id + "'] button[data-rating='" + rating + "']")).click();
        await("item " + id + " rated " + rating, () -> browser.findElements(By.cssSelector("#rated > li[data-id='" + id + "'][data-rating='" + rating + "']")).size() == 1);
    }

    record Shown(String id, String title, double score, String scoreText) {}

    /** Presses Recommend and returns the list the page shows once the answer is in (read in one script call: fewer round trips). */
    @SuppressWarnings("unchecked")
    static List<Shown> recommend() {
        int before = answers();
        byId("recommend").click();
        await("an answer", () -> answers() == before + 1);
        List<List<String>> rows = (List<List<String>>) browser.executeScript("""
                return [...document.querySelectorAll('#recommendations > li')].map(li => [li.dataset.id,
                    li.querySelector('.title').innerText, li.querySelector('.title .id').innerText,
                    li.dataset.score, li.querySelector('.score').innerText]);""");
        List<Shown> out = new ArrayList<>();
        for (List<String> r : rows)
            out.add(new Shown(r.get(0), r.get(1).substring(0, r.get(1).length() - r.get(2).length()).strip(), Double.parseDouble(r.get(3)), r.get(4)));
        return out;
    }

    /** The API's answer for these ratings (id → rating), as the page asks it. */
    static JsonNode api(Map<String, Integer> ratings, int k) {
        StringBuilder b = new StringBuilder("{\"ratings\":[");
        ratings.forEach((id, r) -> b.append(b.charAt(b.length() - 1) == '[' ? "" : ",").append("{\"item\":\"").append(id).append("\",\"rating\":").append(r).append('}'));
        var reply = post(port, "/v1/recommend", b.append("],\"exclude_rated\":true,\"k\":").append(k).append('}').toString());
        assertEquals(200, reply.status(), reply.text());
        return reply.json();
    }

    static void assertShows(JsonNode expected, List<Shown> shown) {
        JsonNode items = expected.path("items");
        assertEquals(items.size(), shown.size(), "the list's length: " + shown);
        for (int i = 0; i < shown.size(); i++) {
            Shown s = shown.get(i);
            JsonNode e = items.get(i);
            assertEquals(e.path("item").asText(), s.id(), "rank " + (i + 1));
            assertEquals(e.path("title").asText(), s.title(), "rank " + (i + 1));
            assertEquals(e.path("score").asDouble(), s.score(), "rank " + (i + 1));
            assertTrue(s.scoreText().matches("\\d+\\.\\d\\d") && Math.abs(Double.parseDouble(s.scoreText()) - s.score()) <= 0.0051,
                    "the score shown to two places: " + s);
        }
        assertEquals(expected.path("adapted_steps").asText(), byId("steps").getText(), "the adapted steps shown");
    }

    // ---- the test --------------------------------------------------------------------------------

    @Test
    void pickRateRecommendAsTheApiDoesShowErrorsAndNeverRunATitle() {
        browser.get("http://127.0.0.1:" + port + "/");
        assertEquals("metarec: rate a few movies", browser.getTitle());
        // on load: the most rated items, and the model's description
        List<String> popular = new ArrayList<>();
        for (JsonNode i : get(port, "/v1/items").json().path("items")) popular.add(i.path("id").asText());
        await("the most rated items listed", () -> ids("#results > li").equals(popular));
        await("the model described", () -> byId("model").getText().startsWith("maml model · "));
        assertTrue(byId("no-ratings").isDisplayed());
        assertFalse(byId("error").isDisplayed());

        // nothing rated yet: the unadapted model's list
        Map<String, Integer> ratings = new LinkedHashMap<>();
        assertShows(api(ratings, 10), recommend());
        assertTrue(byId("adapted").getText().startsWith("No ratings, so no adaptation (0 steps)"), byId("adapted").getText());

        // pick three movies by searching for their titles, and rate them
        ratings.put(popular.get(0), 5);
        ratings.put(popular.get(1), 1);
        ratings.put(popular.get(2), 4);
        ratings.forEach(WebPageBrowserTest::searchAndRate);
        assertEquals(List.copyOf(ratings.keySet()), ids("#rated > li"));
        assertFalse(byId("no-ratings").isDisplayed());

        WebElement k = byId("k");
        k.clear();
        k.sendKeys("8");
        List<Shown> first = recommend();
        JsonNode firstApi = api(ratings, 8);
        assertShows(firstApi, first);
        assertTrue(byId("adapted").getText().startsWith("Adapted to your 3 ratings in "), byId("adapted").getText());
        for (Shown s : first) assertFalse(ratings.containsKey(s.id()), "rated movies are left out: " + s);
        assertTrue(byId("score-note").isDisplayed(), "what the scores are");

        // change the ratings (flip the first two, from the ratings list) and add one from the recommendations
        String top = first.getFirst().id();
        browser.findElement(By.cssSelector("#rated > li[data-id='" + popular.get(0) + "'] button[data-rating='1']")).click();
        browser.findElement(By.cssSelector("#rated > li[data-id='" + popular.get(1) + "'] button[data-rating='5']")).click();
        browser.findElement(By.cssSelector("#recommendations > li[data-id='" + top + "'] button[data-rating='2']")).click();
        ratings.put(popular.get(0), 1);
        ratings.put(popular.get(1), 5);
        ratings.put(top, 2);
        await("the new ratings listed", () -> browser.findElements(By.cssSelector("#rated > li")).size() == 4);
        List<Shown> second = recommend();
        JsonNode secondApi = api(ratings, 8);
        assertShows(secondApi, second);
        assertNotEquals(firstApi.path("items"), secondApi.path("items"), "the API's answer changes with the ratings");
        assertNotEquals(first, second, "and so does the page's");
        assertFalse(second.stream().anyMatch(s -> s.id().equals(top)), "the newly rated movie is left out");

        // a bad request: the API's error, with the field it names, shown on the page
        k.clear();
        k.sendKeys("0");
        assertEquals(List.of(), recommend(), "no list under an error");
        WebElement error = byId("error");
        assertTrue(error.isDisplayed());
        assertFalse(byId("score-note").isDisplayed());
        var apiError = post(port, "/v1/recommend", "{\"k\":0}");
        assertEquals(400, apiError.status());
        assertEquals("k", error.findElement(By.cssSelector(".field")).getText());
        assertEquals(apiError.json().path("error").asText(), error.findElement(By.cssSelector(".message")).getText());
        assertTrue(error.getText().startsWith("HTTP 400 k: 'k' must be an integer in 1..250"), error.getText());
        k.clear();
        k.sendKeys("8");
        assertShows(secondApi, recommend());
        assertFalse(byId("error").isDisplayed(), "a good answer clears the error");

        // a title full of markup is shown as text, in the results and in the ratings, and runs nothing
        search("script");
        WebElement hostile = browser.findElement(By.cssSelector("#results > li[data-id='5'] .title"));
        assertTrue(hostile.getText().startsWith(HOSTILE), hostile.getText());
        hostile.findElement(By.xpath("../..")).findElement(By.cssSelector("button[data-rating='3']")).click();
        await("the title in the ratings", () -> byId("rated").getText().contains(HOSTILE));
        JavascriptExecutor js = browser;
        assertEquals(0L, js.executeScript("return document.querySelectorAll('main img, main script').length"), "no element made from a title");
        assertEquals(true, js.executeScript("return window.pwned === undefined"), "no title's script ran");
        ratings.put("5", 3);
        assertShows(api(ratings, 8), recommend());

        // the console: no script error, nothing the page's Content-Security-Policy refused (only the 400 above logged)
        List<String> console = browser.manage().logs().get(LogType.BROWSER).getAll().stream().map(e -> e.getLevel() + " " + e.getMessage()).toList();
        for (String line : console)
            assertTrue(line.startsWith("SEVERE") && line.contains("/v1/recommend") && line.contains("status of 400"), "console: " + line);
    }
}
