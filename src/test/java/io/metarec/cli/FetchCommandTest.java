package io.metarec.cli;

import com.sun.net.httpserver.HttpServer;
import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.DatasetFormat;
import io.metarec.rec.data.Datasets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static io.metarec.cli.DataCommandTest.assertCleanError;
import static io.metarec.cli.DataCommandTest.run;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code data fetch} against an in-process HTTP server on an ephemeral port (these machines have no
 * internet): tiny hand-written MovieLens-100K-format files, invented here (no real MovieLens lines),
 * zipped under {@code ml-100k/}; the expected MD5 comes in through the hidden {@code --md5}.
 */
class FetchCommandTest {
    @TempDir Path tmp;
    @TempDir Path logs;
    private HttpServer server;
    private String base;
    private final Map<String, byte[]> served = new LinkedHashMap<>();
    private final CountDownLatch halfSent = new CountDownLatch(1), release = new CountDownLatch(1);

    /** Invented users, movies and ratings in the ML-100K layout (u.genre and u.occupation omitted: the reader's defaults). */
    static Map<String, String> files() {
        String flags1 = "|0|1|0|0|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0", flags2 = "|0|0|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0";
        Map<String, String> f = new LinkedHashMap<>();
        f.put("u.user", "1|31|F|engineer|10001\n2|47|M|artist|20002\n3|22|F|student|X1Y2Z\n");
        f.put("u.item", "1|Fetch Test Picture (1991)|05-Mar-1991||" + flags1 + "\n" + "2|Another Invented Film (1996)|||" + flags2 + "\n");
        f.put("u.data", "1\t1\t4\t890000001\n1\t2\t2\t890000002\n2\t1\t5\t890000003\n3\t2\t3\t890000004\n");
        f.put("README", "fixture written by FetchCommandTest; not MovieLens data\n");
        return f;
    }

