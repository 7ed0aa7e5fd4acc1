package io.metarec.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metarec.autograd.Tensor;
import io.metarec.meta.LearnerConfig;
import io.metarec.nn.Params;
import io.metarec.nn.ParamsFile;
import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.Datasets;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import io.metarec.rec.split.MeluProtocol;
import io.metarec.rec.train.Experiment;
import io.metarec.rec.train.Feedback;
import io.metarec.rec.train.Learners;
import io.metarec.rec.train.RecConfig;
import io.metarec.rec.train.SavedModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command line as a user meets it: {@link Main} in a fresh JVM (the launcher's JVM flags, the
 * test classpath instead of the jar, a small heap), so that what reaches stderr and the exit code
 * are the real ones. Every usage or input error is exit code 2 and exactly one line on stderr
 * naming the flag, file, line or field, with no stack trace; hostile files do not exhaust a
 * 128 MiB heap. (The JVM's own "WARNING: Using incubator modules" line, printed before main runs,
 * is not ours and is set aside.)
 */
class ProcessErrorsTest {
    @TempDir static Path dir;
    static Path data, model, ratings;

    record Result(int code, String out, List<String> errLines, String err) {}

    @BeforeAll
    static void fixtures() throws IOException {
        data = dir.resolve("data");
        Synthetic.write(SyntheticConfig.of(120, 60, 7), data, false);
        Dataset d = Datasets.load(data);
        Experiment e = Experiment.of(d, MeluProtocol.defaults().split(d), Feedback.explicit(), 0.1, 3);
        RecConfig c = new RecConfig("melu", 4, List.of(8), Feedback.explicit(), "maml", 2, 0.01f, 1e-3f, 8, 1, 0, 0.1,
                LearnerConfig.Execution.PER_TASK, 3, true, false, true, false, false);
        model = dir.resolve("model.metarec");
        SavedModel.save(model, c, e, Learners.learner(c, Learners.model(c, e.encoder(), e.meanTarget())), null);
        ratings = dir.resolve("ratings.csv");
        Files.writeString(ratings, "item," + "rating\n" + d.itemId(0) + ",5\n" + d.itemId(1) + ",2\n");
    }

