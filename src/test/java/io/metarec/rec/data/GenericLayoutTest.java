package io.metarec.rec.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class GenericLayoutTest {
    @TempDir Path tmp;

    @Test
    void readsCatalogueFeaturesQuotedTitlesAndDeclaredReleases() throws IOException {
        Dataset d = Datasets.load(Fixtures.generic(tmp.resolve("g")));
        assertEquals(DatasetFormat.GENERIC, d.format());
        assertEquals(3, d.numUsers());
        assertEquals(4, d.numItems(), "m4 has no ratings but is in items.csv");
        assertFalse(d.interactions().hasTimestamps());
        assertEquals(Interactions.NO_TIMESTAMP, d.interactions().timestamp(0));
        assertEquals(3.5f, d.interactions().rating(1));
        int m1 = d.itemIndex("m1");
        assertEquals("Amélie, or \"the fabulous\" one", d.title(m1).orElseThrow());
        assertEquals(Releases.startOfYear(2001), d.releaseTime(m1));
        assertEquals(ReleaseSource.DECLARED, d.releaseSource(m1));
        assertEquals(ReleaseSource.NONE, d.releaseSource(d.itemIndex("m3")), "no release column value and no timestamps");
        assertEquals(Dataset.NO_TIME, d.releaseTime(d.itemIndex("m3")));

        FeatureTable u = d.userFeatures();
        int interests = u.fieldIndex("interests");
        assertEquals(Field.Kind.MULTI, u.field(interests).kind());
        assertEquals(List.of("jazz", "film"), u.labels(interests, d.userIndex("alice")));
        assertEquals(0, u.valueCount(interests, d.userIndex("carol")));
        assertEquals(Vocabulary.UNKNOWN, u.value(u.fieldIndex("age"), d.userIndex("bob")), "empty categorical cell = missing");
        // Sorted vocabulary: film=1, jazz=2; CSR layout of the whole column.
        assertArrayEquals(new int[] {0, 2, 3, 3}, u.offsets(interests));
        assertArrayEquals(new int[] {2, 1, 1}, u.ids(interests));
        FeatureTable.Bag bag = u.bag(interests, new int[] {2, 0, 1});
        assertEquals(new FeatureTable.Bag(new int[] {0, 0, 2, 3}, new int[] {2, 1, 1}), bag);
        // Encoding a new row: unseen values map to the reserved id 0.
        Field genres = d.itemFeatures().field(d.itemFeatures().fieldIndex("genres"));
        int scifi = genres.vocabulary().idOf("Sci-Fi");
        assertArrayEquals(new int[] {scifi, Vocabulary.UNKNOWN}, genres.encode("Sci-Fi | Western"));
        Field director = d.itemFeatures().field(d.itemFeatures().fieldIndex("director"));
        assertArrayEquals(new int[] {Vocabulary.UNKNOWN}, director.encode("Kubrick"));
        assertArrayEquals(new int[] {director.vocabulary().idOf("Scott")}, director.encode("Scott"));
    }

    @Test
    void withoutFeatureFilesUsersAndItemsComeFromInteractionsAndTimestampsGiveReleases() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("bare"));
        Fixtures.utf8(dir.resolve("interactions.csv"), "item,user,timestamp,rating\ni2,u1,50,4\ni1,u2,10,3\ni2,u2,20,5\n");
        Dataset d = Datasets.load(dir);
        assertEquals(List.of("u1", "u2"), List.of(d.userId(0), d.userId(1)));
        assertEquals("i2", d.itemId(0), "indices in order of first appearance");
        assertEquals(0, d.userFeatures().fieldCount());
        assertEquals(ReleaseSource.FIRST_INTERACTION, d.releaseSource(d.itemIndex("i2")));
        assertEquals(20L, d.releaseTime(d.itemIndex("i2")), "earliest of its interactions");
        assertEquals(5f, d.interactions().rating(2));
    }

    @Test
    void windowsLineEndingsAndAByteOrderMarkAreFine() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("crlf"));
        Files.write(dir.resolve("interactions.csv"), "\uFEFFuser,item,rating\r\nu1,i1,4\r\n\r\nu2,i1,2\r\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Dataset d = Datasets.load(dir);
        assertEquals(2, d.interactions().size());
        assertEquals("u2", d.userId(1));
        assertEquals("i1", d.itemId(0));
    }

    @Test
    void writeThenReadGivesTheSameDataset() throws IOException {
        Dataset a = Datasets.load(Fixtures.generic(tmp.resolve("g")));
        Path out = tmp.resolve("copy");
        DatasetDirectory.write(out, false, dir -> GenericLayout.write(a, dir));
        assertSameData(a, Datasets.load(out));
    }

    @Test
    void convertingMovieLensKeepsEverything() throws IOException {
        for (Path src : List.of(Fixtures.ml100k(tmp.resolve("ml-100k")), Fixtures.ml1m(tmp.resolve("ml-1m")))) {
            Dataset ml = Datasets.load(src);
            Path out = tmp.resolve("conv-" + src.getFileName());
            DatasetDirectory.write(out, false, dir -> GenericLayout.write(ml, dir));
            Dataset g = Datasets.load(out);
            assertEquals(DatasetFormat.GENERIC, g.format());
            assertSameData(ml, g);
        }
    }

    /** Same ids, titles, release times, interactions and feature values (as strings). */
    static void assertSameData(Dataset a, Dataset b) {
        assertEquals(a.numUsers(), b.numUsers());
        assertEquals(a.numItems(), b.numItems());
        for (int u = 0; u < a.numUsers(); u++) assertEquals(a.userId(u), b.userId(u));
        for (int i = 0; i < a.numItems(); i++) {
            assertEquals(a.itemId(i), b.itemId(i));
            assertEquals(a.title(i), b.title(i));
            assertEquals(a.releaseTime(i), b.releaseTime(i), "release of " + a.itemId(i));
        }
        Interactions x = a.interactions(), y = b.interactions();
        assertEquals(x.size(), y.size());
        assertEquals(x.hasTimestamps(), y.hasTimestamps());
        for (int k = 0; k < x.size(); k++) {
            assertEquals(x.user(k), y.user(k));
            assertEquals(x.item(k), y.item(k));
            assertEquals(x.rating(k), y.rating(k));
            assertEquals(x.timestamp(k), y.timestamp(k));
        }
        for (boolean users : new boolean[] {true, false}) {
            FeatureTable s = users ? a.userFeatures() : a.itemFeatures(), t = users ? b.userFeatures() : b.itemFeatures();
            assertEquals(s.fields().stream().map(f -> f.name() + f.kind()).toList(), t.fields().stream().map(f -> f.name() + f.kind()).toList());
            for (int f = 0; f < s.fieldCount(); f++)
                for (int r = 0; r < s.rows(); r++) {
                    List<String> sv = s.labels(f, r).stream().filter(v -> !v.equals(Vocabulary.UNKNOWN_LABEL)).toList();
                    assertEquals(sv, t.labels(f, r).stream().filter(v -> !v.equals(Vocabulary.UNKNOWN_LABEL)).toList());
                }
        }
    }

    @Test
    void directoryWritesAreAtomicAndRefuseToOverwrite() throws IOException {
        Dataset a = Datasets.load(Fixtures.generic(tmp.resolve("g")));
        Path out = tmp.resolve("out");
        DatasetDirectory.write(out, false, dir -> GenericLayout.write(a, dir));
        Files.writeString(out.resolve("split.csv"), "stale");
        Files.writeString(out.resolve("notes.txt"), "mine");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DatasetDirectory.write(out, false, dir -> {}));
        assertTrue(e.getMessage().contains("not empty"), e.getMessage());
        // A failing writer leaves nothing behind: the old files stay, no temporary directory remains.
        assertThrows(IOException.class, () -> DatasetDirectory.write(out, true, dir -> { throw new IOException("disk full"); }));
        assertEquals("stale", Files.readString(out.resolve("split.csv")));
        try (var s = Files.list(tmp)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains(".tmp-")));
        }
        DatasetDirectory.Written w = DatasetDirectory.write(out, true, dir -> GenericLayout.write(a, dir));
        assertEquals(out.resolve("split.csv"), w.removedSplit());
        assertEquals("mine", Files.readString(out.resolve("notes.txt")), "other files are kept");
        assertSameData(a, Datasets.load(out));
        // An empty existing directory is fine without --force.
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        DatasetDirectory.write(empty, false, dir -> GenericLayout.write(a, dir));
        assertSameData(a, Datasets.load(empty));
    }

    @Test
    void releaseCellsAndTitleYears() {
        assertEquals(Releases.startOfYear(1995), Releases.parseDeclared("1995"));
        assertEquals(Releases.startOfYear(1995) + 31 * 86400L, Releases.parseDeclared("1995-02-01"));
        assertEquals(86400L, Releases.parseDeclared("86400"));
        assertEquals(3600L, Releases.parseDeclared("1970-01-01T01:00:00Z"));
        assertNull(Releases.parseDeclared("  "));
        for (long t : new long[] {Releases.startOfYear(1995), Releases.parseDeclared("1995-02-01"), 12345L})
            assertEquals(t, Releases.parseDeclared(Releases.formatDeclared(t)));
        assertEquals(1995, Releases.titleYear(Fixtures.CITY));
        assertEquals(-1, Releases.titleYear("unknown"));
        assertEquals("1995-1999", Releases.yearBucket(1999));
        assertEquals("2000-2004", Releases.yearBucket(2000));
    }

    /**
     * Reading is linear in the input (issue 11's reproducers at 10× their size: one cell with a
     * million values, a header with 20,000 columns). Both took minutes or never finished when
     * de-duplication scanned lists; the bound is generous (a few seconds each on 2 cores) and only
     * catches a return of quadratic time.
     */
    @Test
    void hugeCellsAndWideHeadersReadInLinearTime() throws IOException {
        Path d = tmp.resolve("wide");
        Files.createDirectories(d);
        StringBuilder items = new StringBuilder("item,genres[]\n1,");
        for (int k = 0; k < 1_000_000; k++) items.append(k == 0 ? "" : "|").append('g').append(k);
        items.append('\n');
        StringBuilder users = new StringBuilder("user");
        for (int c = 0; c < 20_000; c++) users.append(",f").append(c);
        users.append('\n').append("u1").append(",x".repeat(20_000)).append('\n');
        StringBuilder interactions = new StringBuilder("user,item,rating\n");
        for (int i = 0; i < 20; i++) interactions.append("u1,1,").append(1 + i % 5).append('\n');
        Files.writeString(d.resolve("items.csv"), items);
        Files.writeString(d.resolve("users.csv"), users);
        Files.writeString(d.resolve("interactions.csv"), interactions);
        Dataset data = assertTimeoutPreemptively(java.time.Duration.ofSeconds(60), () -> Datasets.load(d));
        assertEquals(1_000_000, data.itemFeatures().values(data.itemFeatures().fieldIndex("genres"), 0).length);
        assertEquals(20_000, data.userFeatures().fieldCount());
    }
}