    static byte[] zip(Map<String, String> entries) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(b)) {
            for (Map.Entry<String, String> e : entries.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                if (e.getValue() != null) z.write(e.getValue().getBytes(StandardCharsets.ISO_8859_1));
                z.closeEntry();
            }
        }
        return b.toByteArray();
    }

    static byte[] fixtureZip() throws IOException {
        Map<String, String> e = new LinkedHashMap<>();
        e.put("ml-100k/", null);
        files().forEach((k, v) -> e.put("ml-100k/" + k, v));
        return zip(e);
    }

    static String md5(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
    }

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            byte[] body = served.get(ex.getRequestURI().getPath());
            if (ex.getRequestURI().getPath().equals("/truncated.zip")) { // promises the whole archive, sends half, hangs up
                byte[] whole = fixtureZip();
                ex.sendResponseHeaders(200, whole.length);
                ex.getResponseBody().write(whole, 0, whole.length / 2);
                ex.getResponseBody().flush();
                ex.getHttpContext().getServer().stop(0);
                return;
            }
            if (ex.getRequestURI().getPath().equals("/slow.zip")) { // half the archive, then nothing until the test lets go
                byte[] whole = fixtureZip();
                ex.sendResponseHeaders(200, whole.length);
                ex.getResponseBody().write(whole, 0, whole.length / 2);
                ex.getResponseBody().flush();
                halfSent.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                ex.close();
                return;
            }
            if (body == null) {
                ex.sendResponseHeaders(404, -1);
            } else {
                ex.sendResponseHeaders(200, body.length);
                try (OutputStream o = ex.getResponseBody()) {
                    o.write(body);
                }
            }
            ex.close();
        });
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        release.countDown();
        server.stop(0);
    }

    /** Everything in the folder beside DIR: DIR and nothing else (no temporaries left). */
    private List<String> siblings() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void fetchesChecksUnpacksAndReads() throws Exception {
        byte[] zip = fixtureZip();
        served.put("/ml-100k.zip", zip);
        Path dir = tmp.resolve("ml");
        DataCommandTest.Result r = run("data", "fetch", "movielens-100k", "--out", dir.toString(), "--url", base + "/ml-100k.zip", "--md5", md5(zip));
        assertEquals(0, r.code(), r.out() + r.err());
        for (String f : files().keySet()) assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        assertFalse(Files.exists(dir.resolve("ml-100k")), "the top folder is stripped");
        assertEquals(List.of("ml"), siblings(), "no temporary left beside DIR");
        Dataset d = Datasets.load(dir);
        assertEquals(DatasetFormat.MOVIELENS_100K, d.format());
        assertEquals(3, d.numUsers());
        assertEquals(2, d.numItems());
        assertEquals(4, d.interactions().size());
        assertTrue(r.out().contains("may not be redistributed"), r.out());
        assertTrue(r.out().contains("metarec data describe " + dir), r.out());
        assertTrue(r.out().contains("3 users, 2 items, 4 ratings"), r.out());
    }

    @Test
    void aKilledRunsTemporaryIsRemovedAndAnInterruptedDownloadLeavesNoDir() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        Path stale = tmp.resolve(".ml.tmp-" + p.pid() + "-12345"); // what a fetch killed midway leaves beside DIR
        Files.createDirectories(stale.resolve("unpacked"));
        Files.writeString(stale.resolve("download.zip"), "half");
        byte[] zip = fixtureZip();
        served.put("/ml-100k.zip", zip);
        Path dir = tmp.resolve("ml");
        DataCommandTest.Result r = run("data", "fetch", "movielens-100k", "--out", dir.toString(), "--url", base + "/ml-100k.zip", "--md5", md5(zip));
        assertEquals(0, r.code(), r.out() + r.err());
        assertEquals(List.of("ml"), siblings(), "the dead run's temporary is gone");

        Path dir2 = tmp.resolve("ml2");
        assertCleanError(run("data", "fetch", "movielens-100k", "--out", dir2.toString(), "--url", base + "/truncated.zip", "--md5", md5(zip)),
                base + "/truncated.zip", "cannot download");
        assertFalse(Files.exists(dir2));
        assertEquals(List.of("ml"), siblings());
    }

    /** A child JVM fetching over an existing DIR with --force, killed (SIGKILL) mid-download: the old DIR is intact; the next fetch removes the kill's temporary. */
    @Test
    void killedMidDownloadLeavesTheOldDir() throws Exception {
        byte[] zip = fixtureZip();
        served.put("/ml-100k.zip", zip);
        Path dir = tmp.resolve("ml");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("old.txt"), "old\n");
        List<String> args = List.of("data", "fetch", "movielens-100k", "--out", dir.toString(), "--url", base + "/slow.zip", "--md5", md5(zip), "--force");
        Process p = KillResumeProcessTest.start(args, logs.resolve("out"), logs.resolve("err"));
        try {
            assertTrue(halfSent.await(60, TimeUnit.SECONDS), "the child started downloading");
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (siblings().stream().noneMatch(n -> n.startsWith(".ml.tmp-")) && System.nanoTime() < deadline) Thread.sleep(20);
            assertTrue(siblings().stream().anyMatch(n -> n.startsWith(".ml.tmp-")), "the download goes to a temporary beside DIR: " + siblings());
        } finally {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
            release.countDown();
        }
        assertEquals(List.of("old.txt"), Files.list(dir).map(f -> f.getFileName().toString()).toList(), "the old DIR is intact");
        assertEquals("old\n", Files.readString(dir.resolve("old.txt")));

        DataCommandTest.Result r = run("data", "fetch", "movielens-100k", "--out", dir.toString(), "--url", base + "/ml-100k.zip", "--md5", md5(zip), "--force");
        assertEquals(0, r.code(), r.out() + r.err());
        assertEquals(3, Datasets.load(dir).numUsers());
        assertEquals(List.of("ml"), siblings(), "the killed run's temporary is gone");
    }

    @Test
    void md5MismatchUnpacksNothing() throws Exception {
        byte[] zip = fixtureZip();
        served.put("/ml-100k.zip", zip);
        Path dir = tmp.resolve("ml");
        String url = base + "/ml-100k.zip";
        // without --md5: the published checksum of the real archive, which the fixture cannot match
        DataCommandTest.Result r = run("data", "fetch", "movielens-100k", "--out", dir.toString(), "--url", url);
        assertCleanError(r, "metarec data fetch:", url, "MD5 mismatch", "expected 0e33842e24a9c977be4e0107933c0723", "found " + md5(zip));
        assertFalse(Files.exists(dir));
        assertEquals(List.of(), siblings());
    }

    @Test
    void httpErrorIsOneLine() {
        Path dir = tmp.resolve("ml");
        String url = base + "/nothing-here.zip";
        assertCleanError(run("data", "fetch", "movielens-100k", "--out", dir.toString(), "--url", url), url, "HTTP status 404", "expected 200");
        assertFalse(Files.exists(dir));
        assertEquals(List.of(), assertDoesNotThrow(this::siblings));
    }

    @Test
    void connectionRefusedIsOneLine() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path dir = tmp.resolve("ml");
        String url = "http://127.0.0.1:" + port + "/ml-1m.zip";
        assertCleanError(run("data", "fetch", "movielens-1m", "--out", dir.toString(), "--url", url), url, "cannot download", "cannot connect to 127.0.0.1:" + port, "--url");
        assertFalse(Files.exists(dir));
    }

    @Test
    void zipSlipEntryIsRefused() throws Exception {
        Map<String, String> e = new LinkedHashMap<>();
        files().forEach((k, v) -> e.put("ml-100k/" + k, v));
        e.put("ml-100k/../../evil.txt", "gotcha\n");
        byte[] zip = zip(e);
        served.put("/slip.zip", zip);
        Path dir = tmp.resolve("ml");
        String url = base + "/slip.zip";
        assertCleanError(run("data", "fetch", "movielens-100k", "--out", dir.toString(), "--url", url, "--md5", md5(zip)),
                url, "bad archive", "ml-100k/../../evil.txt", "'..'");
        assertFalse(Files.exists(dir));
        assertFalse(Files.exists(tmp.getParent().resolve("evil.txt")));
        assertEquals(List.of(), siblings());

        Map<String, String> abs = new LinkedHashMap<>();
        abs.put("/etc/evil.txt", "x\n");
        byte[] zip2 = zip(abs);
        served.put("/abs.zip", zip2);
        assertCleanError(run("data", "fetch", "movielens-100k", "--out", dir.toString(), "--url", base + "/abs.zip", "--md5", md5(zip2)),
                "bad archive", "/etc/evil.txt", "absolute");
        assertFalse(Files.exists(dir));
    }

    @Test
    void badOrWrongArchivesAreCaughtBeforeDirExists() throws Exception {
        Path dir = tmp.resolve("ml");
        byte[] junk = "this is not a zip file at all".getBytes(StandardCharsets.US_ASCII);
        served.put("/junk.zip", junk);
        assertCleanError(run("data", "fetch", "movielens-100k", "--out", dir.toString(), "--url", base + "/junk.zip", "--md5", md5(junk)),
                base + "/junk.zip", "not a valid zip archive");

        Map<String, String> e = new LinkedHashMap<>();
        files().forEach((k, v) -> e.put("ml-100k/" + k, v));
        e.put("ml-100k/u.data", "1\t1\tfive\t890000001\n"); // the reader's check
        byte[] broken = zip(e);
        served.put("/broken.zip", broken);
        assertCleanError(run("data", "fetch", "movielens-100k", "--out", dir.toString(), "--url", base + "/broken.zip", "--md5", md5(broken)),
                base + "/broken.zip", "do not read as MovieLens-100K", "u.data");

        byte[] wrong = fixtureZip(); // an ml-100k archive where ml-1m is expected
        served.put("/ml-1m.zip", wrong);
        assertCleanError(run("data", "fetch", "movielens-1m", "--out", dir.toString(), "--url", base + "/ml-1m.zip", "--md5", md5(wrong)),
                "not under ml-1m/");

        long cap = FetchCommand.maxUnpacked;
        FetchCommand.maxUnpacked = 100;
        try {
            byte[] zip = fixtureZip();
            served.put("/ml-100k.zip", zip);
            assertCleanError(run("data", "fetch", "movielens-100k", "--out", dir.toString(), "--url", base + "/ml-100k.zip", "--md5", md5(zip)),
                    "unpacks to more than");
        } finally {
            FetchCommand.maxUnpacked = cap;
        }
        assertFalse(Files.exists(dir));
        assertEquals(List.of(), siblings());
    }

    @Test
    void existingDirNeedsForceAndIsReplacedWhole() throws Exception {
        byte[] zip = fixtureZip();
        served.put("/ml-100k.zip", zip);
        Path dir = tmp.resolve("ml");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("old.txt"), "old\n");
        String[] args = {"data", "fetch", "movielens-100k", "--out", dir.toString(), "--url", base + "/ml-100k.zip", "--md5", md5(zip)};
        assertCleanError(run(args), "--out", dir.toString(), "not empty", "--force");
        assertEquals("old\n", Files.readString(dir.resolve("old.txt")));

        // a failed forced fetch leaves the old DIR as it was
        DataCommandTest.Result bad = run("data", "fetch", "movielens-100k", "--out", dir.toString(), "--url", base + "/gone.zip", "--force");
        assertCleanError(bad, "404");
        assertEquals("old\n", Files.readString(dir.resolve("old.txt")));

        String[] forced = Stream.concat(Stream.of(args), Stream.of("--force")).toArray(String[]::new);
        DataCommandTest.Result r = run(forced);
        assertEquals(0, r.code(), r.out() + r.err());
        assertFalse(Files.exists(dir.resolve("old.txt")), "replaced whole");
        assertTrue(Files.isRegularFile(dir.resolve("u.data")));
        assertEquals(3, Datasets.load(dir).numUsers());
        assertEquals(List.of("ml"), siblings());

        // --force never replaces a directory holding directories (a mistyped --out such as a home folder)
        Path home = tmp.resolve("home");
        Files.createDirectories(home.resolve("Documents"));
        assertCleanError(run("data", "fetch", "movielens-100k", "--out", home.toString(), "--url", base + "/ml-100k.zip", "--md5", md5(zip), "--force"),
                "holds directories", "Documents");
        assertTrue(Files.isDirectory(home.resolve("Documents")));
    }

    @Test
    void badArgumentsAreOneLine() {
        Path dir = tmp.resolve("ml");
        assertCleanError(run("data", "fetch", "movielens-20m", "--out", dir.toString()), "unknown dataset", "movielens-100k, movielens-1m");
        assertCleanError(run("data", "fetch", "movielens-100k", "--out", dir.toString(), "--url", "ftp://example.org/x.zip"), "--url", "http://");
        assertCleanError(run("data", "fetch", "movielens-100k", "--out", dir.toString(), "--md5", "xyz"), "--md5", "32 hex");
        assertFalse(Files.exists(dir));
    }
}
