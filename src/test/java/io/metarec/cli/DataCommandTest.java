package io.metarec.cli;

import io.metarec.util.TextTable;
import io.metarec.rec.data.Fixtures;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The data commands end to end through Main.run, with stdout and stderr captured. */
class DataCommandTest {
    @TempDir Path tmp;

    record Result(int code, String out, String err) {}

    static synchronized Result run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            System.out.flush();
            System.err.flush();
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** A one-line error with exit code 2 and no stack trace. */
    static void assertCleanError(Result r, String... fragments) {
        assertEquals(2, r.code(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), r.err());
        for (String f : fragments) assertTrue(r.err().contains(f), "expected '" + f + "' in: " + r.err());
    }

    @Test
    void synthDescribeSplitEndToEnd() throws IOException {
        Path dir = tmp.resolve("syn");
        Result s = run("data", "synth", "--out", dir.toString(), "--users", "400", "--items", "200", "--seed", "3");
        assertEquals(0, s.code(), s.err());
        assertTrue(s.out().contains("400 users, 200 items"), s.out());
        for (String f : List.of("interactions.csv", "users.csv", "items.csv", "SYNTHETIC.txt")) assertTrue(Files.exists(dir.resolve(f)), f);

        assertCleanError(run("data", "synth", "--out", dir.toString(), "--users", "400", "--items", "200"), "metarec data synth:", "not empty", "--force");

        Result d = run("data", "describe", dir.toString());
        assertEquals(0, d.code(), d.err());
        for (String f : List.of("dataset:      syn (generic)", "users:        400 (400 with ratings)", "items:        200", "rating", "ratings per",
                "user features:", "occupation", "item features:", "timestamps:   20", "split file: none"))
            assertTrue(d.out().contains(f), "expected '" + f + "' in:\n" + d.out());
        assertTrue(d.out().matches("(?s).*\\n  genres +multi +18 .*"), d.out());

        Result sp = run("data", "split", dir.toString(), "--protocol", "melu", "--seed", "5");
        assertEquals(0, sp.code(), sp.err());
        assertTrue(Files.exists(dir.resolve("split.csv")));
        List<String> table = sp.out().lines().dropWhile(l -> !l.startsWith("scenario")).takeWhile(l -> !l.startsWith("(")).toList();
        assertEquals(7, table.size(), sp.out());
        assertEquals(1, table.stream().mapToInt(String::length).distinct().count(), "aligned columns:\n" + String.join("\n", table));
        for (String sc : List.of("train", "warm", "user-cold", "item-cold", "user-item-cold")) assertTrue(sp.out().contains("\n" + sc + " "), sc);
        assertTrue(sp.out().contains("protocol=melu seed=5"), sp.out());

        assertCleanError(run("data", "split", dir.toString()), "split.csv exists", "--force");
        assertEquals(0, run("data", "split", dir.toString(), "--force", "--new-items-from", "2020").code());
        Path other = tmp.resolve("other.csv");
        assertEquals(0, run("data", "split", dir.toString(), "--out", other.toString()).code());
        assertTrue(Files.exists(other));
        assertCleanError(run("data", "split", dir.toString(), "--out", tmp.resolve("x.csv").toString(), "--protocol", "random"), "unknown --protocol 'random'");

        Result d2 = run("data", "describe", dir.toString());
        assertTrue(d2.out().contains("split file " + dir.resolve("split.csv")), d2.out());
    }

