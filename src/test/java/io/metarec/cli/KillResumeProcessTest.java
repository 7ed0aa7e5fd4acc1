package io.metarec.cli;

import io.metarec.nn.Params;
import io.metarec.nn.ParamsFile;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import io.metarec.rec.train.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code train} killed with SIGKILL ({@link Process#destroyForcibly}) at seeded random moments, in a
 * child JVM with a small heap, then {@code train --resume} to the end: the model holds bitwise the
 * parameters of a run never interrupted, every kill lost at most one epoch, every checkpoint left
 * behind loads, and nothing is left over. The refusals (no checkpoint, a checkpoint without
 * {@code --resume}, other options, {@code --resume --force}) run in-process against the checkpoint
 * a kill left.
 */
class KillResumeProcessTest {
    @TempDir Path dir;

    static final int EPOCHS = 20;
    /** A small model without identities (no factorised start to compute: each child is mostly JVM start-up and 50–100 ms epochs). */
    static final List<String> OPTIONS = List.of("--embedding-dim", "4", "--hidden", "8", "--epochs", String.valueOf(EPOCHS), "--meta-batch", "8",
            "--inner-steps", "1", "--patience", "0", "--no-identity");
    static final Pattern EPOCH_LINE = Pattern.compile("^maml: epoch (\\d+)/" + EPOCHS + "\\b");

    static Process start(List<String> args, Path out, Path err) throws IOException {
        // The launcher's flags, a small heap, and C1 only (start-up is most of a child's time; any JIT gives the same bits, see DeterminismTest).
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Dmetarec.progress=lines",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    }

    List<String> train(Path data, Path model, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--data", data.toString(), "-o", model.toString()));
        a.addAll(OPTIONS);
        a.addAll(List.of(extra));
        return a;
    }

    /** The epochs a run logged on stderr ("maml: epoch 3/24 …"), in order. */
    static List<Integer> loggedEpochs(Path err) throws IOException {
        List<Integer> out = new ArrayList<>();
        for (String l : Files.readAllLines(err, StandardCharsets.UTF_8)) {
            Matcher m = EPOCH_LINE.matcher(l);
            if (m.find()) out.add(Integer.parseInt(m.group(1)));
        }
        return out;
    }

    static List<String> names(Path folder) throws IOException {
        try (var s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static void assertSameParameters(Path expected, Path actual) throws IOException {
        Params a = ParamsFile.load(expected).params(), b = ParamsFile.load(actual).params();
        assertEquals(a.names(), b.names());
        for (String n : a.names()) assertArrayEquals(a.get(n).toArray(), b.get(n).toArray(), 0f, n);
    }

    /** Runs a command through {@link Main#run} in this JVM, expecting exit code 2 and one line on stderr (its standard output is dropped); returns the line. */
    static String refused(List<String> args) {
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream oldOut = System.out, oldErr = System.err;
        int code;
        try {
            System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
            System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
            code = Main.run(args.toArray(String[]::new));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, code, text);
        List<String> lines = text.lines().toList();
        assertEquals(1, lines.size(), text);
        return lines.get(0);
    }

    @Test
    void trainKilledAtRandomMomentsResumesToTheParametersOfAnUninterruptedRun() throws Exception {
        Path data = dir.resolve("data");
        Synthetic.write(SyntheticConfig.of(150, 100, 3), data, false);
        long t0 = System.nanoTime();
        Path reference = dir.resolve("reference.metarec");
        Process whole = start(train(data, reference), dir.resolve("ref.out"), dir.resolve("ref.err"));
        assertTrue(whole.waitFor(180, TimeUnit.SECONDS), "the uninterrupted run timed out");
        assertEquals(0, whole.exitValue(), Files.readString(dir.resolve("ref.err")));
        double wholeSeconds = (System.nanoTime() - t0) / 1e9;
        assertFalse(Files.exists(Checkpoint.fileFor(reference)), "a completed run removes its checkpoint");

        Path runs = Files.createDirectories(dir.resolve("runs"));
        Path model = runs.resolve("m.metarec"), ckpt = Checkpoint.fileFor(model);
        Random random = new Random(20261203);
        int kills = 4, checkpointEpoch = 0;
        long killedAt0 = System.nanoTime();
        for (int k = 0; k < kills; k++) {
            Path out = dir.resolve("kill" + k + ".out"), err = dir.resolve("kill" + k + ".err");
            boolean resuming = Files.exists(ckpt);
            Process p = start(resuming ? train(data, model, "--resume") : train(data, model, "--force"), out, err);
            try {
                if (k == 0) { // a random moment of start-up, loading or the first epoch
                    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(random.nextInt(1500));
                    while (System.nanoTime() < until && loggedEpochs(err).isEmpty()) Thread.sleep(5);
                } else { // two epochs of this run logged (past start-up, a checkpoint written), then a random moment
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120), first = 0;
                    while (loggedEpochs(err).size() < 2) {
                        if (!p.isAlive()) fail("the run ended before it was killed: " + Files.readString(err));
                        if (System.nanoTime() > deadline) fail("no progress: " + Files.readString(err));
                        if (first == 0 && !loggedEpochs(err).isEmpty()) first = System.nanoTime();
                        Thread.sleep(5);
                    }
                    if (first == 0) first = System.nanoTime(); // both lines came between two looks: no epoch time measured
                    // Within about two epochs' time, and before a fourth epoch of this run is logged (so that the kills leave epochs to resume).
                    long until = System.nanoTime() + (long) (random.nextDouble() * 2 * (System.nanoTime() - first));
                    while (System.nanoTime() < until && loggedEpochs(err).size() < 4) Thread.sleep(2);
                }
            } finally {
                p.destroyForcibly(); // SIGKILL: no shutdown hook, no finally block runs in the child
            }
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertTrue(p.exitValue() != 0, "killed, not finished");
            List<Integer> logged = loggedEpochs(err);
            int last = logged.isEmpty() ? 0 : logged.getLast();
            assertTrue(last < EPOCHS, "killed before its end: " + logged);
            long temporaries = names(runs).stream().filter(n -> n.endsWith(".tmp")).count();
            assertTrue(temporaries <= 1, "at most the save the kill interrupted: " + names(runs));
            if (Files.exists(ckpt)) {
                Checkpoint c = Checkpoint.load(ckpt).state(); // whole, whatever the moment of the kill
                // The checkpoint of an epoch is written right after its line: the last logged epoch, or the one before it.
                int floor = Math.max(checkpointEpoch, last - 1);
                assertTrue(c.epoch() >= floor && c.epoch() <= Math.max(last, checkpointEpoch),
                        "kill " + k + ": checkpoint of epoch " + c.epoch() + ", last epoch logged " + last + ", previous checkpoint " + checkpointEpoch);
                checkpointEpoch = c.epoch();
            } else {
                assertTrue(last <= 1 && checkpointEpoch == 0, "kill " + k + ": no checkpoint after epoch " + last + " was logged");
            }
            System.out.printf(java.util.Locale.ROOT, "kill %d at %.1f s: epochs logged %s, checkpoint %s%n", k, (System.nanoTime() - killedAt0) / 1e9,
                    logged, Files.exists(ckpt) ? "of epoch " + checkpointEpoch : "none");
        }
        double killSeconds = (System.nanoTime() - killedAt0) / 1e9;
        assertTrue(checkpointEpoch >= 1, "the kills after the first each waited for a checkpoint");

        // The refusals, in-process, against the checkpoint the kills left: one line, exit 2, the checkpoint untouched.
        byte[] saved = Files.readAllBytes(ckpt);
        String line = refused(train(data, model));
        assertTrue(line.startsWith("metarec train: --out: " + ckpt + " holds the checkpoint of an unfinished run into " + model + " (use --resume"), line);
        line = refused(train(data, model, "--resume", "--force"));
        assertTrue(line.startsWith("metarec train: --resume and --force contradict each other"), line);
        line = refused(train(data, model, "--resume", "--outer-lr", "0.001"));
        assertTrue(line.startsWith("metarec train: --resume: " + ckpt + " is of a run with config field outerLr = 3.0E-4 (now 0.001)"), line);
        assertArrayEquals(saved, Files.readAllBytes(ckpt));

        long r0 = System.nanoTime();
        Path out = dir.resolve("resume.out"), err = dir.resolve("resume.err");
        Process last = start(train(data, model, "--resume"), out, err);
        assertTrue(last.waitFor(180, TimeUnit.SECONDS), "the resumed run timed out");
        assertEquals(0, last.exitValue(), Files.readString(err));
        double resumeSeconds = (System.nanoTime() - r0) / 1e9;
        String stdout = Files.readString(out);
        assertTrue(stdout.contains("resuming from " + ckpt + ": epoch " + checkpointEpoch + " of " + EPOCHS + " done"), stdout);
        List<Integer> rest = loggedEpochs(err);
        assertEquals(checkpointEpoch + 1, (int) rest.getFirst(), "it goes on with the epoch after the checkpoint's");
        assertEquals(EPOCHS, (int) rest.getLast());
        assertSameParameters(reference, model);
        assertEquals(List.of("m.curve.png", "m.metarec"), names(runs), "the checkpoint and every killed save's temporary are gone");

        line = refused(train(data, model, "--resume"));
        assertTrue(line.startsWith("metarec train: --resume: no checkpoint " + ckpt + " to continue"), line);
        System.out.printf(java.util.Locale.ROOT, "uninterrupted run %.1f s; %d kills in %.1f s (last checkpoint: epoch %d of %d); resumed run %.1f s%n",
                wholeSeconds, kills, killSeconds, checkpointEpoch, EPOCHS, resumeSeconds);
    }
}
