package io.metarec.backend.cuda;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The three descriptions of every kernel agree: the entries Java launches ({@link Kernels}),
 * the entries and parameter lists in the committed PTX, and the kernel bodies the harness runs.
 * Runs on every machine (the harness part needs a C++ compiler).
 */
class KernelCatalogTest {

    @Test void everyModuleIsInTheJarResourcesAndTargetsComputeCapability80() {
        for (String module : Kernels.MODULES.keySet()) {
            String ptx = NativeSources.ptx(module);
            assertTrue(ptx.contains(".target sm_80"), module + ".ptx: not built for compute_80");
            assertTrue(ptx.contains(".version 9.0"), module + ".ptx: expected PTX ISA 9.0 (nvcc 13.0)");
            assertTrue(ptx.contains(".address_size 64"), module + ".ptx: not 64-bit");
        }
    }

    @Test void eachModuleDefinesExactlyTheEntriesJavaExpects() {
        for (var e : Kernels.MODULES.entrySet()) {
            var inPtx = new TreeSet<>(NativeSources.entries(NativeSources.ptx(e.getKey())).keySet());
            assertEquals(new TreeSet<>(e.getValue()), inPtx, e.getKey() + ".ptx entries vs Kernels.MODULES");
        }
        assertEquals(Kernels.all().size(), new TreeSet<>(Kernels.all()).size(), "an entry name is used twice");
    }

    @Test void everyOpOfTheJavaEnumsHasItsKernels() {
        var all = new TreeSet<>(Kernels.all());
        for (var op : io.metarec.backend.Unary.values()) assertTrue(all.contains(Kernels.unary(op)), "no kernel for " + op);
        for (var op : io.metarec.backend.Binary.values()) {
            assertTrue(all.contains(Kernels.binary(op)), "no kernel for " + op);
            assertTrue(all.contains(Kernels.binaryBroadcast(op)), "no broadcasting kernel for " + op);
        }
        for (var op : io.metarec.backend.Reduce.values()) {
            assertTrue(all.contains(Kernels.reduceRows(op)), "no row kernel for " + op);
            assertTrue(all.contains(Kernels.reduceCols(op)), "no column kernel for " + op);
        }
        for (GemmTile t : GemmTile.values())
            for (int f = 0; f < 4; f++) assertTrue(all.contains(Kernels.gemm(t, (f & 2) != 0, (f & 1) != 0)));
    }

    /** The harness's bodies take exactly the parameters the PTX entries (the __global__ wrappers) take. */
    @Test void theHarnessBodiesHaveTheSignaturesOfThePtxEntries() {
        var harness = KernelHarness.get();
        assumeTrue(harness.isPresent(), () -> "kernel harness unavailable: " + KernelHarness.unavailableReason());
        Map<String, String> bodies = harness.get().list();
        Map<String, String> ptx = NativeSources.allEntries();
        assertEquals(new TreeSet<>(ptx.keySet()), new TreeSet<>(bodies.keySet()), "kernels in the harness vs the PTX");
        for (var e : ptx.entrySet()) {
            String fromBody = bodies.get(e.getKey()).replace('P', '8').replace('L', '8');
            assertEquals(e.getValue(), fromBody, e.getKey() + ": PTX parameters vs the body the harness runs");
        }
    }

    private static final Pattern WRAPPER = Pattern.compile(
            "__global__\\s+void\\s+(?:__launch_bounds__\\([^)]*\\)\\s*)?([\\w#]+)\\s*\\(([^)]*)\\)\\s*\\{(.*?)\\n\\s*}", Pattern.DOTALL);
    private static final Pattern BODY_CALL = Pattern.compile("mr::\\w+(?:<[^>]*>)?\\(([^;]*)\\);");

    /**
     * Each extern "C" wrapper passes its parameters to its body in the order it declares them, so
     * the kinds checked above also line up name by name (two pointers cannot swap unnoticed).
     */
    @Test void everyWrapperForwardsItsParametersInOrder() throws IOException {
        int wrappers = 0;
        for (Path cu : NativeSources.digestInputs()) {
            if (!cu.getFileName().toString().endsWith(".cu")) continue;
            String src = Files.readString(cu).replace("\\\n", "\n");
            Matcher w = WRAPPER.matcher(src);
            while (w.find()) {
                wrappers++;
                List<String> params = new ArrayList<>();
                for (String p : w.group(2).split(",")) {
                    String[] words = p.strip().split("[\\s*]+");
                    params.add(words[words.length - 1]);
                }
                Matcher call = BODY_CALL.matcher(w.group(3));
                assertTrue(call.find(), cu.getFileName() + " " + w.group(1) + ": no body call");
                String last = call.group(1);
                while (call.find()) last = call.group(1);
                List<String> args = new ArrayList<>(Arrays.stream(last.split(",")).map(String::strip).toList());
                // the leading block/thread handle and shared-memory array are not kernel parameters
                while (!args.isEmpty() && !params.contains(args.get(0))) args.remove(0);
                assertEquals(params, args, cu.getFileName() + " " + w.group(1) + ": parameters and the body call differ");
            }
        }
        assertFalse(wrappers < 15, "found only " + wrappers + " wrappers: the pattern no longer matches the sources");
    }
}
