package io.metarec.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metarec.backend.Backend;
import io.metarec.backend.Backends;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code metarec verify} and {@code metarec info} through Main.run, with stdout and stderr captured. */
class VerifyCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();

    private PrintStream savedOut, savedErr;
    private Backend savedBackend;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();

    @BeforeEach
    void capture() {
        savedOut = System.out;
        savedErr = System.err;
        savedBackend = Backends.current();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(savedOut);
        System.setErr(savedErr);
        Backends.use(savedBackend);
    }

    record Run(int code, String out, String err) {}

    Run run(String... args) {
        out.reset();
        err.reset();
        int code = Main.run(args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static List<Path> referenceFiles() throws Exception {
        Path dir = Path.of(VerifyCommandTest.class.getResource("/reference").toURI());
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
    }

    /** How many result lines a file gives: one per op, per order present, or one for Meta-SGD. */
    static int expectedCases(Path file) throws Exception {
        JsonNode root = JSON.readTree(file.toFile());
        return switch (root.get("kind").asText()) {
            case "ops" -> root.get("ops").size();
            case "metasgd_mlp" -> 1;
            default -> (root.has("second_order") ? 1 : 0) + (root.has("first_order") ? 1 : 0);
        };
    }

    static int[] summary(String stdout) {
        Matcher m = Pattern.compile("(?m)^(\\d+) passed, (\\d+) failed$").matcher(stdout);
        assertTrue(m.find(), "no 'N passed, M failed' line in:\n" + stdout);
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
    }

    static void assertNoStackTrace(Run r) {
        for (String s : List.of(r.out, r.err)) {
            assertFalse(s.contains("\tat ") || s.contains("Exception:"), "no stack trace expected:\n" + s);
        }
    }

    // ---- verify ----------------------------------------------------------------------------------

    @Test
    void verifiesTheGeneratedPyTorchCases() throws Exception {
        List<Path> files = referenceFiles();
        int expected = 0;
        for (Path f : files) expected += expectedCases(f);
        List<String> args = new ArrayList<>(List.of("verify"));
        for (Path f : files) args.add(f.toString());
        for (String backend : List.of("cpu", "cpu-scalar")) {
            List<String> a = new ArrayList<>(args);
            a.add(1, "--backend=" + backend);
            Run r = run(a.toArray(String[]::new));
            assertEquals(0, r.code, r.out + r.err);
            assertTrue(r.out.contains(expected + " passed, 0 failed"), "expected " + expected + " passed:\n" + r.out);
            assertTrue(r.out.startsWith("backend " + backend), r.out);
            // one line per case, each with the loss/output error and every gradient's
            assertTrue(r.out.contains("melu_5fields_3step/second_order") && r.out.contains("table5"), r.out);
            assertTrue(r.out.contains("maml_tanh_2-7-5-3_3step/first_order") && r.out.contains("W3"), r.out);
            assertTrue(r.out.contains("metasgd_tanh_2step") && r.out.contains("lr_b3"), r.out);
        }
    }

    @Test
    void verifiesTheBundledCasesByDefault() {
        Run r = run("verify");
        assertEquals(0, r.code, r.out + r.err);
        int[] s = summary(r.out);
        assertEquals(0, s[1]);
        assertTrue(s[0] >= 26, r.out); // 19 ops + 2 + 2 + 1 + 2
    }

    @Test
    void aPerturbedCopyFails(@TempDir Path tmp) throws Exception {
        Path src = referenceFiles().stream().filter(p -> p.getFileName().toString().startsWith("melu_5fields")).findFirst().orElseThrow();
        ObjectNode root = (ObjectNode) JSON.readTree(src.toFile());
        // the MeLU-repo bug's signature: second-order gradients that are really the first-order ones
        ((ObjectNode) root.get("second_order")).set("meta_grads_params", root.get("first_order").get("meta_grads_params").deepCopy());
        Path bad = tmp.resolve("melu_first_order_as_second.json");
        JSON.writeValue(bad.toFile(), root);

        ObjectNode ops = (ObjectNode) JSON.readTree(referenceFiles().stream()
                .filter(p -> p.getFileName().toString().startsWith("ops_")).findFirst().orElseThrow().toFile());
        ArrayNode hvp = (ArrayNode) ops.get("ops").get(1).get("hvp").get(0).get("data");
        hvp.set(0, hvp.get(0).asDouble() * 1.01 + 1e-3); // a 1% error in one second-derivative element
        Path badOps = tmp.resolve("ops_perturbed.json");
        JSON.writeValue(badOps.toFile(), ops);

        Run r = run("verify", bad.toString(), badOps.toString());
        assertEquals(1, r.code, r.out + r.err);
        int[] s = summary(r.out);
        assertEquals(2, s[1], r.out);
        assertTrue(r.out.lines().anyMatch(l -> l.startsWith("melu_5fields_3step/second_order") && l.contains("FAIL")), r.out);
        assertTrue(r.out.lines().anyMatch(l -> l.startsWith("melu_5fields_3step/first_order") && l.contains("PASS")), r.out);
        assertTrue(r.out.lines().anyMatch(l -> l.startsWith("ops_other_shapes/sigmoid") && l.contains("FAIL") && l.contains("hvp0")), r.out);
        assertNoStackTrace(r);
    }

    @Test
    void aMalformedFileNamesTheFileAndTheField(@TempDir Path tmp) throws Exception {
        Path src = referenceFiles().stream().filter(p -> p.getFileName().toString().startsWith("maml_sigmoid")).findFirst().orElseThrow();
        ObjectNode root = (ObjectNode) JSON.readTree(src.toFile());
        root.remove("params");
        Path missing = tmp.resolve("no_params.json");
        JSON.writeValue(missing.toFile(), root);
        Run r = run("verify", missing.toString());
        assertEquals(1, r.code, r.out + r.err);
        assertTrue(r.out.contains(missing.toString()) && r.out.contains("missing field 'params'"), r.out);
        assertNoStackTrace(r);

        root = (ObjectNode) JSON.readTree(src.toFile());
        ((ObjectNode) root.get("second_order")).set("meta_grads", JSON.createArrayNode());
        Path fewGrads = tmp.resolve("few_grads.json");
        JSON.writeValue(fewGrads.toFile(), root);
        r = run("verify", fewGrads.toString());
        assertEquals(1, r.code);
        assertTrue(r.out.contains(fewGrads.toString()) && r.out.contains("meta_grads has 0 tensors, expected 4"), r.out);

        Path broken = tmp.resolve("broken.json");
        Files.writeString(broken, "{\"kind\": \"maml_mlp\", \"params\": [");
        r = run("verify", broken.toString());
        assertEquals(2, r.code, r.out + r.err);
        assertTrue(r.err.contains(broken.toString()) && r.err.contains("not valid JSON") && r.err.contains("line: 1"), r.err);
        assertNoStackTrace(r);

        r = run("verify", tmp.resolve("nowhere.json").toString());
        assertEquals(2, r.code);
        assertTrue(r.err.contains("no such file") && r.err.contains("nowhere.json"), r.err);
    }

    @Test
    void anEmptyCaseListIsAnErrorNotAPass(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("empty_ops.json");
        Files.writeString(f, "{\"kind\": \"ops\", \"ops\": []}");
        Run r = run("verify", f.toString());
        assertEquals(1, r.code, r.out);
        assertTrue(r.out.contains("'ops' must be a non-empty array"), r.out);
    }

    @Test
    void anUnknownBackendListsTheValidOnes() {
        Run r = run("verify", "--backend", "bogus");
        assertEquals(2, r.code, r.out + r.err);
        assertTrue(r.err.contains("unknown backend 'bogus'") && r.err.contains("cpu, cpu-scalar, cuda, auto"), r.err);
        assertNoStackTrace(r);
        r = run("verify", "--tolerance", "0");
        assertEquals(2, r.code);
        assertTrue(r.err.contains("--tolerance must be positive"), r.err);
    }

    @Test
    void cudaWithoutADeviceSaysWhy() {
        org.junit.jupiter.api.Assumptions.assumeFalse(cudaWorks(), "this machine has a working CUDA backend");
        Run r = run("verify", "--backend", "cuda");
        assertEquals(2, r.code, r.out + r.err);
        assertTrue(r.err.contains("not available"), r.err);
        assertNoStackTrace(r);
    }

    static boolean cudaWorks() {
        try {
            Backends.cuda();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    // ---- info --------------------------------------------------------------------------------------

    @Test
    void infoPrintsJavaBackendsAndASelfCheck() {
        Run r = run("info");
        assertEquals(0, r.code, r.out + r.err);
        assertTrue(r.out.contains("java:") && r.out.contains(String.valueOf(Runtime.version().feature())), r.out);
        assertTrue(r.out.contains("cpu-scalar:"), r.out);
        assertTrue(r.out.lines().anyMatch(l -> l.trim().startsWith("cpu:") && l.contains("-bit species")), r.out);
        assertTrue(r.out.lines().anyMatch(l -> l.trim().startsWith("cuda:")), r.out);
        assertTrue(r.out.lines().anyMatch(l -> l.startsWith("self-check:") && l.contains("ok")), r.out);
        assertTrue(r.out.contains(io.metarec.autograd.OpRegistry.names().size() + " registered"), r.out);
    }
}
