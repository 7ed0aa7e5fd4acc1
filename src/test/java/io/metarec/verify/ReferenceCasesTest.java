package io.metarec.verify;

import io.metarec.backend.Backend;
import io.metarec.backend.cpu.ScalarBackend;
import io.metarec.backend.cpu.VectorBackend;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The PyTorch cases written by src/test/python/make_reference_cases.py (other depths, widths,
 * activations, inner-step counts, tasks, fields and vocabularies than the bundled golden files),
 * through the Verifier on both CPU backends: the verifier evaluates any case in the golden format.
 */
class ReferenceCasesTest {

    /** The reference case files (src/test/resources/reference/*.json). */
    static List<Path> files() throws IOException, URISyntaxException {
        Path dir = Path.of(ReferenceCasesTest.class.getResource("/reference").toURI());
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
    }

    @Test
    void theGeneratedCasesCoverWhatTheFormatAllows() throws Exception {
        List<String> kinds = new ArrayList<>();
        for (Path p : files()) kinds.add(ReferenceFile.read(p).kind());
        assertTrue(kinds.containsAll(List.of("ops", "maml_mlp", "metasgd_mlp", "melu")), "every kind: " + kinds);
        assertTrue(files().size() >= 7, "the generated cases: " + files());
    }

    @TestFactory
    List<DynamicTest> everyReferenceCasePasses() throws Exception {
        List<DynamicTest> tests = new ArrayList<>();
        for (Backend be : List.of(new ScalarBackend(), new VectorBackend())) {
            Verifier v = new Verifier(be, Verifier.DEFAULT_TOLERANCE);
            for (Path p : files()) {
                ReferenceFile f = ReferenceFile.read(p);
                List<CaseResult> results = v.run(f);
                tests.add(DynamicTest.dynamicTest(be.name() + ": " + p.getFileName() + " has cases", () -> assertTrue(!results.isEmpty())));
                for (CaseResult r : results)
                    tests.add(DynamicTest.dynamicTest(be.name() + ": " + r.name(), () -> {
                        assertTrue(r.passed(), r.line());
                        assertTrue(r.maxError() < 1e-5, "float32 should be far inside the tolerance: " + r.line());
                    }));
            }
        }
        return tests;
    }

    /** Every second-order case differs from its first-order twin: the files can catch a dropped term. */
    @Test
    void secondAndFirstOrderReferencesDiffer() throws Exception {
        int pairs = 0;
        for (Path p : files()) {
            ReferenceFile f = ReferenceFile.read(p);
            if (!f.root.has("second_order") || !f.root.has("first_order")) continue;
            String key = f.root.get("second_order").has("meta_grads") ? "meta_grads" : "meta_grads_params";
            var so = f.tensors(f.root.get("second_order"), key, "second_order");
            var fo = f.tensors(f.root.get("first_order"), key, "first_order");
            double diff = 0, norm = 0;
            for (int i = 0; i < so.size(); i++)
                for (int j = 0; j < so.get(i).data().length; j++) {
                    double d = so.get(i).data()[j] - fo.get(i).data()[j];
                    diff += d * d;
                    norm += so.get(i).data()[j] * so.get(i).data()[j];
                }
            assertTrue(Math.sqrt(diff / norm) > 1e-2, p + ": second and first order differ by only " + Math.sqrt(diff / norm));
            pairs++;
        }
        assertEquals(5, pairs, "maml and melu files with both orders");
    }
}
