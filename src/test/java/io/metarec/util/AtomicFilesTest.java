package io.metarec.util;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Atomic writes leave no temporaries, and the temporaries of killed writers go at the next save of the same target. */
class AtomicFilesTest {

    static List<String> names(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void staleTemporariesOfTheTargetAreRemovedOthersKept(@TempDir Path dir) throws IOException {
        long self = ProcessHandle.current().pid();
        List<String> stale = List.of(".m.metarec.4999999-77.tmp", ".m.metarec.1234567890123.tmp"); // a pid above Linux's maximum; an old, pid-less name
        List<String> kept = List.of(".m.metarec." + self + "-5.tmp", // this process's (it may be writing it)
                ".m.metarec.1-5.tmp", // a live process's (init)
                ".other.metarec.4999999-7.tmp", ".m.metarec.backup.tmp", "m.metarec.tmp", ".m.metarec.5.tmp.bak", "notes.txt");
        for (String n : stale) Files.writeString(dir.resolve(n), "half a model");
        for (String n : kept) Files.writeString(dir.resolve(n), "x");
        Files.createDirectory(dir.resolve(".d.tmp-4999999-3"));
        Files.writeString(dir.resolve(".d.tmp-4999999-3").resolve("interactions.csv"), "user,item,rating\n");

        AtomicFiles.write(dir.resolve("m.metarec"), tmp -> Files.writeString(tmp, "model"));
        assertEquals("model", Files.readString(dir.resolve("m.metarec")));
        List<String> left = names(dir);
        for (String n : stale) assertFalse(left.contains(n), n + " left: " + left);
        for (String n : kept) assertTrue(left.contains(n), n + " removed: " + left);
        assertTrue(left.contains(".d.tmp-4999999-3"), "another target's temporaries stay");

        assertEquals(1, AtomicFiles.removeStale(dir, "d"));
        assertFalse(Files.exists(dir.resolve(".d.tmp-4999999-3")));
    }

    @Test
    void aWriterKilledDuringASaveLeavesATemporaryTheNextSaveRemoves(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("m.metarec");
        Files.writeString(target, "old model");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), SlowSaveProbe.class.getName(), target.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line = r.readLine();
            assertEquals("saving", line, "the probe reached the middle of its save");
            p.destroyForcibly(); // SIGKILL: no finally block runs
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        } finally {
            p.destroyForcibly();
        }
        assertEquals("old model", Files.readString(target), "a killed save leaves the previous file whole");
        List<String> temps = names(dir).stream().filter(n -> n.startsWith(".m.metarec.") && n.endsWith(".tmp")).toList();
        assertEquals(1, temps.size(), "the killed save left its temporary: " + names(dir));

        AtomicFiles.write(target, tmp -> Files.writeString(tmp, "new model"));
        assertEquals("new model", Files.readString(target));
        assertEquals(List.of("m.metarec"), names(dir), "the next save removed the dead writer's temporary");
    }

    /** A child JVM that starts saving {@code args[0]}, says so, and hangs inside the save until it is killed. */
    public static final class SlowSaveProbe {
        public static void main(String[] args) throws Exception {
            AtomicFiles.write(Path.of(args[0]), tmp -> {
                Files.writeString(tmp, "half a new mo");
                System.out.println("saving");
                System.out.flush();
                try {
                    Thread.sleep(600_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
    }
}
