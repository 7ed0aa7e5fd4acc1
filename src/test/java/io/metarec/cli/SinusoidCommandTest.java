package io.metarec.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code metarec sinusoid} end to end, with a tiny iteration count. */
class SinusoidCommandTest {

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void runsTheBenchmarkPrintsTheTableAndWritesJson(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("out").resolve("sinusoid.json");
        Run r = run("sinusoid", "--algo", "maml,leo", "--iterations", "3", "--test-tasks", "4", "--meta-batch", "5", "--seed", "2",
                "--json", json.toString(), "--backend", "cpu");
        assertEquals(0, r.code(), r.err());
        for (String learner : new String[] {"maml", "leo", "pretrained"}) assertTrue(r.out().contains("| " + learner), r.out());
        assertTrue(r.out().contains("MSE after 1 step"), r.out());
        assertTrue(r.err().contains("tasks/s") && r.err().contains("loss"), "progress bar: " + r.err());
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        for (String learner : new String[] {"maml", "leo", "pretrained"}) {
            JsonNode res = root.get("results").get(learner);
            for (String key : new String[] {"mse_1step", "mse_10step", "ci95_1step", "ci95_10step"})
                assertTrue(res.get(key).isNumber() || res.get("diverged_" + key.substring(key.indexOf('_') + 1)).asInt() > 0, learner + "." + key);
            assertEquals(3, res.get("iterations").asInt());
        }
        assertTrue(root.get("results").get("pretrained").has("finetune_lr"));
        assertEquals(3, root.get("config").get("iterations").asInt());
        assertEquals(5, root.get("config").get("meta_batch").asInt());
        assertEquals(2, root.get("config").get("seed").asInt());
        try (var files = Files.list(json.getParent())) {
            assertEquals(1, files.count(), "only the result file is left (no temporary files)");
        }
    }

    @Test
    void theSameSeedGivesTheSameNumbers(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.json"), b = dir.resolve("b.json");
        assertEquals(0, run("sinusoid", "--algo", "metasgd", "--iterations", "2", "--test-tasks", "3", "--meta-batch", "3", "--quiet", "--json", a.toString()).code());
        assertEquals(0, run("sinusoid", "--algo", "metasgd", "--iterations", "2", "--test-tasks", "3", "--meta-batch", "3", "--quiet", "--json", b.toString()).code());
        ObjectMapper om = new ObjectMapper();
        JsonNode x = om.readTree(a.toFile()).get("results"), y = om.readTree(b.toFile()).get("results");
        assertEquals(x.get("metasgd").get("mse_1step"), y.get("metasgd").get("mse_1step"));
        assertEquals(x.get("pretrained").get("mse_10step"), y.get("pretrained").get("mse_10step"));
    }

    @Test
    void badArgumentsAreClearErrors(@TempDir Path dir) throws Exception {
        Run r = run("sinusoid", "--algo", "mamll", "--iterations", "1");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown algorithm 'mamll'"), r.err());
        r = run("sinusoid", "--iterations", "0", "--quiet");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("iterations must be at least 1"), r.err());
        r = run("sinusoid", "--cap", "metalstm=0", "--quiet");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("metalstm"), r.err());
        // a failed run leaves an existing JSON file alone
        Path json = dir.resolve("keep.json");
        Files.writeString(json, "{\"old\": true}");
        r = run("sinusoid", "--algo", "maml", "--iterations", "-5", "--json", json.toString(), "--quiet");
        assertEquals(2, r.code());
        assertEquals("{\"old\": true}", Files.readString(json));
        assertFalse(r.err().isBlank());
    }
}
