package io.metarec.rec.split;

import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.Interactions;
import io.metarec.rec.data.Seeds;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A cold-start split of one dataset: for every interaction its {@link Scenario} (or none: not
 * used) and its {@link Role} in its user's task; the resulting {@link UserTask}s per scenario; the
 * user and item partitions; and the sizes. Computed by {@link MeluProtocol#split} or read from a
 * split file by {@link SplitFile#read}. Immutable.
 */
public final class ColdStartSplit {

    /** Which side of the user split a user is on. */
    public enum UserGroup {
        /** An existing user whose existing-item task is meta-training data. */
        EXISTING,
        /** An existing user held out: their existing-item task is a {@link Scenario#WARM} task. */
        HELD_OUT,
        /** A new user (user-cold scenarios). */
        NEW,
        /** A user with no interactions in the split. */
        UNASSIGNED
    }

    /** Which side of the item split an item is on. */
    public enum ItemGroup { EXISTING, NEW, UNASSIGNED }

    /** Tasks the protocol dropped for having too few or too many ratings in a partition. */
    public record Dropped(int tooFew, int tooMany) {
        public static final Dropped NONE = new Dropped(0, 0);
    }

    /** The size of one scenario: distinct users, tasks, interactions (= support + query), and dropped tasks. */
    public record Size(Scenario scenario, int users, int tasks, int interactions, int support, int query, Dropped dropped) {}

    private final Dataset dataset;
    private final Scenario[] scenarios;
    private final Role[] roles;
    private final UserGroup[] userGroups;
    private final ItemGroup[] itemGroups;
    private final EnumMap<Scenario, List<UserTask>> tasks = new EnumMap<>(Scenario.class);
    private final EnumMap<Scenario, Dropped> dropped;
    private final String description;

    ColdStartSplit(Dataset dataset, Scenario[] scenarios, Role[] roles, UserGroup[] userGroups, ItemGroup[] itemGroups,
                   Map<Scenario, Dropped> dropped, String description) {
        int n = dataset.interactions().size();
        if (scenarios.length != n || roles.length != n) throw new IllegalArgumentException("split arrays do not match the dataset's " + n + " interactions");
        this.dataset = dataset;
        this.scenarios = scenarios.clone();
        this.roles = roles.clone();
        this.userGroups = userGroups.clone();
        this.itemGroups = itemGroups.clone();
        this.dropped = new EnumMap<>(Scenario.class);
        for (Scenario s : Scenario.values()) this.dropped.put(s, dropped.getOrDefault(s, Dropped.NONE));
        this.description = description;
        buildTasks();
    }

    private void buildTasks() {
        Interactions x = dataset.interactions();
        for (Scenario s : Scenario.values()) tasks.put(s, new ArrayList<>());
        int[][] support = new int[Scenario.values().length][], query = new int[Scenario.values().length][];
        int[] ns = new int[Scenario.values().length], nq = new int[Scenario.values().length];
        for (int u = 0; u < dataset.numUsers(); u++) {
            int[] mine = x.ofUser(u);
            Arrays.fill(ns, 0);
            Arrays.fill(nq, 0);
            for (int s = 0; s < ns.length; s++) {
                support[s] = new int[mine.length];
                query[s] = new int[mine.length];
            }
            for (int k : mine) {
                Scenario s = scenarios[k];
                if (s == null) continue;
                int o = s.ordinal();
                if (roles[k] == Role.QUERY) query[o][nq[o]++] = k;
                else support[o][ns[o]++] = k;
            }
            for (Scenario s : Scenario.values()) {
                int o = s.ordinal();
                if (ns[o] + nq[o] > 0) tasks.get(s).add(new UserTask(u, s, Arrays.copyOf(support[o], ns[o]), Arrays.copyOf(query[o], nq[o])));
            }
        }
        tasks.replaceAll((s, list) -> Collections.unmodifiableList(list));
    }

    public Dataset dataset() { return dataset; }

    /** How the split was made (protocol and parameters, or the file it was read from). */
    public String description() { return description; }

    /** The scenario of interaction k, or null when the split does not use it. */
    public Scenario scenarioOf(int k) { return scenarios[k]; }

    /** The role of interaction k in its task, or null when unused. */
    public Role roleOf(int k) { return roles[k]; }

    public UserGroup userGroup(int u) { return userGroups[u]; }

    public ItemGroup itemGroup(int i) { return itemGroups[i]; }

    /** The tasks of one scenario, one per user, ordered by user index. */
    public List<UserTask> tasks(Scenario s) { return tasks.get(s); }

    public Dropped dropped(Scenario s) { return dropped.get(s); }

    public Size size(Scenario s) {
        int support = 0, query = 0;
        for (UserTask t : tasks.get(s)) {
            support += t.supportSize();
            query += t.querySize();
        }
        List<UserTask> list = tasks.get(s);
        int users = (int) list.stream().mapToInt(UserTask::user).distinct().count();
        return new Size(s, users, list.size(), support + query, support, query, dropped.get(s));
    }

    /** Sizes of all scenarios, in {@link Scenario} order. */
    public List<Size> sizes() {
        List<Size> out = new ArrayList<>();
        for (Scenario s : Scenario.values()) out.add(size(s));
        return out;
    }

    public int countUsers(UserGroup g) {
        int c = 0;
        for (UserGroup x : userGroups) if (x == g) c++;
        return c;
    }

    public int countItems(ItemGroup g) {
        int c = 0;
        for (ItemGroup x : itemGroups) if (x == g) c++;
        return c;
    }

    /**
     * The "given-n" variant: every task's support cut to exactly {@code n} interactions, drawn at
     * random (seeded per user and scenario, so for one seed the support for n = 3 contains the one
     * for n = 1, and so on); tasks with fewer than n support interactions are dropped and counted.
     * Queries are unchanged.
     */
    public GivenN givenN(int n, long seed) {
        if (n < 0) throw new IllegalArgumentException("given-n needs n ≥ 0, got " + n);
        EnumMap<Scenario, List<UserTask>> out = new EnumMap<>(Scenario.class);
        EnumMap<Scenario, Integer> lost = new EnumMap<>(Scenario.class);
        for (Scenario s : Scenario.values()) {
            List<UserTask> kept = new ArrayList<>();
            int drop = 0;
            for (UserTask t : tasks.get(s)) {
                if (t.supportSize() < n) {
                    drop++;
                    continue;
                }
                int[] sup = t.support();
                io.metarec.util.Shuffle.inPlace(sup, new SplittableRandom(Seeds.derive(seed, 0x617665, t.user(), s.ordinal())));
                int[] first = Arrays.copyOf(sup, n);
                Arrays.sort(first);
                kept.add(new UserTask(t.user(), s, first, t.query()));
            }
            out.put(s, Collections.unmodifiableList(kept));
            lost.put(s, drop);
        }
        return new GivenN(n, Collections.unmodifiableMap(out), Collections.unmodifiableMap(lost));
    }

    /** Tasks of the given-n sweep for one n, and how many tasks per scenario had too small a support. */
    public record GivenN(int n, Map<Scenario, List<UserTask>> tasks, Map<Scenario, Integer> dropped) {
        public List<UserTask> tasks(Scenario s) { return tasks.get(s); }
    }

    /** The given-n support sizes of the MeLU-style sweep. */
    public static final List<Integer> GIVEN_N = List.of(1, 3, 5, 10, 20);

    /**
     * Carves a validation set out of the meta-training tasks for early stopping: a seeded random
     * {@code fraction} of the {@link Scenario#TRAIN} tasks' users (at least one when there are two or
     * more tasks and fraction &gt; 0). Both lists keep user order; together they are exactly the train tasks.
     */
    public TrainValidation validation(double fraction, long seed) {
        if (!(fraction >= 0 && fraction < 1)) throw new IllegalArgumentException("validation fraction must be in [0, 1), got " + fraction);
        List<UserTask> all = tasks.get(Scenario.TRAIN);
        int n = all.size(), k = (int) Math.round(fraction * n);
        if (fraction > 0 && k == 0 && n >= 2) k = 1;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        io.metarec.util.Shuffle.inPlace(order, new SplittableRandom(Seeds.derive(seed, 0x76616C)));
        boolean[] val = new boolean[n];
        for (int i = 0; i < k; i++) val[order[i]] = true;
        List<UserTask> train = new ArrayList<>(n - k), validation = new ArrayList<>(k);
        for (int i = 0; i < n; i++) (val[i] ? validation : train).add(all.get(i));
        return new TrainValidation(List.copyOf(train), List.copyOf(validation));
    }

    /** Meta-training tasks and the validation tasks carved from them. */
    public record TrainValidation(List<UserTask> train, List<UserTask> validation) {
        /**
         * The tasks early stopping scores: each validation user's split task, then up to
         * {@code folds − 1} more of the same user, their ratings re-dealt — in a random order
         * (seeded by {@code seed} and the user), the f-th block of as many ratings as the split's
         * query is the query (f = 0, 1, …) and the rest the support — while a block fits and leaves
         * a support. Every query is the split's size, so a user with more ratings is scored on more
         * of them. Why: a validation set of a few dozen users (ML-100K: 32) scored on one query of
         * 10 ratings each is too noisy to compare epochs; see {@link io.metarec.rec.train.RecTrainer}.
         */
        public List<UserTask> validationFolds(int folds, long seed) {
            if (folds < 1) throw new IllegalArgumentException("validation folds must be at least 1, got " + folds);
            List<UserTask> out = new ArrayList<>();
            for (UserTask t : validation) {
                out.add(t);
                int[] all = t.all();
                int q = t.querySize();
                if (q == 0) continue;
                int[] order = io.metarec.util.Shuffle.permutation(all.length, new SplittableRandom(Seeds.derive(seed, t.user(), 0x666F6C64)));
                for (int f = 0; f < folds - 1 && (f + 1) * q < all.length; f++) {
                    int[] query = new int[q], support = new int[all.length - q];
                    for (int i = 0, a = 0, b = 0; i < all.length; i++) {
                        if (i >= f * q && i < (f + 1) * q) query[a++] = all[order[i]];
                        else support[b++] = all[order[i]];
                    }
                    out.add(new UserTask(t.user(), t.scenario(), support, query));
                }
            }
            return List.copyOf(out);
        }
    }

    /** The validation tasks of {@link #validation(double, long)}. */
    public List<UserTask> validationTasks(double fraction, long seed) {
        return validation(fraction, seed).validation();
    }

    /**
     * Breaches of the protocol's invariants, as readable lines (empty when none): a user in two user
     * partitions (e.g. training and user-cold), an item both existing and new, a task with an empty
     * query. A computed split has none; a split read from a file is taken as it is, and this says
     * where it departs from the protocol.
     */
    public List<String> invariantViolations() {
        List<String> out = new ArrayList<>();
        // user partition by scenario: train/item-cold → existing or held-out; warm → held-out; *user-cold → new
        int nu = dataset.numUsers();
        int[] mask = new int[nu]; // bit 0: train, 1: warm, 2: new-user scenario
        for (Scenario s : Scenario.values())
            for (UserTask t : tasks.get(s))
                mask[t.user()] |= s == Scenario.TRAIN ? 1 : s == Scenario.WARM ? 2 : s.newUsers() ? 4 : 0;
        int[] itemMask = new int[dataset.numItems()]; // bit 0: existing-item scenario, 1: new-item scenario
        Interactions x = dataset.interactions();
        for (int k = 0; k < scenarios.length; k++)
            if (scenarios[k] != null) itemMask[x.item(k)] |= scenarios[k].newItems() ? 2 : 1;
        int shown = 0, users = 0, items = 0;
        for (int u = 0; u < nu; u++) {
            int m = mask[u];
            if (Integer.bitCount(m) > 1) {
                users++;
                if (shown++ < 5) out.add("user " + dataset.userId(u) + " is in " + partitions(m));
            }
        }
        for (int i = 0; i < itemMask.length; i++) {
            if (itemMask[i] == 3) {
                items++;
                if (shown++ < 10) out.add("item " + dataset.itemId(i) + " is both existing (train/warm/user-cold) and new (item-cold/user-item-cold)");
            }
        }
        if (users > 0) out.add(users + " user(s) in more than one user partition");
        if (items > 0) out.add(items + " item(s) both existing and new");
        for (Scenario s : Scenario.values()) {
            long empty = tasks.get(s).stream().filter(t -> t.querySize() == 0).count();
            if (empty > 0) out.add(empty + " " + s.label() + " task(s) with an empty query");
        }
        return out;
    }

    private static String partitions(int m) {
        List<String> p = new ArrayList<>();
        if ((m & 1) != 0) p.add("train");
        if ((m & 2) != 0) p.add("warm");
        if ((m & 4) != 0) p.add("user-cold/user-item-cold");
        return String.join(" and ", p);
    }
}
