package io.metarec.rec.split;

import io.metarec.rec.data.DataFormatException;
import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.DatasetFormat;
import io.metarec.rec.data.Interactions;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class SplitFileTest {
    @TempDir Path tmp;

    static final Dataset DATA = Synthetic.generate(SyntheticConfig.of(600, 300, 9)).dataset();

    @Test
    void writeThenReadReproducesTheSplitExactly() throws IOException {
        ColdStartSplit s = MeluProtocol.withSeed(4).split(DATA);
        Path file = tmp.resolve("split.csv");
        SplitFile.write(s, file);
        List<String> lines = Files.readAllLines(file);
        assertTrue(lines.get(0).startsWith("# metarec split file: protocol=melu seed=4"), lines.get(0));
        assertEquals("user,item,scenario,role", lines.get(2));
        ColdStartSplit r = SplitFile.read(file, DATA, 999, 10);
        for (int k = 0; k < DATA.interactions().size(); k++) {
            assertEquals(s.scenarioOf(k), r.scenarioOf(k));
            assertEquals(s.roleOf(k), r.roleOf(k));
        }
        for (Scenario sc : Scenario.values()) {
            assertEquals(s.tasks(sc), r.tasks(sc));
            ColdStartSplit.Size a = s.size(sc), b = r.size(sc);
            assertEquals(List.of(a.users(), a.tasks(), a.interactions(), a.support(), a.query()), List.of(b.users(), b.tasks(), b.interactions(), b.support(), b.query()));
        }
        assertEquals(List.of(), r.invariantViolations());
        // A file only shows partitions through scenarios: a held-out user whose warm task was dropped
        // looks existing, one without any task unassigned; nothing else can differ.
        for (int uu = 0; uu < DATA.numUsers(); uu++) {
            final int u = uu;
            ColdStartSplit.UserGroup was = s.userGroup(u), is = r.userGroup(u);
            switch (is) {
                case NEW, HELD_OUT -> assertEquals(was, is);
                case EXISTING -> assertTrue(was == ColdStartSplit.UserGroup.EXISTING || was == ColdStartSplit.UserGroup.HELD_OUT);
                case UNASSIGNED -> assertTrue(s.tasks(Scenario.TRAIN).stream().noneMatch(t -> t.user() == u));
            }
        }
        try (var files = Files.list(tmp)) {
            assertEquals(1, files.count(), "no temporary file left");
        }
    }

    @Test
    void withoutARoleColumnQueriesAreDrawnAndAnExistingSplitIsTakenAsIs() throws IOException {
        Dataset d = tiny();
        Path file = tmp.resolve("paper.csv");
        StringBuilder b = new StringBuilder("# a paper's split\nitem,user,scenario\n");
        for (int i = 0; i < 14; i++) b.append("i").append(i).append(",alice,train\n");
        for (int i = 0; i < 5; i++) b.append("i").append(i).append(",bob,user-cold\n");
        Files.writeString(file, b);
        ColdStartSplit s = SplitFile.read(file, d, 1, 10);
        UserTask alice = s.tasks(Scenario.TRAIN).get(0);
        assertEquals(10, alice.querySize());
        assertEquals(4, alice.supportSize());
        UserTask bob = s.tasks(Scenario.USER_COLD).get(0);
        assertEquals(5, bob.querySize(), "a 5-rating task is kept as it is: all query, empty support");
        assertEquals(0, bob.supportSize());
        assertNull(s.scenarioOf(d.interactions().ofUser(d.userIndex("bob"))[5]), "rows the file omits are unused");
        assertEquals(alice, SplitFile.read(file, d, 1, 10).tasks(Scenario.TRAIN).get(0), "seeded");
        assertEquals(ColdStartSplit.UserGroup.NEW, s.userGroup(d.userIndex("bob")));
    }

    @Test
    void repeatedPairsAreMatchedOccurrenceByOccurrence() throws IOException {
        Dataset.Builder b = new Dataset.Builder("dup", DatasetFormat.GENERIC);
        int u = b.user("u"), i = b.item("i"), j = b.item("j");
        b.interaction(u, i, 1, Interactions.NO_TIMESTAMP).interaction(u, j, 2, Interactions.NO_TIMESTAMP).interaction(u, i, 5, Interactions.NO_TIMESTAMP);
        Dataset d = b.build();
        Path file = tmp.resolve("s.csv");
        Files.writeString(file, "user,item,scenario,role\nu,i,train,support\nu,j,train,query\nu,i,warm,query\n");
        ColdStartSplit s = SplitFile.read(file, d, 1, 10);
        assertEquals(Scenario.TRAIN, s.scenarioOf(0));
        assertEquals(Scenario.WARM, s.scenarioOf(2));
        assertEquals(Role.QUERY, s.roleOf(2));
        assertTrue(s.invariantViolations().stream().anyMatch(v -> v.contains("user u is in train and warm")), s.invariantViolations().toString());
        SplitFile.write(s, tmp.resolve("again.csv"));
        ColdStartSplit again = SplitFile.read(tmp.resolve("again.csv"), d, 1, 10);
        for (int k = 0; k < 3; k++) assertEquals(s.scenarioOf(k), again.scenarioOf(k));
        Files.writeString(file, "user,item,scenario\nu,i,train\nu,i,train\nu,i,train\n");
        expect(file, d, 4, "u,i,train", "rated item \"i\" 2 time(s), but the split lists the pair more often");
    }

    @Test
    void badSplitFilesNameFileLineAndText() throws IOException {
        Dataset d = tiny();
        Path file = tmp.resolve("split.csv");
        Files.writeString(file, "user,item,scenario,role\nalice,i1,train,support\nalice,i2,cold,query\n");
        expect(file, d, 3, "alice,i2,cold,query", "unknown scenario 'cold', expected one of train, warm, user-cold, item-cold, user-item-cold");
        Files.writeString(file, "user,item,scenario,role\nalice,i1,train,supp\n");
        expect(file, d, 2, "alice,i1,train,supp", "unknown role 'supp', expected support or query");
        Files.writeString(file, "user,item,scenario\nzoe,i1,train\n");
        expect(file, d, 2, "zoe,i1,train", "unknown user \"zoe\"");
        Files.writeString(file, "user,item,scenario\nbob,i13,train\n");
        expect(file, d, 2, "bob,i13,train", "user \"bob\" has no interaction with item \"i13\"");
        Files.writeString(file, "user;item;scenario\nbob;i1;train\n");
        expect(file, d, 1, "user;item;scenario", "the header must name the columns user, item, scenario");
        Files.writeString(file, "user,item,scenario\n");
        expect(file, d, 0, null, "has a header but no rows");
        Files.writeString(file, "user,item,scenario\nbob,i1\n");
        expect(file, d, 2, "bob,i1", "expected 3 comma-separated fields");
    }

    @Test
    void tasksWithNothingToScoreOrToAdaptOnInTrainingAreRefusedNamingTheUser() throws IOException {
        Dataset d = tiny();
        Path file = tmp.resolve("tasks.csv");
        Files.writeString(file, "user,item,scenario,role\n" + rows("alice", 14, "train,support"));
        expectTask(file, d, "user \"alice\" in train has 14 support and 0 query ratings: a task needs at least one query rating to be scored");
        Files.writeString(file, "user,item,scenario,role\n" + rows("alice", 14, "train,query"));
        expectTask(file, d, "user \"alice\" in train has 0 support and 14 query ratings: a training task needs at least one support rating to adapt on (role column)");
        // Without a role column the query is each task's querySize random ratings: bob's 6 leave no support.
        Files.writeString(file, "user,item,scenario\n" + rows("bob", 6, "train"));
        expectTask(file, d, "user \"bob\" in train has 0 support and 6 query ratings: a training task needs at least one support rating to adapt on"
                + " (without a role column each task's query is 10 random ratings, so it needs more)");
        Files.writeString(file, "user,item,scenario,role\nalice,i0,train,support\nalice,i1,train,query\nbob,i0,user-cold,support\n");
        expectTask(file, d, "user \"bob\" in user-cold has 1 support and 0 query ratings");
        // A new user in a test scenario with nothing rated yet is a task (scored unadapted).
        Files.writeString(file, "user,item,scenario,role\nalice,i0,train,support\nalice,i1,train,query\nbob,i0,user-cold,query\n");
        assertEquals(0, SplitFile.read(file, d, 1, 10).tasks(Scenario.USER_COLD).get(0).supportSize());
    }

    /** Lines "user,i0,rest" … "user,i(n−1),rest". */
    static String rows(String user, int n, String rest) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) b.append(user).append(",i").append(i).append(',').append(rest).append('\n');
        return b.toString();
    }

    static void expectTask(Path file, Dataset d, String reason) {
        DataFormatException e = assertThrows(DataFormatException.class, () -> SplitFile.read(file, d, 1, 10));
        assertEquals(file, e.file());
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertTrue(e.getMessage().contains(file.getFileName().toString()), e.getMessage());
    }

    static void expect(Path file, Dataset d, long line, String text, String reason) {
        DataFormatException e = assertThrows(DataFormatException.class, () -> SplitFile.read(file, d, 1, 10));
        assertEquals(file, e.file());
        assertEquals(line, e.line(), e.getMessage());
        assertEquals(text, e.text(), e.getMessage());
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertTrue(e.getMessage().contains(file.getFileName().toString()), e.getMessage());
    }

    /** alice rated i0..i13, bob i0..i5. */
    static Dataset tiny() {
        Dataset.Builder b = new Dataset.Builder("tiny", DatasetFormat.GENERIC);
        int alice = b.user("alice"), bob = b.user("bob");
        for (int i = 0; i < 14; i++) b.item("i" + i);
        for (int i = 0; i < 14; i++) b.interaction(alice, i, 1 + i % 5, Interactions.NO_TIMESTAMP);
        for (int i = 0; i < 6; i++) b.interaction(bob, i, 5 - i % 5, Interactions.NO_TIMESTAMP);
        return b.build();
    }
}