    /** Runs {@code metarec args…} in a new JVM with {@code -Xmx}{@code heap}. */
    static Result metarec(String heap, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx" + heap,
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "out", ".txt"), err = Files.createTempFile(dir, "err", ".txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("metarec " + String.join(" ", args) + " did not finish within 120 s");
        }
        String e = Files.readString(err);
        List<String> lines = e.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
        return new Result(p.exitValue(), Files.readString(out), lines, e);
    }

    /** Exit code 2, exactly one line on stderr holding every fragment, no stack trace, no usage. */
    static Result assertOneLineError(Result r, String... fragments) {
        assertEquals(2, r.code(), r.err() + r.out());
        assertEquals(1, r.errLines().size(), "exactly one line on stderr:\n" + r.err());
        String line = r.errLines().get(0);
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception") || r.err().contains("Error:") || r.err().contains("Usage:"), r.err());
        for (String f : fragments) assertTrue(line.contains(f), "expected '" + f + "' in: " + line);
        return r;
    }

    static Path seal(Path file, byte[] body) throws Exception {
        byte[] sum = MessageDigest.getInstance("SHA-256").digest(body);
        byte[] all = Arrays.copyOf(body, body.length + sum.length);
        System.arraycopy(sum, 0, all, body.length, sum.length);
        return Files.write(file, all);
    }

    @Test
    void aWrongFlagIsOneLineWithoutTheUsage() throws Exception {
        Result r = assertOneLineError(metarec("256m", "train", "--data", data.toString(), "--epoch", "3"),
                "metarec train: Unknown options: '--epoch', '3'", "did you mean --epochs?", "see 'metarec train --help'");
        assertEquals("", r.out());
        assertOneLineError(metarec("256m", "recommend", "--model", model.toString(), "--ratings", ratings.toString(), "-k", "x"),
                "metarec recommend: Invalid value for option '--top': 'x' is not an int");
        assertOneLineError(metarec("256m", "bogus"), "metarec: Unmatched argument at index 0: 'bogus'", "see 'metarec --help'");
        // The usage is still there on request, and --debug still gives the stack trace.
        Result help = metarec("256m", "train", "--help");
        assertEquals(0, help.code(), help.err());
        assertTrue(help.out().contains("Usage: metarec train") && help.out().contains("--inner-steps"), help.out());
        Result debug = metarec("256m", "train", "--debug", "--data", data.toString(), "--bogus");
        assertEquals(2, debug.code(), debug.err());
        assertTrue(debug.err().contains("\tat picocli."), debug.err());
    }

    @Test
    void aDamagedModelFileIsOneLineNamingIt() throws Exception {
        byte[] bytes = Files.readAllBytes(model);
        bytes[bytes.length / 2] ^= 0x10;
        Path damaged = Files.write(dir.resolve("damaged.metarec"), bytes);
        assertOneLineError(metarec("256m", "recommend", "--model", damaged.toString(), "--ratings", ratings.toString()),
                "metarec recommend: " + damaged + ": checksum mismatch: the file is truncated or corrupted");
        Path text = Files.writeString(dir.resolve("notes.metarec"), "user,item,rating\n");
        assertOneLineError(metarec("256m", "evaluate", "--model", text.toString(), "--data", data.toString()),
                "metarec evaluate: " + text + ": not a metarec model file");
    }

    @Test
    void aCraftedConfigIsRefusedNamingTheFieldInsteadOfHanging() throws Exception {
        ParamsFile.Contents c = ParamsFile.load(model);
        ((ObjectNode) c.header().get("config")).put("innerSteps", 2_000_000_000);
        Path crafted = dir.resolve("steps.metarec");
        ParamsFile.save(crafted, c.header(), c.params()); // with a valid checksum
        assertOneLineError(metarec("256m", "recommend", "--model", crafted.toString(), "--ratings", ratings.toString()),
                crafted + ": config field innerSteps: inner steps must be in 1..1000, got 2000000000");

        ParamsFile.Contents n = ParamsFile.load(model);
        Params p = n.params();
        String name = p.names().get(0);
        float[] v = p.get(name).toArray();
        v[v.length - 1] = Float.NaN;
        Path nan = dir.resolve("nan.metarec");
        ParamsFile.save(nan, n.header(), p.with(name, Tensor.of(v, p.get(name).shape())));
        assertOneLineError(metarec("256m", "recommend", "--model", nan.toString(), "--ratings", ratings.toString()),
                nan + ": parameter '" + name + "' holds NaN");
    }

    @Test
    void aCraftedHugeShapeIsRefusedInASmallHeap() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream o = new DataOutputStream(b);
        o.write("METAREC\0".getBytes(StandardCharsets.US_ASCII));
        o.writeInt(1);
        byte[] header = ("{\"format\":\"" + SavedModel.FORMAT + "\"}").getBytes(StandardCharsets.UTF_8);
        o.writeInt(header.length);
        o.write(header);
        o.writeInt(1);
        o.writeUTF("mlp.fc1.weight");
        o.writeInt(3);
        for (int k = 0; k < 3; k++) o.writeInt(1 << 20);
        o.write(new byte[16]);
        Path crafted = seal(dir.resolve("shape.metarec"), b.toByteArray());
        assertOneLineError(metarec("128m", "recommend", "--model", crafted.toString(), "--ratings", ratings.toString()),
                crafted + ": malformed model file: tensor 'mlp.fc1.weight' declares shape [1048576, 1048576, 1048576] but only 16 bytes remain");
    }

    @Test
    void aLineLongerThanTheLimitNamesFileAndLineInASmallHeap() throws Exception {
        Path d = dir.resolve("long");
        Files.createDirectories(d);
        for (String f : List.of("users.csv", "items.csv", "interactions.csv")) Files.copy(data.resolve(f), d.resolve(f));
        long lines = Files.readAllLines(d.resolve("interactions.csv")).size();
        try (OutputStream out = Files.newOutputStream(d.resolve("interactions.csv"), StandardOpenOption.APPEND)) {
            byte[] block = new byte[1 << 20];
            Arrays.fill(block, (byte) '9');
            for (int k = 0; k < 40; k++) out.write(block); // 40 MiB, no line break, in a JVM of 64 MiB
            out.write('\n');
        }
        assertOneLineError(metarec("64m", "data", "describe", d.toString()),
                "metarec data describe: " + d.resolve("interactions.csv") + " line " + (lines + 1) + ": line longer than 16 MiB");
    }
}
