package io.metarec.cli;

import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** Every output path is checked before any work: one line naming the flag and the path, exit code 2; train refuses to overwrite without --force. */
class OutputPathsTest extends CapturedCli {
    @TempDir static Path dir;
    static Path data;

    static final String[] SMALL = {"--embedding-dim", "4", "--hidden", "8", "--epochs", "1", "--meta-batch", "8", "--inner-steps", "1", "--quiet"};

    @BeforeAll
    static void data() throws IOException {
        data = dir.resolve("data");
        Synthetic.write(SyntheticConfig.of(150, 100, 3), data, false);
    }

    /** Exit code 2, one line on stderr naming the flag and the path, nothing on stdout (no work was done). */
    void refused(String flag, Path path, String... args) {
        assertEquals(2, run(args), String.join(" ", args) + "\n" + out + err);
        String e = err.toString();
        assertEquals(1, e.lines().count(), "one line: " + e);
        assertTrue(e.contains(flag + ": ") && e.contains(path.toString()), "names " + flag + " and " + path + ": " + e);
        assertFalse(e.contains("Exception") || e.contains("\tat "), e);
        assertEquals("", out.toString(), "refused before any work");
    }

    @Test
    void trainRefusesADirectoryAFileInTheWayAndAnExistingModel() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("a-folder"));
        refused("--out", folder, concat("train", "--data", data.toString(), "-o", folder.toString()));
        Path notADir = Files.writeString(dir.resolve("plain.txt"), "x");
        refused("--out", notADir, concat("train", "--data", data.toString(), "-o", notADir.resolve("m.metarec").toString()));

        Path model = dir.resolve("existing.metarec");
        byte[] old = "not really a model".getBytes();
        Files.write(model, old);
        refused("--out", model, concat("train", "--data", data.toString(), "-o", model.toString()));
        assertTrue(err.toString().contains("--force"), err.toString());
        assertArrayEquals(old, Files.readAllBytes(model), "untouched");
        assertEquals(0, run(concat("train", "--data", data.toString(), "-o", model.toString(), "--force")), err.toString());
        assertFalse(java.util.Arrays.equals(old, Files.readAllBytes(model)), "--force replaced it");
    }

    @Test
    void trainRefusesAnUnwritableFolder() throws IOException {
        assumeFalse("root".equals(System.getProperty("user.name")), "root writes anywhere");
        Path locked = Files.createDirectories(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            refused("--out", locked.resolve("m.metarec"), concat("train", "--data", data.toString(), "-o", locked.resolve("m.metarec").toString()));
            assertTrue(err.toString().contains("not writable"), err.toString());
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void everyOtherOutputIsCheckedFirst() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("json-folder"));
        Path missingModel = dir.resolve("no-model.metarec"); // the output check comes before the model is read
        refused("--json", folder, "evaluate", "--model", missingModel.toString(), "--data", data.toString(), "--json", folder.toString());
        refused("--json", folder, "compare", "--data", data.toString(), "--json", folder.toString());
        refused("--plot", folder, "compare", "--data", data.toString(), "--plot", folder.toString());
        refused("--json", folder, "sinusoid", "--json", folder.toString());
        refused("--out", folder, "data", "split", data.toString(), "--out", folder.toString());
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        refused("--out", file, "demo", "--data", data.toString(), "--out", file.toString());
        refused("--out", file, "data", "synth", "--out", file.toString());
        refused("--out", file, "data", "convert", data.toString(), "--out", file.toString());
    }

    static String[] concat(String... a) {
        String[] r = java.util.Arrays.copyOf(a, a.length + SMALL.length);
        System.arraycopy(SMALL, 0, r, a.length, SMALL.length);
        return r;
    }
}
