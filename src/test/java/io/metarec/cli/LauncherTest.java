package io.metarec.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./metarec} launcher as a user meets it: no JVM incubator warning on stderr, the CLI's
 * own error line and exit code passed through unchanged, output in order (the error arrives before
 * the launcher exits), and SIGTERM or SIGINT (Ctrl-C) to the launcher stops the JVM. Runs the classes under test
 * through {@code METAREC_CLASSPATH}, so no jar (and no Maven build inside the test) is needed.
 */
class LauncherTest {
    private static final Path LAUNCHER = Path.of("metarec").toAbsolutePath();

    private record Run(int exit, String out, String err) {}

    private static ProcessBuilder launcher(Map<String, String> env, String... args) {
        Assumptions.assumeTrue(Files.isExecutable(LAUNCHER), "no executable ./metarec in " + LAUNCHER.getParent());
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "the launcher needs bash");
        List<String> cmd = new java.util.ArrayList<>(List.of(LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("METAREC_CLASSPATH", System.getProperty("java.class.path"));
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().putAll(env);
        return pb;
    }

    private static Run run(Map<String, String> env, Path dir, String... args) throws Exception {
        Path out = dir.resolve("out.txt"), err = dir.resolve("err.txt");
        Process p = launcher(env, args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "launcher did not finish");
        // The launcher waits for its stderr filter: everything is in the file once it has exited.
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test void noIncubatorWarningAndTheCliOutputUnchanged(@TempDir Path dir) throws Exception {
        Run info = run(Map.of(), dir, "info");
        assertEquals(0, info.exit(), info.err());
        assertTrue(info.out().startsWith("metarec"), info.out());
        assertFalse(info.err().contains("incubator"), "stderr: " + info.err());

        Run bad = run(Map.of(), dir, "info", "--no-such-flag");
        assertEquals(2, bad.exit());
        List<String> lines = bad.err().lines().toList();
        assertEquals(1, lines.size(), "one error line, got: " + bad.err());
        assertTrue(lines.get(0).startsWith("metarec info: ") && lines.get(0).contains("--no-such-flag"), lines.get(0));
    }

    @Test void theWarningIsKeptOnRequest(@TempDir Path dir) throws Exception {
        Run info = run(Map.of("METAREC_KEEP_JVM_WARNINGS", "1"), dir, "info");
        assertEquals(0, info.exit());
        assertTrue(info.err().contains("WARNING: Using incubator modules: jdk.incubator.vector"), info.err());
    }

    /**
     * The launcher's heap: half the memory the process may use (the machine's or its cgroup's limit),
     * at most 2 GiB, starting at 64 MiB; a heap the user sized in METAREC_JAVA_OPTS (or JAVA_TOOL_OPTIONS) is left alone.
     */
    @Test void theHeapFitsTheMachineUnlessTheUserSizedIt(@TempDir Path dir) throws Exception {
        long expected = Math.max(64, Math.min(2048, memoryLimit() / 2 / (1 << 20)));
        Run launcher = run(Map.of(), dir, "info");
        assertEquals(expected, heapMib(launcher));
        assertEquals(64, startMib(launcher)); // starts small, grows as the job needs
        assertEquals(300, heapMib(run(Map.of("METAREC_JAVA_OPTS", "-Xmx300m"), dir, "info")));
        Run sized = run(Map.of("METAREC_JAVA_OPTS", "-Xms100m -Xmx200m"), dir, "info");
        assertEquals(200, heapMib(sized));
        assertEquals(100, startMib(sized));
        assertEquals(400, heapMib(run(Map.of("JAVA_TOOL_OPTIONS", "-Xmx400m"), dir, "info")));
        // A share of the machine instead: the JVM's own sizing, not the launcher's figure.
        long share = heapMib(run(Map.of("METAREC_JAVA_OPTS", "-XX:MaxRAMPercentage=1"), dir, "info"));
        assertTrue(share <= Math.max(64, memoryLimit() / 100 / (1 << 20) + 8) && share != expected, "heap " + share + " MiB");
    }

    /**
     * With the heap, the launcher gives G1 a GC time ratio of 4 (a smaller heap for the same speed);
     * a user who sized the heap, chose the ratio or another collector gets the JVM's own choice.
     */
    @Test void theGcTimeRatioIsTheLaunchersUnlessTheUserChoseOne(@TempDir Path dir) throws Exception {
        assertEquals("4", gcTimeRatio(run(Map.of(), dir, "info")));
        assertEquals("9", gcTimeRatio(run(Map.of("METAREC_JAVA_OPTS", "-XX:GCTimeRatio=9"), dir, "info")));
        assertEquals("12", gcTimeRatio(run(Map.of("METAREC_JAVA_OPTS", "-Xmx300m"), dir, "info"))); // G1's default
        assertEquals("99", gcTimeRatio(run(Map.of("METAREC_JAVA_OPTS", "-XX:+UseParallelGC"), dir, "info"))); // Parallel's default
    }

    /** The time ratio on the "gc:" line of {@code metarec info}. */
    private static String gcTimeRatio(Run r) {
        assertEquals(0, r.exit(), r.err());
        String line = r.out().lines().filter(l -> l.startsWith("gc:")).findFirst().orElseThrow(() -> new AssertionError("no gc line:\n" + r.out()));
        return line.replaceAll("^.*; time ratio (\\S+) .*$", "$1");
    }

    /** The "heap:" line of {@code metarec info}, in MiB. */
    private static long heapMib(Run r) {
        assertEquals(0, r.exit(), r.err());
        String line = r.out().lines().filter(l -> l.startsWith("heap:")).findFirst().orElseThrow(() -> new AssertionError("no heap line:\n" + r.out()));
        return Long.parseLong(line.replaceAll("^heap:\\s*(\\d+) MiB.*$", "$1"));
    }

    /** The heap at start on the "heap:" line of {@code metarec info}, in MiB. */
    private static long startMib(Run r) {
        String line = r.out().lines().filter(l -> l.startsWith("heap:")).findFirst().orElseThrow(() -> new AssertionError("no heap line:\n" + r.out()));
        return Long.parseLong(line.replaceAll("^heap:.*, (\\d+) MiB at start.*$", "$1"));
    }

    /** What the launcher reads: MemTotal, lowered by a cgroup (v2 or v1) limit. */
    private static long memoryLimit() throws IOException {
        long lim = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", "")) * 1024).findFirst().orElse(0);
        List<String> files = new java.util.ArrayList<>(List.of("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"));
        for (String l : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
            if (l.startsWith("0::")) files.add("/sys/fs/cgroup" + l.substring(3) + "/memory.max");
            if (l.matches("\\d+:memory:.*")) files.add("/sys/fs/cgroup/memory" + l.replaceFirst("\\d+:memory:", "") + "/memory.limit_in_bytes");
        }
        for (String f : files) {
            Path p = Path.of(f);
            if (!Files.isReadable(p)) continue;
            String v = Files.readString(p).strip();
            if (v.matches("\\d{1,18}")) lim = lim == 0 ? Long.parseLong(v) : Math.min(lim, Long.parseLong(v));
        }
        return lim;
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"TERM, 143", "INT, 130"})
    void aSignalToTheLauncherStopsTheJvm(String signal, int expectedExit, @TempDir Path dir) throws Exception {
        // A shell without job control starts background commands with SIGINT ignored, and children inherit that
        // (`./metarec test &`): then no JVM below this one can be stopped by it, whatever the launcher does.
        org.junit.jupiter.api.Assumptions.assumeFalse(signal.equals("INT") && ignored(2), "SIGINT is ignored by this test JVM (started in the background)");
        // A long sinusoid meta-training: still running when signalled.
        Process p = launcher(Map.of(), "sinusoid", "--algo", "maml", "--iterations", "1000000", "--quiet")
                .redirectOutput(dir.resolve("o").toFile()).redirectError(dir.resolve("e").toFile()).start();
        List<ProcessHandle> jvm = List.of();
        for (int i = 0; i < 300 && jvm.isEmpty(); i++) {   // up to 30 s for the JVM to start
            Thread.sleep(100);
            jvm = p.toHandle().children().filter(h -> h.info().command().orElse("").endsWith("java")).toList();
        }
        try {
            assertFalse(jvm.isEmpty(), "no JVM under the launcher; stderr: " + read(dir.resolve("e")));
            assertTrue(p.isAlive(), "the command ended before the signal; stderr: " + read(dir.resolve("e")));
            new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "launcher still running after SIG" + signal);
            assertEquals(expectedExit, p.exitValue());
            ProcessHandle child = jvm.get(0);
            assertTrue(child.onExit().get(30, TimeUnit.SECONDS) != null && !child.isAlive(), "the JVM outlived its launcher");
        } finally { // a failed check must not leave a meta-training of a million iterations running
            jvm.forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    /** Whether this process ignores signal {@code n} (the SigIgn mask of /proc/self/status; false where there is none). */
    private static boolean ignored(int n) throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) return false;
        for (String line : Files.readAllLines(status))
            if (line.startsWith("SigIgn:")) return (Long.parseUnsignedLong(line.substring(7).strip(), 16) >>> (n - 1) & 1) != 0;
        return false;
    }

    private static String read(Path p) throws IOException {
        return Files.exists(p) ? Files.readString(p) : "";
    }
}
