package io.metarec.cli;

import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Progress written to a stream that is not a terminal: plain lines (one per epoch, or per tenth), no carriage returns; --quiet: none. */
class ProgressLogTest extends CapturedCli {
    @TempDir static Path dir;
    static Path data;

    @BeforeAll
    static void data() throws IOException {
        data = dir.resolve("data");
        Synthetic.write(SyntheticConfig.of(200, 120, 5), data, false);
    }

    @Test
    void aCapturedStderrIsNotATerminal() {
        assertFalse(Progress.stderrIsTerminal(), "surefire's stderr is a pipe or a file");
        assertEquals(Progress.Mode.LINES, Progress.mode(false));
        assertEquals(Progress.Mode.NONE, Progress.mode(true));
    }

    @Test
    void trainWritesOneLinePerEpoch() {
        assertEquals(0, run("train", "--data", data.toString(), "-o", dir.resolve("m.metarec").toString(), "--embedding-dim", "4", "--hidden", "8",
                "--epochs", "3", "--patience", "0", "--meta-batch", "8", "--inner-steps", "1"), err.toString());
        String log = err.toString();
        assertFalse(log.contains("\r"), "no carriage returns in a log: " + log);
        assertEquals(3, log.lines().count(), "one line per epoch:\n" + log);
        for (int e = 1; e <= 3; e++) assertTrue(log.contains("maml: epoch " + e + "/3 "), log);

        assertEquals(0, run("train", "--data", data.toString(), "-o", dir.resolve("q.metarec").toString(), "--embedding-dim", "4", "--hidden", "8",
                "--epochs", "2", "--meta-batch", "8", "--inner-steps", "1", "--quiet"), err.toString());
        assertEquals("", err.toString(), "--quiet: no progress at all");
        assertTrue(out.toString().contains("model written to"), "results still on stdout: " + out);
    }

    @Test
    void sinusoidWritesAtMostTenLinesPerLearner() {
        assertEquals(0, run("sinusoid", "--algo", "fomaml", "--iterations", "57", "--test-tasks", "2", "--meta-batch", "2"), err.toString());
        String log = err.toString();
        assertFalse(log.contains("\r"), log);
        assertEquals(20, log.lines().count(), "fomaml and pretrained, a line per tenth:\n" + log);
        assertTrue(log.contains("fomaml: 57/57 iterations (100%)") && log.contains("pretrained: 57/57 iterations (100%)"), log);
        assertEquals(0, run("sinusoid", "--algo", "fomaml", "--iterations", "3", "--test-tasks", "2", "--meta-batch", "2", "--quiet"));
        assertEquals("", err.toString());
    }

    @Test
    void everyLongRunningCommandTakesQuiet() {
        for (String command : new String[] {"train", "evaluate", "compare", "demo", "sinusoid"}) {
            assertEquals(0, run(command, "--help"));
            assertTrue(out.toString().contains("--quiet"), command + " --help:\n" + out);
        }
    }
}
