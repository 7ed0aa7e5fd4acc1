package io.metarec.verify;

import io.metarec.backend.Backend;
import io.metarec.backend.Backends;
import io.metarec.backend.cpu.ScalarBackend;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PyTorch (float64) golden values: every op's output, gradient and Hessian-vector product, and the
 * MAML / Meta-SGD / MeLU meta-losses and meta-gradients, second and first order, reproduced by a
 * plain inner loop of Autograd.grad(…, createGraph) to 1e-4 norm-wise relative error, on both CPU backends.
 */
class GoldenReferenceTest {

    @TestFactory
    Stream<DynamicTest> everyBundledCaseMatchesPyTorch() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Backend be : List.of(new ScalarBackend(), Backends.cpu())) {
            Verifier v = new Verifier(be, 1e-4);
            for (ReferenceFile f : BundledReferences.all()) {
                for (CaseResult r : v.run(f)) {
                    tests.add(DynamicTest.dynamicTest(be.name() + ": " + r.name(), () -> assertTrue(r.passed(), r.line())));
                }
            }
        }
        return tests.stream();
    }
}
