package io.metarec.rec.split;

import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.Interactions;
import io.metarec.rec.data.Releases;
import io.metarec.rec.data.Seeds;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The MeLU cold-start protocol (Lee et al., KDD 2019), seeded:
 * <ol>
 *   <li><b>Items</b> are existing or new by release time ({@link Dataset#releaseTime}): by default the
 *       newest {@value #DEFAULT_NEW_ITEMS_PERCENT}% of the rated items are new — the cutoff is the
 *       release time at that quantile and every item released at or after it is new, so items
 *       released together stay together (on ML-1M, with title years, this makes 1998–2000 the new
 *       items, MeLU's division); {@link ItemCutoff.FromTime} sets the cutoff explicitly
 *       (e.g. {@code --new-items-from 1998}). Items without any release time are assigned at random
 *       with the same probability (seeded).</li>
 *   <li><b>Users</b> with interactions are shuffled (seeded); the first {@code newUsers} share are new,
 *       the rest existing; of those, a {@code heldOut} share (default 10%) is held out for {@code warm}.</li>
 *   <li><b>Tasks</b>: a user's ratings on one item partition form a task, kept only if it has
 *       {@code minRatings}–{@code maxRatings} ratings (default 13–100; dropped tasks are counted).
 *       Existing × existing → {@code train} (held-out users → {@code warm}); new × existing →
 *       {@code user-cold}; existing (incl. held-out) × new → {@code item-cold}; new × new →
 *       {@code user-item-cold}.</li>
 *   <li><b>Roles</b>: per task, {@code querySize} (10) random ratings are the query (seeded per user
 *       and scenario), the rest the support (so 3–90 with the defaults).</li>
 * </ol>
 */
public record MeluProtocol(long seed, double newUsers, double heldOut, ItemCutoff itemCutoff, int minRatings, int maxRatings, int querySize) {

    public static final long DEFAULT_SEED = 42;
    public static final int DEFAULT_NEW_ITEMS_PERCENT = 20;

    /** How items are divided into existing and new. */
    public sealed interface ItemCutoff {
        /** The newest {@code fraction} of the rated items (by release time quantile) are new. */
        record NewestFraction(double fraction) implements ItemCutoff {
            public NewestFraction {
                if (!(fraction >= 0 && fraction < 1)) throw new IllegalArgumentException("new-item fraction must be in [0, 1), got " + fraction);
            }
        }

        /** Items released at or after {@code time} (Unix seconds) are new. */
        record FromTime(long time) implements ItemCutoff {}

        /** Items released in {@code year} or later are new. */
        static ItemCutoff fromYear(int year) {
            return new FromTime(Releases.startOfYear(year));
        }
    }

    public MeluProtocol {
        if (!(newUsers >= 0 && newUsers < 1)) throw new IllegalArgumentException("new-user fraction must be in [0, 1), got " + newUsers);
        if (!(heldOut >= 0 && heldOut < 1)) throw new IllegalArgumentException("held-out (warm) fraction must be in [0, 1), got " + heldOut);
        if (itemCutoff == null) throw new IllegalArgumentException("an item cutoff is required");
        if (querySize < 1) throw new IllegalArgumentException("query size must be ≥ 1, got " + querySize);
        if (minRatings <= querySize) throw new IllegalArgumentException("minimum task size " + minRatings + " must exceed the query size " + querySize);
        if (maxRatings < minRatings) throw new IllegalArgumentException("maximum task size " + maxRatings + " is below the minimum " + minRatings);
    }

    /** MeLU's settings: 20% new users, 10% of existing users held out, newest 20% items new, tasks 13–100, query 10. */
    public static MeluProtocol defaults() {
        return withSeed(DEFAULT_SEED);
    }

    public static MeluProtocol withSeed(long seed) {
        return new MeluProtocol(seed, 0.2, 0.1, new ItemCutoff.NewestFraction(DEFAULT_NEW_ITEMS_PERCENT / 100.0), 13, 100, 10);
    }

    public MeluProtocol withItemCutoff(ItemCutoff c) {
        return new MeluProtocol(seed, newUsers, heldOut, c, minRatings, maxRatings, querySize);
    }

    /** Splits {@code d}. */
    public ColdStartSplit split(Dataset d) {
        Interactions x = d.interactions();
        int nu = d.numUsers(), ni = d.numItems(), n = x.size();

        // Items: existing or new.
        ColdStartSplit.ItemGroup[] items = new ColdStartSplit.ItemGroup[ni];
        long cutoff = cutoffTime(d);
        double randomNew = itemCutoff instanceof ItemCutoff.NewestFraction f ? f.fraction() : 0;
        int undated = 0;
        for (int i = 0; i < ni; i++) {
            if (x.countOfItem(i) == 0) items[i] = ColdStartSplit.ItemGroup.UNASSIGNED;
            else if (d.releaseTime(i) == Dataset.NO_TIME) {
                undated++;
                boolean isNew = new SplittableRandom(Seeds.derive(seed, 0x6974656D, i)).nextDouble() < randomNew;
                items[i] = isNew ? ColdStartSplit.ItemGroup.NEW : ColdStartSplit.ItemGroup.EXISTING;
            } else items[i] = d.releaseTime(i) >= cutoff ? ColdStartSplit.ItemGroup.NEW : ColdStartSplit.ItemGroup.EXISTING;
        }

        // Users: new / existing / held out.
        ColdStartSplit.UserGroup[] users = new ColdStartSplit.UserGroup[nu];
        Arrays.fill(users, ColdStartSplit.UserGroup.UNASSIGNED);
        int active = 0;
        for (int u = 0; u < nu; u++) if (x.countOfUser(u) > 0) active++;
        int[] order = new int[active];
        for (int u = 0, k = 0; u < nu; u++) if (x.countOfUser(u) > 0) order[k++] = u;
        io.metarec.util.Shuffle.inPlace(order, new SplittableRandom(Seeds.derive(seed, 0x75736572)));
        int numNew = (int) Math.round(newUsers * active), numHeld = (int) Math.round(heldOut * (active - numNew));
        for (int k = 0; k < active; k++)
            users[order[k]] = k < numNew ? ColdStartSplit.UserGroup.NEW
                    : k < numNew + numHeld ? ColdStartSplit.UserGroup.HELD_OUT : ColdStartSplit.UserGroup.EXISTING;

        // Tasks and roles.
        Scenario[] scen = new Scenario[n];
        Role[] roles = new Role[n];
        EnumMap<Scenario, int[]> dropped = new EnumMap<>(Scenario.class);
        for (Scenario s : Scenario.values()) dropped.put(s, new int[2]);
        int[] part = new int[0];
        for (int u = 0; u < nu; u++) {
            if (users[u] == ColdStartSplit.UserGroup.UNASSIGNED) continue;
            int[] mine = x.ofUser(u);
            if (part.length < mine.length) part = new int[mine.length];
            for (boolean newItems : new boolean[] {false, true}) {
                int c = 0;
                for (int k : mine) if ((items[x.item(k)] == ColdStartSplit.ItemGroup.NEW) == newItems) part[c++] = k;
                if (c == 0) continue;
                Scenario s = scenario(users[u], newItems);
                if (c < minRatings || c > maxRatings) {
                    dropped.get(s)[c < minRatings ? 0 : 1]++;
                    continue;
                }
                int[] task = Arrays.copyOf(part, c);
                assignRoles(task, roles, querySize, new SplittableRandom(Seeds.derive(seed, 0x7175, u, s.ordinal())));
                for (int k : task) scen[k] = s;
            }
        }
        EnumMap<Scenario, ColdStartSplit.Dropped> drops = new EnumMap<>(Scenario.class);
        dropped.forEach((s, a) -> drops.put(s, new ColdStartSplit.Dropped(a[0], a[1])));
        String desc = String.format(Locale.ROOT, "protocol=melu seed=%d new-users=%s held-out=%s new-items=%s%s task-ratings=%d..%d query=%d",
                seed, newUsers, heldOut, cutoffText(cutoff), undated > 0 ? " (" + undated + " undated items at random)" : "",
                minRatings, maxRatings, querySize);
        return new ColdStartSplit(d, scen, roles, users, items, drops, desc);
    }

    /** The release time from which items are new (Long.MAX_VALUE: none). */
    long cutoffTime(Dataset d) {
        if (itemCutoff instanceof ItemCutoff.FromTime t) return t.time();
        double f = ((ItemCutoff.NewestFraction) itemCutoff).fraction();
        Interactions x = d.interactions();
        long[] times = new long[d.numItems()];
        int c = 0;
        for (int i = 0; i < d.numItems(); i++) if (x.countOfItem(i) > 0 && d.releaseTime(i) != Dataset.NO_TIME) times[c++] = d.releaseTime(i);
        if (c == 0 || f == 0) return Long.MAX_VALUE;
        Arrays.sort(times, 0, c);
        int k = (int) Math.floor((1 - f) * c);
        return k >= c ? Long.MAX_VALUE : times[k];
    }

    private String cutoffText(long cutoff) {
        String from = cutoff == Long.MAX_VALUE ? "none" : "released>=" + Dataset.formatTime(cutoff).replace("T00:00:00Z", "");
        return itemCutoff instanceof ItemCutoff.NewestFraction f ? "newest-" + f.fraction() + "(" + from + ")" : from;
    }

    static Scenario scenario(ColdStartSplit.UserGroup g, boolean newItems) {
        return switch (g) {
            case NEW -> newItems ? Scenario.USER_ITEM_COLD : Scenario.USER_COLD;
            case HELD_OUT -> newItems ? Scenario.ITEM_COLD : Scenario.WARM;
            case EXISTING -> newItems ? Scenario.ITEM_COLD : Scenario.TRAIN;
            case UNASSIGNED -> throw new IllegalStateException("unassigned user");
        };
    }

    /** Marks min(querySize, task.length) random interactions of the task as query, the rest support. */
    static void assignRoles(int[] task, Role[] roles, int querySize, SplittableRandom r) {
        int[] p = task.clone();
        io.metarec.util.Shuffle.inPlace(p, r);
        for (int j = 0; j < p.length; j++) roles[p[j]] = j < querySize ? Role.QUERY : Role.SUPPORT;
    }
}
