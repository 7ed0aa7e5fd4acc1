package io.metarec.rec.train;

import io.metarec.meta.Task;
import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import io.metarec.rec.model.Examples;
import io.metarec.rec.split.MeluProtocol;
import io.metarec.rec.split.UserTask;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TaskFactory#trainingTasks}: varied supports (random subsets of the support, at least one
 * rating, queries untouched, seeded per epoch), re-dealt supports and queries (the user's ratings,
 * sizes kept, drawn anew per epoch) and hidden item identities (about the asked share,
 * nothing else changed); {@link TaskFactory.Training#NONE} gives the evaluation tasks.
 */
class TrainingTasksTest {
    static Experiment experiment;
    static TaskFactory factory;
    static List<UserTask> users;
    static List<Task<Examples>> full;

    @BeforeAll
    static void prepare() {
        Dataset d = Synthetic.generate(SyntheticConfig.of(300, 200, 5)).dataset();
        experiment = Experiment.of(d, MeluProtocol.defaults().split(d), Feedback.explicit(), 0.1, 3);
        factory = experiment.tasks();
        users = experiment.trainValidation().train();
        full = factory.tasks(users);
        assertTrue(users.size() > 100, "enough training tasks: " + users.size());
    }

    static int[] items(Examples e) {
        assertNotNull(e.itemIds());
        return e.itemIds().array().clone();
    }

    static float[] targets(Examples e) {
        return e.targets().toArray();
    }

    /** Everything but the item identities. */
    static void assertSameExceptItemIds(Examples a, Examples b, String what) {
        assertEquals(a.rows(), b.rows(), what);
        assertArrayEquals(targets(a), targets(b), 0f, what);
        assertArrayEquals(a.identities(io.metarec.rec.model.FieldSpec.Side.USER).array(), b.identities(io.metarec.rec.model.FieldSpec.Side.USER).array(), what);
        assertEquals(a.fields().size(), b.fields().size(), what);
        for (int f = 0; f < a.fields().size(); f++) {
            Examples.FieldIds x = a.fields().get(f), y = b.fields().get(f);
            assertArrayEquals(x.ids().array(), y.ids().array(), what + " field " + f);
            assertEquals(x.offsets() == null, y.offsets() == null, what + " field " + f);
            if (x.offsets() != null) assertArrayEquals(x.offsets().array(), y.offsets().array(), what + " field " + f);
        }
    }

    static void assertSame(Examples a, Examples b, String what) {
        assertSameExceptItemIds(a, b, what);
        assertArrayEquals(items(a), items(b), what);
    }

    static int[] supportSizes(List<Task<Examples>> ts) {
        return ts.stream().mapToInt(t -> t.support().rows()).toArray();
    }

    /** The (item identity, rating) rows of a set of examples, counted. */
    static Map<String, Integer> rows(Examples e) {
        Map<String, Integer> m = new HashMap<>();
        int[] ids = items(e);
        float[] r = targets(e);
        for (int k = 0; k < ids.length; k++) m.merge(ids[k] + ":" + r[k], 1, Integer::sum);
        return m;
    }

    @Test
    void earlyStoppingScoresTheValidationUsersFolds() {
        List<UserTask> folds = experiment.trainValidation().validationFolds(Experiment.VALIDATION_FOLDS, 3);
        List<Task<Examples>> validation = experiment.validationTasks();
        assertTrue(folds.size() > experiment.trainValidation().validation().size(), "more tasks than validation users");
        assertEquals(folds.size(), validation.size());
        for (int k = 0; k < folds.size(); k++) {
            Task<Examples> made = factory.tasks(List.of(folds.get(k))).get(0);
            assertArrayEquals(targets(made.query()), targets(validation.get(k).query()), "task " + k);
            assertArrayEquals(items(made.support()), items(validation.get(k).support()), "task " + k);
        }
    }

    @Test
    void noneGivesTheEvaluationTasks() {
        for (int epoch : new int[] {1, 2, 7}) {
            List<Task<Examples>> t = factory.trainingTasks(users, TaskFactory.Training.NONE, epoch);
            assertEquals(full.size(), t.size());
            for (int k = 0; k < t.size(); k++) {
                assertSame(full.get(k).support(), t.get(k).support(), "support " + k);
                assertSame(full.get(k).query(), t.get(k).query(), "query " + k);
            }
        }
        assertEquals(new TaskFactory.Training(false, false, 0), TaskFactory.Training.NONE);
    }

    @Test
    void variedSupportsAreNonEmptySubsetsWithQueriesUnchanged() {
        TaskFactory.Training how = new TaskFactory.Training(true, false, 0);
        int shorter = 0, total = 0, ones = 0;
        for (int epoch = 1; epoch <= 4; epoch++) {
            List<Task<Examples>> t = factory.trainingTasks(users, how, epoch);
            assertEquals(full.size(), t.size(), "the same number of tasks every epoch");
            for (int k = 0; k < t.size(); k++) {
                Examples s = t.get(k).support(), whole = full.get(k).support();
                assertTrue(s.rows() >= 1, "a support keeps at least one rating");
                assertTrue(s.rows() <= whole.rows());
                if (s.rows() < whole.rows()) shorter++;
                if (s.rows() == 1) ones++;
                total++;
                // a subset of the task's own (item, rating) rows, each at most as often as there
                Map<String, Integer> have = rows(whole);
                rows(s).forEach((row, n) -> assertTrue(have.getOrDefault(row, 0) >= n, "row " + row + " is not in the full support"));
                if (s.rows() == whole.rows()) assertSame(whole, s, "an uncut support is the support");
                assertSame(full.get(k).query(), t.get(k).query(), "the query is never cut");
            }
        }
        double share = shorter / (double) total;
        // half the tasks are cut, to n log-uniform in [1, size] (sometimes the whole support again)
        assertTrue(share > 0.25 && share < 0.55, "share of shortened supports: " + share);
        assertTrue(ones > 0, "log-uniform sizes reach a single rating");
    }

    @Test
    void resplitDealsEachUsersRatingsAnewEveryEpoch() {
        TaskFactory.Training how = new TaskFactory.Training(false, true, 0);
        int changedQueries = 0, total = 0;
        Map<String, Integer> servedAsQuery = new HashMap<>();
        List<Task<Examples>> previous = null;
        for (int epoch = 1; epoch <= 3; epoch++) {
            List<Task<Examples>> t = factory.trainingTasks(users, how, epoch);
            assertEquals(full.size(), t.size());
            for (int k = 0; k < t.size(); k++) {
                Examples s = t.get(k).support(), q = t.get(k).query();
                assertEquals(full.get(k).support().rows(), s.rows(), "the support keeps its size");
                assertEquals(full.get(k).query().rows(), q.rows(), "the query keeps its size");
                // together, exactly the user's ratings of the split: nothing lost, nothing doubled
                Map<String, Integer> dealt = rows(s), whole = rows(full.get(k).support());
                rows(q).forEach((row, n) -> dealt.merge(row, n, Integer::sum));
                rows(full.get(k).query()).forEach((row, n) -> whole.merge(row, n, Integer::sum));
                assertEquals(whole, dealt, "task " + k + " epoch " + epoch);
                if (!rows(q).equals(rows(full.get(k).query()))) changedQueries++;
                total++;
                final int user = k;
                rows(q).keySet().forEach(row -> servedAsQuery.merge(user + "/" + row, 1, Integer::sum));
                // the same user: the rows' user side is untouched
                assertArrayEquals(full.get(k).query().identities(io.metarec.rec.model.FieldSpec.Side.USER).array(),
                        q.identities(io.metarec.rec.model.FieldSpec.Side.USER).array());
            }
            if (previous != null) {
                int same = 0;
                for (int k = 0; k < t.size(); k++) if (rows(t.get(k).query()).equals(rows(previous.get(k).query()))) same++;
                assertTrue(same < t.size() / 10, "queries are drawn anew each epoch: " + same + " of " + t.size() + " unchanged");
            }
            previous = t;
        }
        assertTrue(changedQueries > 0.9 * total, "queries differ from the split's: " + changedQueries + " of " + total);
        List<Task<Examples>> again = factory.trainingTasks(users, how, 2), before = factory.trainingTasks(users, how, 2);
        for (int k = 0; k < again.size(); k++) assertSame(before.get(k).query(), again.get(k).query(), "same epoch, same deal " + k);
    }

    @Test
    void variedSupportsAreSeededByEpoch() {
        TaskFactory.Training how = new TaskFactory.Training(true, false, 0.1);
        List<Task<Examples>> a = factory.trainingTasks(users, how, 3), b = factory.trainingTasks(users, how, 3);
        for (int k = 0; k < a.size(); k++) {
            assertSame(a.get(k).support(), b.get(k).support(), "same epoch, same support " + k);
            assertSame(a.get(k).query(), b.get(k).query(), "same epoch, same query " + k);
        }
        int[] s3 = supportSizes(a), s4 = supportSizes(factory.trainingTasks(users, how, 4));
        assertFalse(Arrays.equals(s3, s4), "epochs 3 and 4 cut the supports alike");
        // a different epoch hides other identities too
        List<Task<Examples>> c = factory.trainingTasks(users, new TaskFactory.Training(false, false, 0.1), 3),
                d = factory.trainingTasks(users, new TaskFactory.Training(false, false, 0.1), 4);
        boolean differs = false;
        for (int k = 0; k < c.size() && !differs; k++) differs = !Arrays.equals(items(c.get(k).query()), items(d.get(k).query()));
        assertTrue(differs, "epochs 3 and 4 hide the same identities");
        // queries keep their size and ratings under both
        List<Task<Examples>> both = factory.trainingTasks(users, how, 5);
        for (int k = 0; k < both.size(); k++) assertSameExceptItemIds(full.get(k).query(), both.get(k).query(), "query " + k);
    }

    @Test
    void hiddenIdentitiesAreAboutTheAskedShareAndNothingElseChanges() {
        for (double share : new double[] {0.1, 0.3}) {
            List<Task<Examples>> t = factory.trainingTasks(users, new TaskFactory.Training(false, false, share), 2);
            long rows = 0, hidden = 0;
            for (int k = 0; k < t.size(); k++) {
                for (boolean support : new boolean[] {true, false}) {
                    Examples x = support ? t.get(k).support() : t.get(k).query(), base = support ? full.get(k).support() : full.get(k).query();
                    assertSameExceptItemIds(base, x, (support ? "support " : "query ") + k);
                    int[] a = items(base), b = items(x);
                    for (int r = 0; r < a.length; r++) {
                        assertTrue(a[r] != 0, "training items are known to the model");
                        assertTrue(b[r] == a[r] || b[r] == 0, "an identity is kept or hidden, never changed");
                        rows++;
                        if (b[r] == 0) hidden++;
                    }
                }
            }
            double got = hidden / (double) rows;
            assertEquals(share, got, 0.02, "share of hidden item identities over " + rows + " rows");
        }
    }

    @Test
    void theExperimentHidesIdentitiesOnlyForIdentityModels() {
        RecConfig on = RecConfig.defaults(), off = RecConfig.meluPaper();
        assertEquals(new TaskFactory.Training(true, true, Experiment.HIDE_ITEM), Experiment.training(on));
        assertEquals(0.1, Experiment.HIDE_ITEM);
        assertEquals(TaskFactory.Training.NONE, Experiment.training(off));
        List<Integer> zeros = new ArrayList<>();
        for (Task<Examples> t : full) for (int id : items(t.support())) if (id == 0) zeros.add(id);
        assertTrue(zeros.isEmpty(), "evaluation tasks hide nothing");
    }
}
