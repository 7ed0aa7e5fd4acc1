package io.metarec.rec.split;

import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.DatasetFormat;
import io.metarec.rec.data.Interactions;
import io.metarec.rec.data.Releases;
import io.metarec.rec.data.ReleaseSource;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class MeluProtocolTest {
    static Dataset data;
    static ColdStartSplit split;

    @BeforeAll static void make() {
        data = Synthetic.generate(SyntheticConfig.of(1500, 800, 5)).dataset();
        split = MeluProtocol.withSeed(11).split(data);
    }

    static Set<Integer> users(ColdStartSplit s, Scenario sc) {
        Set<Integer> out = new HashSet<>();
        for (UserTask t : s.tasks(sc)) out.add(t.user());
        return out;
    }

    @Test
    void noUserIsInTwoUserPartitions() {
        Set<Integer> train = users(split, Scenario.TRAIN), warm = users(split, Scenario.WARM);
        Set<Integer> cold = new HashSet<>(users(split, Scenario.USER_COLD));
        cold.addAll(users(split, Scenario.USER_ITEM_COLD));
        Set<Integer> existing = new HashSet<>(train);
        existing.addAll(warm);
        assertTrue(disjoint(train, warm), "train and warm users overlap");
        assertTrue(disjoint(existing, cold), "existing and new users overlap");
        for (int u : cold) assertEquals(ColdStartSplit.UserGroup.NEW, split.userGroup(u));
        for (int u : warm) assertEquals(ColdStartSplit.UserGroup.HELD_OUT, split.userGroup(u));
        for (int u : train) assertEquals(ColdStartSplit.UserGroup.EXISTING, split.userGroup(u));
        for (int u : users(split, Scenario.ITEM_COLD)) assertNotEquals(ColdStartSplit.UserGroup.NEW, split.userGroup(u));
        assertFalse(train.isEmpty() || warm.isEmpty() || cold.isEmpty() || users(split, Scenario.ITEM_COLD).isEmpty());
        // Shares: 20% of the users with ratings are new, 10% of the others held out.
        assertEquals(Math.round(0.2 * 1500), split.countUsers(ColdStartSplit.UserGroup.NEW));
        assertEquals(Math.round(0.1 * 1200), split.countUsers(ColdStartSplit.UserGroup.HELD_OUT));
        assertEquals(List.of(), split.invariantViolations());
    }

    static boolean disjoint(Set<Integer> a, Set<Integer> b) {
        Set<Integer> c = new HashSet<>(a);
        c.retainAll(b);
        return c.isEmpty();
    }

    @Test
    void newItemsAreTheNewestAndNeverInTrainWarmOrUserCold() {
        Interactions x = data.interactions();
        // The cutoff, computed independently: the release time at the 80% quantile of the rated items.
        long[] times = new long[data.numItems()];
        int c = 0;
        for (int i = 0; i < data.numItems(); i++) if (x.countOfItem(i) > 0) times[c++] = data.releaseTime(i);
        Arrays.sort(times, 0, c);
        long cutoff = times[(int) Math.floor(0.8 * c)];
        int newCount = 0;
        for (int i = 0; i < data.numItems(); i++) {
            if (x.countOfItem(i) == 0) continue;
            boolean isNew = data.releaseTime(i) >= cutoff;
            if (isNew) newCount++;
            assertEquals(isNew ? ColdStartSplit.ItemGroup.NEW : ColdStartSplit.ItemGroup.EXISTING, split.itemGroup(i));
        }
        assertTrue(newCount >= 0.2 * c && newCount < 0.22 * c, newCount + " of " + c);
        for (Scenario s : Scenario.values())
            for (UserTask t : split.tasks(s))
                for (int k : t.all())
                    assertEquals(s.newItems(), split.itemGroup(x.item(k)) == ColdStartSplit.ItemGroup.NEW, s + " task holds the wrong kind of item");
    }

    @Test
    void tasksHaveQueryTenAndSupportThreeToNinety() {
        Interactions x = data.interactions();
        int assigned = 0;
        for (Scenario s : Scenario.values()) {
            for (UserTask t : split.tasks(s)) {
                assertEquals(10, t.querySize());
                assertTrue(t.supportSize() >= 3 && t.supportSize() <= 90, "support " + t.supportSize());
                Set<Integer> seen = new HashSet<>();
                for (int k : t.support()) {
                    assertEquals(Role.SUPPORT, split.roleOf(k));
                    assertTrue(seen.add(k));
                }
                for (int k : t.query()) {
                    assertEquals(Role.QUERY, split.roleOf(k));
                    assertTrue(seen.add(k), "support and query overlap");
                }
                for (int k : t.all()) {
                    assertEquals(t.user(), x.user(k));
                    assertEquals(s, split.scenarioOf(k));
                }
                assigned += t.size();
            }
        }
        int marked = 0;
        for (int k = 0; k < x.size(); k++) if (split.scenarioOf(k) != null) marked++;
        assertEquals(assigned, marked, "exactly the task interactions are assigned");
    }

    @Test
    void droppedTasksAreThoseOutsideThirteenToHundred() {
        Interactions x = data.interactions();
        int[][] expected = new int[Scenario.values().length][2];
        for (int u = 0; u < data.numUsers(); u++) {
            int existing = 0, fresh = 0;
            for (int k : x.ofUser(u)) {
                if (split.itemGroup(x.item(k)) == ColdStartSplit.ItemGroup.NEW) fresh++;
                else existing++;
            }
            for (boolean newItems : new boolean[] {false, true}) {
                int n = newItems ? fresh : existing;
                if (n == 0 || (n >= 13 && n <= 100)) continue;
                expected[MeluProtocol.scenario(split.userGroup(u), newItems).ordinal()][n < 13 ? 0 : 1]++;
            }
        }
        for (Scenario s : Scenario.values())
            assertEquals(new ColdStartSplit.Dropped(expected[s.ordinal()][0], expected[s.ordinal()][1]), split.dropped(s), s.label());
        assertTrue(split.dropped(Scenario.ITEM_COLD).tooFew() > 0);
    }

    @Test
    void sameSeedSameSplitOtherSeedOtherSplit() {
        ColdStartSplit again = MeluProtocol.withSeed(11).split(data), other = MeluProtocol.withSeed(12).split(data);
        boolean differs = false;
        for (int k = 0; k < data.interactions().size(); k++) {
            assertEquals(split.scenarioOf(k), again.scenarioOf(k));
            assertEquals(split.roleOf(k), again.roleOf(k));
            differs |= split.scenarioOf(k) != other.scenarioOf(k) || split.roleOf(k) != other.roleOf(k);
        }
        assertTrue(differs);
        for (Scenario s : Scenario.values()) assertEquals(split.tasks(s), again.tasks(s));
    }

    @Test
    void aYearCutoffMakesEveryItemFromThatYearNew() {
        ColdStartSplit s = MeluProtocol.withSeed(1).withItemCutoff(MeluProtocol.ItemCutoff.fromYear(2020)).split(data);
        for (int i = 0; i < data.numItems(); i++) {
            if (data.interactions().countOfItem(i) == 0) continue;
            assertEquals(Releases.yearOf(data.releaseTime(i)) >= 2020, s.itemGroup(i) == ColdStartSplit.ItemGroup.NEW);
        }
        assertTrue(s.description().contains("released>=2020-01-01"), s.description());
    }

    @Test
    void givenNCutsSupportToExactlyNNestedAndCountsDrops() {
        ColdStartSplit.GivenN prev = null;
        for (int n : ColdStartSplit.GIVEN_N) {
            ColdStartSplit.GivenN g = split.givenN(n, 3);
            assertEquals(g.tasks(), split.givenN(n, 3).tasks(), "deterministic");
            for (Scenario s : Scenario.values()) {
                long tooSmall = split.tasks(s).stream().filter(t -> t.supportSize() < n).count();
                assertEquals(tooSmall, (long) g.dropped().get(s));
                assertEquals(split.tasks(s).size() - tooSmall, g.tasks(s).size());
                for (UserTask t : g.tasks(s)) {
                    assertEquals(n, t.supportSize());
                    UserTask full = split.tasks(s).stream().filter(f -> f.user() == t.user()).findFirst().orElseThrow();
                    assertArrayEquals(full.query(), t.query());
                    assertTrue(Arrays.stream(t.support()).allMatch(k -> Arrays.stream(full.support()).anyMatch(j -> j == k)));
                    if (prev != null) {
                        UserTask smaller = prev.tasks(s).stream().filter(f -> f.user() == t.user()).findFirst().orElseThrow();
                        assertTrue(Arrays.stream(smaller.support()).allMatch(k -> Arrays.stream(t.support()).anyMatch(j -> j == k)),
                                "the given-" + prev.n() + " support is inside the given-" + n + " one");
                    }
                }
            }
            prev = g;
        }
        assertTrue(split.givenN(20, 3).dropped().get(Scenario.USER_COLD) > 0, "some tasks have fewer than 20 support ratings");
    }

    @Test
    void validationCarvesADeterministicShareOfTrainTasks() {
        List<UserTask> train = split.tasks(Scenario.TRAIN);
        ColdStartSplit.TrainValidation tv = split.validation(0.1, 5);
        assertEquals(Math.round(0.1 * train.size()), tv.validation().size());
        assertEquals(train.size(), tv.train().size() + tv.validation().size());
        Set<UserTask> all = new HashSet<>(tv.train());
        all.addAll(tv.validation());
        assertEquals(new HashSet<>(train), all);
        assertTrue(disjoint(new HashSet<>(tv.train().stream().map(UserTask::user).toList()), new HashSet<>(tv.validation().stream().map(UserTask::user).toList())));
        assertEquals(tv, split.validation(0.1, 5));
        assertNotEquals(tv.validation(), split.validationTasks(0.1, 6));
        assertEquals(0, split.validation(0, 5).validation().size());
        assertThrows(IllegalArgumentException.class, () -> split.validation(1.0, 5));
    }


    @Test
    void validationFoldsScoreEachValidationUserOnDisjointQueriesOfItsOwnRatings() {
        ColdStartSplit.TrainValidation tv = split.validation(0.1, 5);
        List<UserTask> folds = tv.validationFolds(5, 5);
        assertEquals(tv.validation(), tv.validationFolds(1, 5), "one fold: the split's own tasks");
        assertEquals(folds, tv.validationFolds(5, 5), "deterministic");
        assertNotEquals(folds, tv.validationFolds(5, 6), "the seed deals the ratings");
        int extra = 0;
        for (UserTask t : tv.validation()) {
            List<UserTask> mine = folds.stream().filter(f -> f.user() == t.user()).toList();
            assertEquals(t, mine.get(0), "the split's task comes first");
            int fit = 0;
            while (fit < 4 && (fit + 1) * t.querySize() < t.size()) fit++;
            assertEquals(1 + fit, mine.size(), "user " + t.user() + " with " + t.size() + " ratings, query " + t.querySize());
            extra += fit;
            Set<Integer> own = new HashSet<>(Arrays.stream(t.all()).boxed().toList()), seenInQueries = new HashSet<>();
            for (UserTask f : mine.subList(1, mine.size())) {
                assertEquals(t.querySize(), f.querySize());
                assertEquals(t.size(), f.size());
                Set<Integer> both = new HashSet<>(Arrays.stream(f.all()).boxed().toList());
                assertEquals(own, both, "support and query are the user's ratings, each once");
                for (int k : f.query()) assertTrue(seenInQueries.add(k), "the re-dealt queries are disjoint");
            }
        }
        assertTrue(extra > tv.validation().size(), "users have room for more queries: " + extra);
        assertThrows(IllegalArgumentException.class, () -> tv.validationFolds(0, 5));
    }
    @Test
    void undatedItemsAreSplitAtRandomAndTheDescriptionSaysSo() {
        Dataset.Builder b = new Dataset.Builder("tiny", DatasetFormat.GENERIC);
        for (int u = 0; u < 10; u++) b.user("u" + u);
        for (int i = 0; i < 40; i++) b.item("i" + i);
        for (int i = 0; i < 20; i++) b.release(i, Releases.startOfYear(1990 + i), ReleaseSource.DECLARED);
        for (int u = 0; u < 10; u++) for (int i = 0; i < 40; i++) b.interaction(u, i, 1 + (u + i) % 5, Interactions.NO_TIMESTAMP);
        Dataset d = b.build();
        ColdStartSplit s = MeluProtocol.withSeed(1).split(d);
        assertTrue(s.description().contains("20 undated items at random"), s.description());
        int newUndated = 0;
        for (int i = 20; i < 40; i++) if (s.itemGroup(i) == ColdStartSplit.ItemGroup.NEW) newUndated++;
        assertTrue(newUndated > 0 && newUndated < 20, "about 20% of the undated items are new: " + newUndated);
        // Dated items: the newest 20% of the 20 dated ones (years 2006–2009) are new.
        for (int i = 0; i < 20; i++) assertEquals(i >= 16, s.itemGroup(i) == ColdStartSplit.ItemGroup.NEW, "item " + i);
    }

    @Test
    void rejectsInconsistentParameters() {
        assertThrows(IllegalArgumentException.class, () -> new MeluProtocol(1, 0.2, 0.1, new MeluProtocol.ItemCutoff.NewestFraction(0.2), 10, 100, 10));
        assertThrows(IllegalArgumentException.class, () -> new MeluProtocol(1, 1.2, 0.1, new MeluProtocol.ItemCutoff.NewestFraction(0.2), 13, 100, 10));
        assertThrows(IllegalArgumentException.class, () -> new MeluProtocol.ItemCutoff.NewestFraction(1.0));
        assertThrows(IllegalArgumentException.class, () -> Scenario.parse("cold"));
        assertEquals(Scenario.USER_ITEM_COLD, Scenario.parse("user-item-cold"));
    }
}