    @Test
    void synthProfiles() throws IOException {
        Path f = tmp.resolve("f"), r = tmp.resolve("r"), lib = tmp.resolve("lib");
        Result s = run("data", "synth", "--out", f.toString(), "--users", "300", "--items", "200", "--seed", "7", "--profile", "features");
        assertEquals(0, s.code(), s.err());
        assertTrue(s.out().contains("(seed 7, profile features)"), s.out());
        assertTrue(Files.readString(f.resolve("SYNTHETIC.txt")).contains("--seed 7 --profile features"));
        Result d = run("data", "synth", "--out", r.toString(), "--users", "300", "--items", "200", "--seed", "7");
        assertTrue(d.out().contains("(seed 7, profile realistic)"), "realistic is the default: " + d.out());
        Synthetic.write(SyntheticConfig.of(300, 200, 7, SyntheticConfig.Profile.FEATURES), lib, false);
        assertArrayEquals(Files.readAllBytes(lib.resolve("interactions.csv")), Files.readAllBytes(f.resolve("interactions.csv")));
        assertFalse(Arrays.equals(Files.readAllBytes(r.resolve("interactions.csv")), Files.readAllBytes(f.resolve("interactions.csv"))));
        assertCleanError(run("data", "synth", "--out", tmp.resolve("x").toString(), "--profile", "movielens"),
                "unknown synthetic profile 'movielens', expected: realistic or features");
    }

    @Test
    void convertAndDescribeMovieLens() throws IOException {
        Path ml = Fixtures.ml1m(tmp.resolve("ml-1m"));
        Result d = run("data", "describe", ml.toString());
        assertEquals(0, d.code(), d.err());
        assertTrue(d.out().contains("(MovieLens-1M)"), d.out());
        assertTrue(d.out().contains("releases:     1995-01-01 … 2000-01-01 (title year 4)"), d.out());
        Path out = tmp.resolve("conv");
        Result c = run("data", "convert", ml.toString(), "--out", out.toString());
        assertEquals(0, c.code(), c.err());
        assertTrue(c.out().contains("MovieLens-1M: 3 users, 4 items, 5 interactions"), c.out());
        String items = Files.readString(out.resolve("items.csv"));
        assertTrue(items.contains("\"" + Fixtures.MISERABLES + "\""), items);
        assertTrue(run("data", "describe", out.toString()).out().contains("(generic)"));
        assertCleanError(run("data", "convert", ml.toString(), "--out", out.toString()), "not empty");
        assertEquals(0, run("data", "describe", Fixtures.ml100k(tmp.resolve("ml-100k")).toString()).code());
    }

    @Test
    void badInputIsOneLineWithFileAndLineAndStackTraceOnlyWithDebug() throws IOException {
        Path ml = Fixtures.ml1m(tmp.resolve("ml-1m"));
        Fixtures.latin1(ml.resolve("ratings.dat"), "1::1::5::978300760\n1::2::x::978302109\n");
        Result r = run("data", "describe", ml.toString());
        assertCleanError(r, "metarec data describe:", "ratings.dat line 2", "rating \"x\" is not a number", "\"1::2::x::978302109\"");
        Result debug = run("data", "describe", ml.toString(), "--debug");
        assertEquals(2, debug.code());
        assertTrue(debug.err().contains("\tat io.metarec"), "stack trace with --debug");

        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertCleanError(run("data", "describe", empty.toString()), "looked for u.data (MovieLens-100K), ratings.dat (MovieLens-1M), interactions.csv (generic)");
        assertCleanError(run("data", "split", tmp.resolve("missing").toString()), "no such directory");
        Result usage = run("data", "synth", "--users", "12");
        assertEquals(2, usage.code(), "missing --out is a usage error");
        assertTrue(usage.err().contains("--out"), usage.err());
        assertEquals(2, run("data").code());
        assertCleanError(run("data", "synth", "--out", tmp.resolve("s").toString(), "--users", "3"), "--users must be at least 10");
    }

    @Test
    void tablesAlignNumbersRight() {
        String t = new TextTable("name", "count").row("a", 5).row("longer", 12345).render("");
        List<String> lines = t.lines().toList();
        assertEquals(List.of("name    count", "─────────────", "a           5", "longer  12345"), lines);
        assertTrue(Arrays.asList("1", "2.5%", "0.78 ± 0.01", "–").stream().allMatch(TextTable::numeric));
        assertFalse(TextTable.numeric("user-cold"));
    }
}
