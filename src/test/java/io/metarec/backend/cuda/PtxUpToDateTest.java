package io.metarec.backend.cuda;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The committed PTX is the compiled form of native/ (policy in CMakeLists.txt): on every machine
 * the sources' digests must equal those recorded when the PTX was built; where nvcc exists, each
 * module recompiled with native/nvcc-flags.txt must equal the committed file.
 */
class PtxUpToDateTest {
    private static final String HOW = "regenerate with: cmake -S . -B build && cmake --build build (then commit src/main/resources/io/metarec/cuda)";

    @Test void nativeSourcesAreThoseThePtxWasBuiltFrom() {
        Map<String, String> recorded = new LinkedHashMap<>();
        for (String line : NativeSources.resourceText(Kernels.RESOURCE_DIR + "sources.sha256").split("\n")) {
            if (line.isBlank()) continue;
            String[] parts = line.split("\\s+", 2);
            recorded.put(parts[1].strip(), parts[0]);
        }
        Map<String, String> actual = new LinkedHashMap<>();
        for (Path p : NativeSources.digestInputs()) actual.put(p.getFileName().toString(), NativeSources.sha256(p));
        assertEquals(recorded.keySet(), actual.keySet(), "kernel source files vs those the PTX was built from; " + HOW);
        for (var e : actual.entrySet())
            assertEquals(recorded.get(e.getKey()), e.getValue(), "native/" + e.getKey() + " changed since the PTX was built; " + HOW);
    }

    @Test void recompilingWithNvccGivesTheCommittedPtx() throws IOException, InterruptedException {
        Optional<Path> nvcc = NativeSources.onPath("nvcc");
        assumeTrue(nvcc.isPresent(), "nvcc not on the PATH: the committed PTX is checked against the source digests only");
        String version = run(List.of(nvcc.get().toString(), "--version"), NativeSources.nativeDir());
        Path out = Files.createTempDirectory("metarec-ptx");
        List<String> stale = new ArrayList<>();
        String committedVersion = null;
        for (String module : Kernels.MODULES.keySet()) {
            List<String> cmd = new ArrayList<>(List.of(nvcc.get().toString(), "-ptx"));
            cmd.addAll(NativeSources.nvccFlags());
            cmd.addAll(List.of("-o", out.resolve(module + ".ptx").toString(), module + ".cu"));
            run(cmd, NativeSources.nativeDir());
            String fresh = Files.readString(out.resolve(module + ".ptx"));
            String committed = NativeSources.ptx(module);
            committedVersion = compilerLine(committed);
            if (!fresh.equals(committed)) {
                if (!compilerLine(fresh).equals(committedVersion)) {
                    // compiled fine, but another nvcc release generates other code: not comparable
                    assumeTrue(false, "the committed PTX is from '" + committedVersion + "', this nvcc is '" + compilerLine(fresh)
                            + "': compiled every module, comparison skipped");
                }
                stale.add(module);
            }
        }
        if (!stale.isEmpty()) fail("committed PTX differs from native/ compiled by this nvcc for " + stale + "; " + HOW);
        assertTrue(version.contains("release"), version);
    }

    private static String compilerLine(String ptx) {
        for (String line : ptx.split("\n")) if (line.startsWith("// Cuda compilation tools")) return line.substring(3).strip();
        return "(unknown nvcc)";
    }

    private static String run(List<String> cmd, Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) fail(String.join(" ", cmd) + " failed:\n" + log);
        return log;
    }
}
