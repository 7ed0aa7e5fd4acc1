package io.metarec.cli;

import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command line as a user meets it: each case runs the CLI in a fresh JVM with the launcher's
 * flags (not ./metarec itself, which would rebuild the jar in the middle of the test run), stdout and
 * stderr redirected to files (not a terminal), and checks the exit code, that an error is one line
 * without a stack trace, and what was (not) written.
 */
class ReliabilityProcessTest {
    @TempDir static Path dir;
    static Path data;

    static final List<String> SMALL = List.of("--embedding-dim", "4", "--hidden", "8", "--epochs", "2", "--meta-batch", "8", "--inner-steps", "1");

    @BeforeAll
    static void data() throws IOException {
        data = dir.resolve("data");
        Synthetic.write(SyntheticConfig.of(150, 100, 3), data, false);
    }

    record Result(int code, String out, String err, double seconds) {
        /** stderr without the JVM's own notice about the incubator module (printed by every run of the launcher). */
        List<String> errLines() {
            return err.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
        }

        /** Exit code 2 and a single line on stderr, no stack trace. */
        String oneLineError() {
            assertEquals(2, code, "exit code; stderr:\n" + err + "\nstdout:\n" + out);
            List<String> lines = errLines();
            assertEquals(1, lines.size(), "one line:\n" + err);
            assertFalse(err.contains("Exception") || err.contains("\tat "), err);
            return lines.get(0);
        }
    }

    static Result cli(List<String> args) throws Exception {
        Path out = Files.createTempFile(dir, "out", ".txt"), err = Files.createTempFile(dir, "err", ".txt");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + args);
        } finally {
            p.destroyForcibly();
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8),
                (System.nanoTime() - t0) / 1e9);
    }

    static List<String> args(String... a) {
        List<String> l = new ArrayList<>(List.of(a));
        l.addAll(SMALL);
        return l;
    }

    static List<String> namesIn(Path folder) throws IOException {
        try (var s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aDivergingRunFailsWithAdviceAndLeavesTheExistingModelAlone() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("diverge"));
        Path model = folder.resolve("m.metarec");
        byte[] before = "the model trained yesterday".getBytes(StandardCharsets.UTF_8);
        Files.write(model, before);
        Result r = cli(args("train", "--data", data.toString(), "--algo", "pretrained", "--outer-lr", "1000", "-o", model.toString(), "--force"));
        String line = r.oneLineError();
        assertTrue(line.startsWith("metarec train: training diverged in epoch 1"), line);
        assertTrue(line.endsWith("lower --outer-lr (1000; the default is 0.0003)"), "advice on the cause: " + line);
        assertFalse(line.contains("--inner-lr") || line.contains("nonFinite"), line);
        assertArrayEquals(before, Files.readAllBytes(model), "the existing model is untouched");
        assertEquals(List.of("m.metarec"), namesIn(folder), "nothing else written (no curve, no temporary)");
    }

    @Test
    void trainRefusesToOverwriteWithoutForce() throws Exception {
        Path model = dir.resolve("kept.metarec");
        byte[] before = "an earlier model".getBytes(StandardCharsets.UTF_8);
        Files.write(model, before);
        String line = cli(args("train", "--data", data.toString(), "-o", model.toString())).oneLineError();
        assertTrue(line.contains("--out: " + model + " exists") && line.contains("--force"), line);
        assertArrayEquals(before, Files.readAllBytes(model));
    }

    @Test
    void trainIntoADirectoryFailsBeforeAnyWork() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("a-directory"));
        Result r = cli(args("train", "--data", data.toString(), "-o", folder.toString()));
        String line = r.oneLineError();
        assertTrue(line.contains("--out: " + folder + " is a directory"), line);
        assertEquals("", r.out(), "nothing was loaded or trained");
        assertTrue(namesIn(folder).isEmpty(), "no temporary left: " + namesIn(folder));
    }

    @Test
    void anAbsurdRatingIsAnInputErrorNamingFileLineAndField() throws Exception {
        Path bad = Files.createDirectories(dir.resolve("bad-rating"));
        Files.writeString(bad.resolve("interactions.csv"), "user,item,rating\nu1,i1,4\nu1,i2,1e30\nu2,i1,3\n");
        for (List<String> command : List.of(List.of("data", "describe", bad.toString()), args("train", "--data", bad.toString(), "-o",
                dir.resolve("never.metarec").toString()))) {
            String line = cli(command).oneLineError();
            assertTrue(line.contains(bad.resolve("interactions.csv") + " line 3: rating \"1e30\" is out of range"), line);
            assertFalse(Files.exists(dir.resolve("never.metarec")));
        }
    }

    @Test
    void sinusoidTakesPerTaskAndLogsPlainLines() throws Exception {
        Result r = cli(List.of("sinusoid", "--algo", "maml", "--iterations", "20", "--test-tasks", "2", "--meta-batch", "2",
                "--execution", "per-task"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("| maml"), r.out());
        assertFalse(r.err().contains("\r"), "stderr is a file: no progress bar");
        assertEquals(20, r.errLines().size(), "a line per tenth for maml and pretrained:\n" + r.err());
    }

    @Test
    void trainingLogsALinePerEpochWhenStderrIsAFile() throws Exception {
        Result r = cli(args("train", "--data", data.toString(), "-o", dir.resolve("logged.metarec").toString()));
        assertEquals(0, r.code(), r.err());
        assertFalse(r.err().contains("\r"), r.err());
        assertEquals(List.of("maml: epoch 1/2", "maml: epoch 2/2"), r.errLines().stream().map(l -> l.substring(0, l.indexOf("  "))).toList(),
                r.err());
    }
}
