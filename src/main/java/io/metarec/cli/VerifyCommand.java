package io.metarec.cli;

import io.metarec.backend.Backend;
import io.metarec.verify.BundledReferences;
import io.metarec.verify.CaseResult;
import io.metarec.verify.ReferenceFile;
import io.metarec.verify.Verifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** Runs PyTorch reference cases (golden format) against this build and backend. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Check this build against PyTorch reference cases: the bundled ones by default, or FILEs in the golden format.",
                "Prints one line per case (relative error of the loss/output and of each gradient), then 'N passed, M failed'.",
                "Exit code 1 when any case exceeds the tolerance."})
public final class VerifyCommand implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Option(names = "--tolerance", defaultValue = "1e-4", description = "norm-wise relative error allowed (default: ${DEFAULT-VALUE})")
    double tolerance;

    @Parameters(paramLabel = "FILE", arity = "0..*", description = "reference case files (JSON); default: the bundled cases")
    List<Path> files = new ArrayList<>();

    @Override public Integer call() throws IOException {
        if (!(tolerance > 0)) throw new IllegalArgumentException("--tolerance must be positive, got " + tolerance);
        Backend be = common.backend();
        List<ReferenceFile> refs = new ArrayList<>();
        if (files.isEmpty()) refs.addAll(BundledReferences.all());
        for (Path p : files) {
            if (!Files.isRegularFile(p)) throw new IllegalArgumentException("no such file: " + p);
            refs.add(ReferenceFile.read(p));
        }
        Verifier v = new Verifier(be, tolerance);
        int passed = 0, failed = 0;
        System.out.println("backend " + be.name() + ", tolerance " + tolerance);
        for (ReferenceFile f : refs) {
            for (CaseResult r : v.run(f)) {
                System.out.println(r.line());
                if (r.passed()) passed++;
                else failed++;
            }
        }
        System.out.println(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
