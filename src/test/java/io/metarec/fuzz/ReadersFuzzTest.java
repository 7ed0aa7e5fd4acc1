package io.metarec.fuzz;

import io.metarec.rec.data.DataFormatException;
import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.Datasets;
import io.metarec.rec.data.Fixtures;
import io.metarec.rec.data.GenericLayout;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import io.metarec.rec.split.MeluProtocol;
import io.metarec.rec.split.SplitFile;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzing every reader: valid small fixtures of MovieLens-100K (with u.occupation and the extra
 * users.csv / items.csv feature files), MovieLens-1M (with extra feature files), the generic layout
 * (interactions, users and items files) and a split file, each damaged by 1–4 {@link Mutation}s.
 * Every damaged input must be read or rejected with a {@link DataFormatException} (one line, naming
 * the file), within {@link Fuzz#PER_INPUT_LIMIT}, with no other exception or Error. In a full run
 * the class runs in its own JVM with a 256 MiB heap (pom.xml, profile fuzz-small-heap), so an
 * input that makes a reader allocate without bound fails with OutOfMemoryError.
 */
@AddLifecycleHook(Fuzz.Settings.class)
class ReadersFuzzTest {
    enum Format { ML100K, ML1M, GENERIC }

    static Path root;
    static final Map<Format, Map<String, byte[]>> fixtures = new EnumMap<>(Format.class);
    static Dataset splitData;
    static byte[] splitFile;

    @BeforeContainer
    static void writeFixtures() throws IOException {
        root = Files.createTempDirectory("metarec-fuzz-readers");
        System.out.println("fuzz JVM: max heap " + Fuzz.heapMiB() + " MiB");
        Path ml100k = Fixtures.ml100k(root.resolve("src-ml100k"));
        Fixtures.latin1(ml100k.resolve("u.occupation"), "technician\nother\nstudent\nwriter\n");
        Fixtures.utf8(ml100k.resolve("users.csv"), "user,income\n1,high\n3,low\n");
        Fixtures.utf8(ml100k.resolve("items.csv"), "item,director,actors[],release\n1,John Lasseter,Tom Hanks|Tim Allen,\n2,Bille August,Liam Neeson,1998-05-01\n");
        Path ml1m = Fixtures.ml1m(root.resolve("src-ml1m"));
        Fixtures.utf8(ml1m.resolve("users.csv"), "user,income\n2,high\n");
        Fixtures.utf8(ml1m.resolve("items.csv"), "item,director,actors[],release\n1,John Lasseter,Tom Hanks|Tim Allen,\n2,Bille August,Liam Neeson|Uma Thurman,1998-05-01\n");
        Path generic = Fixtures.generic(root.resolve("src-generic"));
        fixtures.put(Format.ML100K, files(ml100k));
        fixtures.put(Format.ML1M, files(ml1m));
        fixtures.put(Format.GENERIC, files(generic));
        for (Format f : Format.values()) Datasets.load(write(f, Map.of())); // the undamaged fixtures load

        // A split file needs a dataset large enough for the MeLU protocol: a small synthetic one.
        Path syn = Files.createDirectories(root.resolve("src-synthetic"));
        GenericLayout.write(Synthetic.generate(SyntheticConfig.of(120, 60, 7)).dataset(), syn);
        splitData = Datasets.load(syn);
        Path split = root.resolve("split.csv");
        SplitFile.write(MeluProtocol.defaults().split(splitData), split);
        splitFile = Files.readAllBytes(split);
        SplitFile.read(split, splitData, 1, 10);
    }

    @AfterContainer
    static void deleteFixtures() throws IOException {
        Fuzz.deleteTree(root);
    }

    static Map<String, byte[]> files(Path dir) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) out.put(p.getFileName().toString(), Files.readAllBytes(p));
        }
        return out;
    }

    /** The fixture of {@code format} in a fresh directory, with the files of {@code replaced} instead of the originals. */
    static Path write(Format format, Map<String, byte[]> replaced) throws IOException {
        Path dir = root.resolve("case-" + format);
        Fuzz.deleteTree(dir);
        Files.createDirectories(dir);
        for (var e : fixtures.get(format).entrySet()) Files.write(dir.resolve(e.getKey()), replaced.getOrDefault(e.getKey(), e.getValue()));
        return dir;
    }

    @Provide
    Arbitrary<List<Mutation>> mutations() {
        return Mutation.some(4);
    }

    @Property(tries = 2500, seed = "20261202")
    void datasetReadersReadOrRejectDamagedFilesCleanly(@ForAll Format format, @ForAll @IntRange(min = 0, max = 63) int which,
                                                       @ForAll("mutations") List<Mutation> ms) throws IOException {
        List<String> names = new ArrayList<>(fixtures.get(format).keySet());
        String name = names.get(which % names.size());
        byte[] damaged = Mutation.applyAll(ms, fixtures.get(format).get(name));
        Path dir = write(format, Map.of(name, damaged));
        String input = format + " " + name + " " + ms;
        String outcome = Fuzz.check(input, () -> {
            try {
                Datasets.load(dir);
            } catch (DataFormatException e) {
                assertTrue(e.getMessage().startsWith(dir.toString()), "the error names a file of the dataset: " + e.getMessage());
                throw e;
            }
        }, DataFormatException.class);
        Statistics.label("outcome").collect(format, outcome);
    }

    @Property(tries = 500, seed = "20261202")
    void splitFileReaderReadsOrRejectsDamagedFilesCleanly(@ForAll("mutations") List<Mutation> ms) throws IOException {
        Path file = root.resolve("split-case.csv");
        Files.write(file, Mutation.applyAll(ms, splitFile));
        String outcome = Fuzz.check("split.csv " + ms, () -> {
            try {
                SplitFile.read(file, splitData, 1, 10);
            } catch (DataFormatException e) {
                assertEquals(file, e.file(), e.getMessage());
                throw e;
            }
        }, DataFormatException.class);
        Statistics.label("outcome").collect(outcome);
    }

    /** Beyond what the mutations insert: one line of 17 MiB (the limit is 16 MiB) is refused without holding it. */
    @Example
    void aLineLongerThanTheLimitIsRefusedWithFileAndLine() throws IOException {
        Path dir = write(Format.GENERIC, Map.of());
        try (OutputStream out = Files.newOutputStream(dir.resolve("interactions.csv"), java.nio.file.StandardOpenOption.APPEND)) {
            out.write("alice,".getBytes(StandardCharsets.UTF_8));
            byte[] block = new byte[1 << 20];
            java.util.Arrays.fill(block, (byte) 'x');
            for (int k = 0; k < 17; k++) out.write(block);
            out.write(",5\n".getBytes(StandardCharsets.UTF_8));
        }
        DataFormatException e = assertThrows(DataFormatException.class, () -> Datasets.load(dir));
        assertEquals(8, e.line(), e.getMessage());
        assertTrue(e.getMessage().contains("interactions.csv line 8: line longer than 16 MiB"), e.getMessage());
        assertTrue(e.getMessage().length() < 400, "the line is quoted only in part: " + e.getMessage().length());
    }
}
