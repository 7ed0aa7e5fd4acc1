package io.metarec.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Spark options fail before any work (exit 2, one line) when they cannot apply; no Spark context is started. */
class SparkOptionsTest extends CapturedCli {
    @TempDir Path dir;

    void refused(String expected, String... args) {
        assertEquals(2, run(args), err.toString());
        assertTrue(err.toString().contains(expected), err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
    }

    @Test void sparkOnlyOptionsNeedSpark() {
        String data = dir.toString();
        refused("--partitions needs --spark", "train", "--data", data, "--partitions", "2");
        refused("--local-steps needs --spark", "train", "--data", data, "--local-steps", "4");
        refused("--barrier needs --spark", "train", "--data", data, "--barrier");
        refused("--outer-optimizer lazy-adam runs without --spark", "train", "--data", data, "--spark", "local[1]", "--outer-optimizer", "lazy-adam");
        refused("--recommendations needs --spark", "evaluate", "--model", dir.resolve("m").toString(), "--data", data, "--recommendations", "x.csv");
    }

    @Test void evaluateOnSparkRefusesWhatItDoesNotDistribute() {
        String data = dir.toString(), model = dir.resolve("m").toString();
        refused("--baselines and --given-n run without --spark", "evaluate", "--spark", "local[1]", "--model", model, "--data", data, "--baselines");
        refused("--baselines and --given-n run without --spark", "evaluate", "--spark", "local[1]", "--model", model, "--data", data, "--given-n", "3");
        refused("--top-k must be at least 1", "evaluate", "--spark", "local[1]", "--model", model, "--data", data, "--top-k", "0");
    }
}
