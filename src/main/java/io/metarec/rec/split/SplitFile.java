package io.metarec.rec.split;

import io.metarec.rec.data.CsvFile;
import io.metarec.rec.data.DataFormatException;
import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.GenericLayout;
import io.metarec.rec.data.Interactions;
import io.metarec.rec.data.Seeds;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The split file ({@code split.csv}, UTF-8): lines starting with {@code #} are comments, then the
 * header {@code user,item,scenario[,role]} (any column order) and one row per interaction used:
 * <pre>
 *   user,item,scenario,role
 *   1,1193,train,support
 *   1,661,train,query
 *   6040,3578,user-item-cold,query
 * </pre>
 * {@code scenario} is train, warm, user-cold, item-cold or user-item-cold; {@code role} is support
 * or query. Interactions the file does not list are unused. Rows are matched to interactions by
 * (user, item); a pair rated several times is matched occurrence by occurrence in file order. Without
 * a role column, each task's query is {@code querySize} random ratings (seeded), the rest support.
 * A split read from a file is taken exactly as it is (no 13–100 filter); see
 * {@link ColdStartSplit#invariantViolations()} for where it departs from the protocol.
 */
public final class SplitFile {
    private SplitFile() {}

    /** Writes {@code split} to {@code file} atomically (temporary file in the same directory, then rename). */
    public static void write(ColdStartSplit split, Path file) throws IOException {
        Dataset d = split.dataset();
        Interactions x = d.interactions();
        io.metarec.util.AtomicFiles.write(file, tmp -> {
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                w.write("# metarec split file: " + split.description() + "\n");
                w.write("# dataset: " + d.name() + " (" + d.format().label() + "), " + d.numUsers() + " users, " + d.numItems() + " items, "
                        + x.size() + " interactions\n");
                w.write("user,item,scenario,role\n");
                for (int k = 0; k < x.size(); k++) {
                    Scenario s = split.scenarioOf(k);
                    if (s == null) continue;
                    w.write(CsvFile.line(List.of(d.userId(x.user(k)), d.itemId(x.item(k)), s.label(), split.roleOf(k).label())));
                    w.write('\n');
                }
            }
        });
    }

    /** Reads a split file for dataset {@code d}; {@code seed} and {@code querySize} choose queries when the file has no role column. */
    public static ColdStartSplit read(Path file, Dataset d, long seed, int querySize) throws IOException {
        Interactions x = d.interactions();
        int n = x.size();
        // (user, item) → its interactions in order, for occurrence-by-occurrence matching.
        Map<Long, int[]> byPair = new HashMap<>(n * 2);
        for (int k = 0; k < n; k++) {
            long key = (long) x.user(k) * d.numItems() + x.item(k);
            int[] old = byPair.get(key);
            if (old == null) byPair.put(key, new int[] {k});
            else {
                int[] grown = Arrays.copyOf(old, old.length + 1);
                grown[old.length] = k;
                byPair.put(key, grown);
            }
        }
        Map<Long, Integer> used = new HashMap<>();
        Scenario[] scen = new Scenario[n];
        Role[] roles = new Role[n];
        boolean hasRoles;
        try (CsvFile f = CsvFile.open(file, "the split: user,item,scenario[,role]", true)) {
            List<String> header = f.next();
            if (header == null) throw new DataFormatException(file, "empty file (expected the header user,item,scenario[,role])");
            int cu = header.indexOf("user"), ci = header.indexOf("item"), cs = header.indexOf("scenario"), cr = header.indexOf("role");
            for (String h : header)
                if (!List.of("user", "item", "scenario", "role").contains(h) || header.indexOf(h) != header.lastIndexOf(h) || cu < 0 || ci < 0 || cs < 0)
                    throw f.error("the header must name the columns user, item, scenario and optionally role, each once" + f.separatorHint(header));
            hasRoles = cr >= 0;
            int rows = 0;
            List<String> row;
            while ((row = f.next()) != null) {
                if (row.size() != header.size())
                    throw f.error("expected " + header.size() + " comma-separated fields (" + String.join(",", header) + "), got " + row.size() + f.separatorHint(row));
                int u = d.userIndex(row.get(cu));
                if (u < 0) throw f.error("unknown user " + quote(row.get(cu)) + " (not in the dataset)");
                int i = d.itemIndex(row.get(ci));
                if (i < 0) throw f.error("unknown item " + quote(row.get(ci)) + " (not in the dataset)");
                long key = (long) u * d.numItems() + i;
                int[] ks = byPair.get(key);
                if (ks == null) throw f.error("user " + quote(row.get(cu)) + " has no interaction with item " + quote(row.get(ci)) + " in the dataset");
                int occurrence = used.merge(key, 1, Integer::sum) - 1;
                if (occurrence >= ks.length)
                    throw f.error("user " + quote(row.get(cu)) + " rated item " + quote(row.get(ci)) + " " + ks.length + " time(s), but the split lists the pair more often");
                int k = ks[occurrence];
                try {
                    scen[k] = Scenario.parse(row.get(cs));
                    if (hasRoles) roles[k] = Role.parse(row.get(cr));
                } catch (IllegalArgumentException e) {
                    throw f.error(e.getMessage());
                }
                rows++;
            }
            if (rows == 0) throw new DataFormatException(file, "has a header but no rows");
        }
        if (!hasRoles) chooseQueries(d, scen, roles, seed, querySize);
        ColdStartSplit split = fromAssignment(d, scen, roles, "file=" + file + (hasRoles ? "" : " (queries chosen with seed=" + seed + " query=" + querySize + ")"));
        requireUsableTasks(file, d, split, hasRoles, querySize);
        return split;
    }

    /**
     * Every task must have a query to score, and a training task a support to adapt on too; a user
     * in a test scenario without support ratings is a new user with nothing rated yet, scored
     * unadapted. Without a role column the queries are each task's random {@code querySize}
     * ratings, so a task with no more ratings than that has no support left.
     */
    private static void requireUsableTasks(Path file, Dataset d, ColdStartSplit split, boolean hasRoles, int querySize) {
        for (Scenario s : Scenario.values())
            for (UserTask t : split.tasks(s)) {
                if (t.querySize() == 0)
                    throw new DataFormatException(file, who(d, s, t) + ": a task needs at least one query rating to be scored" + (hasRoles ? " (role column)" : ""));
                if (s == Scenario.TRAIN && t.supportSize() == 0)
                    throw new DataFormatException(file, who(d, s, t) + ": a training task needs at least one support rating to adapt on"
                            + (hasRoles ? " (role column)" : " (without a role column each task's query is " + querySize + " random ratings, so it needs more)"));
            }
    }

    private static String who(Dataset d, Scenario s, UserTask t) {
        return "user " + quote(d.userId(t.user())) + " in " + s.label() + " has " + t.supportSize() + " support and " + t.querySize() + " query ratings";
    }

    /** The split file in {@code dir} when there is one, otherwise the protocol's split (not written). */
    public static ColdStartSplit loadOrCompute(Path dir, Dataset d, MeluProtocol protocol) throws IOException {
        Path file = dir.resolve(GenericLayout.SPLIT);
        return Files.exists(file) ? read(file, d, protocol.seed(), protocol.querySize()) : protocol.split(d);
    }

    private static void chooseQueries(Dataset d, Scenario[] scen, Role[] roles, long seed, int querySize) {
        Interactions x = d.interactions();
        for (int u = 0; u < d.numUsers(); u++) {
            int[] mine = x.ofUser(u);
            EnumMap<Scenario, List<Integer>> byScenario = new EnumMap<>(Scenario.class);
            for (int k : mine) if (scen[k] != null) byScenario.computeIfAbsent(scen[k], s -> new ArrayList<>()).add(k);
            for (var e : byScenario.entrySet()) {
                int[] task = e.getValue().stream().mapToInt(Integer::intValue).toArray();
                MeluProtocol.assignRoles(task, roles, querySize, new SplittableRandom(Seeds.derive(seed, 0x7175, u, e.getKey().ordinal())));
            }
        }
    }

    /** A split from explicit assignments; user and item partitions follow from the scenarios. */
    static ColdStartSplit fromAssignment(Dataset d, Scenario[] scen, Role[] roles, String description) {
        Interactions x = d.interactions();
        ColdStartSplit.UserGroup[] users = new ColdStartSplit.UserGroup[d.numUsers()];
        ColdStartSplit.ItemGroup[] items = new ColdStartSplit.ItemGroup[d.numItems()];
        Arrays.fill(users, ColdStartSplit.UserGroup.UNASSIGNED);
        Arrays.fill(items, ColdStartSplit.ItemGroup.UNASSIGNED);
        for (int k = 0; k < scen.length; k++) {
            Scenario s = scen[k];
            if (s == null) continue;
            int u = x.user(k), i = x.item(k);
            // The strongest evidence wins: new-user scenarios, then warm, then existing.
            ColdStartSplit.UserGroup g = s.newUsers() ? ColdStartSplit.UserGroup.NEW
                    : s == Scenario.WARM ? ColdStartSplit.UserGroup.HELD_OUT : ColdStartSplit.UserGroup.EXISTING;
            if (users[u] == ColdStartSplit.UserGroup.UNASSIGNED || g.ordinal() > users[u].ordinal()) users[u] = g;
            ColdStartSplit.ItemGroup ig = s.newItems() ? ColdStartSplit.ItemGroup.NEW : ColdStartSplit.ItemGroup.EXISTING;
            if (items[i] == ColdStartSplit.ItemGroup.UNASSIGNED || ig == ColdStartSplit.ItemGroup.NEW) items[i] = ig;
        }
        return new ColdStartSplit(d, scen, roles, users, items, Map.of(), description);
    }

    private static String quote(String s) {
        return '"' + s + '"';
    }
}
