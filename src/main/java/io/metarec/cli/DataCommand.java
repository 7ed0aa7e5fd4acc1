package io.metarec.cli;

import io.metarec.util.TextTable;
import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.DatasetDirectory;
import io.metarec.rec.data.DatasetFormat;
import io.metarec.rec.data.Datasets;
import io.metarec.rec.data.FeatureTable;
import io.metarec.rec.data.Field;
import io.metarec.rec.data.GenericLayout;
import io.metarec.rec.data.Interactions;
import io.metarec.rec.data.ReleaseSource;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import io.metarec.rec.data.Vocabulary;
import io.metarec.rec.split.ColdStartSplit;
import io.metarec.rec.split.MeluProtocol;
import io.metarec.rec.split.Scenario;
import io.metarec.rec.split.SplitFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/** {@code metarec data synth | describe | split | convert | fetch}: datasets and cold-start splits. */
@Command(name = "data", mixinStandardHelpOptions = true,
        description = {"Create, inspect, split and convert recommendation datasets.",
                "A dataset is a directory: MovieLens-100K (u.data, u.user, u.item), MovieLens-1M (ratings.dat, users.dat, movies.dat) "
                        + "or the generic layout (interactions.csv, users.csv, items.csv, optional split.csv); the format is detected."},
        subcommands = {DataCommand.Synth.class, DataCommand.Describe.class, DataCommand.Split.class, DataCommand.Convert.class, FetchCommand.class})
public final class DataCommand implements Callable<Integer> {

    @Override public Integer call() {
        System.err.println("metarec data: use one of synth, describe, split, convert, fetch (metarec data --help)");
        return 2;
    }

    @Command(name = "synth", mixinStandardHelpOptions = true,
            description = {"Write a deterministic synthetic dataset (generic layout) with planted user groups.",
                    "Demographics predict a user's group only partly, so adapting to a user's few ratings helps. By default items and users also "
                            + "carry effects no feature explains, calibrated to MovieLens-100K (--profile). The same seed gives byte-identical files."})
    static final class Synth implements Callable<Integer> {
        @Option(names = "--out", required = true, paramLabel = "DIR", description = "directory to create (refused if not empty, unless --force)")
        Path out;
        @Option(names = "--users", defaultValue = "6000", description = "number of users (default: ${DEFAULT-VALUE})")
        int users;
        @Option(names = "--items", defaultValue = "3000", description = "number of items (default: ${DEFAULT-VALUE})")
        int items;
        @Option(names = "--seed", defaultValue = "42", description = "random seed (default: ${DEFAULT-VALUE})")
        long seed;
        @Option(names = "--profile", defaultValue = "realistic", paramLabel = "NAME",
                description = "planted model (default: ${DEFAULT-VALUE}): realistic = calibrated to MovieLens-100K, items and users carry "
                        + "effects no feature explains (item quality linked to popularity), heavy-tailed ratings per user; "
                        + "features = the first generator, item quality mostly visible in the director feature")
        String profile;
        @Option(names = "--force", description = "replace the dataset files of a non-empty DIR (other files are kept; a stale split.csv is removed)")
        boolean force;
        @Option(names = "--debug", description = "print stack traces of errors")
        boolean debug;

        @Override public Integer call() throws IOException {
            SyntheticConfig c = SyntheticConfig.of(users, items, seed, SyntheticConfig.Profile.parse(profile));
            Outputs.directory("--out", out);
            long t0 = System.nanoTime();
            DatasetDirectory.Written w = Synthetic.write(c, out, force);
            Dataset d = Datasets.load(out);
            PrintStream o = System.out;
            o.printf(Locale.ROOT, "wrote a synthetic dataset to %s in %.1f s: %d users, %d items, %d ratings (seed %d, profile %s)%n", out,
                    (System.nanoTime() - t0) / 1e9, d.numUsers(), d.numItems(), d.interactions().size(), seed, c.profile().label());
            o.println("files: " + String.join(", ", w.files()));
            if (w.removedSplit() != null) o.println("removed the stale " + w.removedSplit() + " (it belonged to the old data)");
            o.println("next:  metarec data describe " + out + "   |   metarec data split " + out + " --protocol melu");
            return 0;
        }
    }

    @Command(name = "describe", mixinStandardHelpOptions = true,
            description = "Print a dataset's format, counts, rating histogram, ratings-per-user and per-item quantiles, feature cardinalities and time range.")
    static final class Describe implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", description = "dataset directory")
        Path dir;
        @Option(names = "--debug", description = "print stack traces of errors")
        boolean debug;

        @Override public Integer call() throws IOException {
            Dataset d = Datasets.load(dir);
            describe(d, dir, System.out);
            return 0;
        }
    }

    @Command(name = "split", mixinStandardHelpOptions = true,
            description = {"Split a dataset for cold-start evaluation (MeLU protocol), write the split file and print the scenario sizes.",
                    "Items: the newest 20%% by release time are new (or --new-items-from YEAR); users: 20%% new at random, 10%% of the "
                            + "existing ones held out (warm); a user's ratings on one item partition form a task if there are 13–100 of them; "
                            + "query = 10 random ratings, support = the rest."})
    static final class Split implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", description = "dataset directory")
        Path dir;
        @Option(names = "--protocol", defaultValue = "melu", description = "split protocol (only: melu)")
        String protocol;
        @Option(names = "--seed", defaultValue = "42", description = "random seed (default: ${DEFAULT-VALUE})")
        long seed;
        @Option(names = "--out", paramLabel = "FILE", description = "split file to write (default: DIR/split.csv)")
        Path outFile;
        @Option(names = "--new-items-from", paramLabel = "YEAR", description = "items released in YEAR or later are new (default: the newest 20%%)")
        Integer newItemsFrom;
        @Option(names = "--new-item-fraction", paramLabel = "F", description = "share of the newest items that are new (default: 0.2)")
        Double newItemFraction;
        @Option(names = "--new-user-fraction", defaultValue = "0.2", paramLabel = "F", description = "share of users that are new (default: ${DEFAULT-VALUE})")
        double newUsers;
        @Option(names = "--held-out-fraction", defaultValue = "0.1", paramLabel = "F",
                description = "share of existing users held out as warm tasks (default: ${DEFAULT-VALUE})")
        double heldOut;
        @Option(names = "--force", description = "overwrite an existing split file")
        boolean force;
        @Option(names = "--debug", description = "print stack traces of errors")
        boolean debug;

        @Override public Integer call() throws IOException {
            if (!io.metarec.util.EnumNames.key(protocol).equals("melu")) throw new IllegalArgumentException("unknown --protocol '" + protocol + "', expected: melu");
            if (newItemsFrom != null && newItemFraction != null) throw new IllegalArgumentException("give --new-items-from or --new-item-fraction, not both");
            Path file = outFile != null ? outFile : dir.resolve(GenericLayout.SPLIT);
            Outputs.file("--out", file);
            if (Files.exists(file) && !force) throw new IllegalArgumentException("--out: " + file + " exists (use --force to overwrite it, or --out FILE)");
            MeluProtocol.ItemCutoff cutoff = newItemsFrom != null ? MeluProtocol.ItemCutoff.fromYear(newItemsFrom)
                    : new MeluProtocol.ItemCutoff.NewestFraction(newItemFraction != null ? newItemFraction : MeluProtocol.DEFAULT_NEW_ITEMS_PERCENT / 100.0);
            MeluProtocol p = new MeluProtocol(seed, newUsers, heldOut, cutoff, 13, 100, 10);
            Dataset d = Datasets.load(dir);
            ColdStartSplit split = p.split(d);
            SplitFile.write(split, file);
            printSplit(split, System.out);
            System.out.println("wrote " + file);
            return 0;
        }
    }

    @Command(name = "convert", mixinStandardHelpOptions = true,
            description = "Convert a dataset (e.g. MovieLens) to the generic layout: interactions.csv, users.csv, items.csv (UTF-8).")
    static final class Convert implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", description = "dataset directory to read")
        Path dir;
        @Option(names = "--out", required = true, paramLabel = "DIR2", description = "directory to create (refused if not empty, unless --force)")
        Path out;
        @Option(names = "--force", description = "replace the dataset files of a non-empty DIR2 (other files are kept; a stale split.csv is removed)")
        boolean force;
        @Option(names = "--debug", description = "print stack traces of errors")
        boolean debug;

        @Override public Integer call() throws IOException {
            if (dir.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize()))
                throw new IllegalArgumentException("--out must differ from the source directory");
            Outputs.directory("--out", out);
            DatasetDirectory.checkTarget(out, force); // before reading the source
            Dataset d = Datasets.load(dir);
            DatasetDirectory.Written w = DatasetDirectory.write(out, force, tmp -> GenericLayout.write(d, tmp));
            System.out.printf(Locale.ROOT, "converted %s (%s: %d users, %d items, %d interactions) to %s in the generic layout: %s%n",
                    dir, d.format().label(), d.numUsers(), d.numItems(), d.interactions().size(), out, String.join(", ", w.files()));
            if (Files.exists(dir.resolve(GenericLayout.SPLIT)))
                System.out.println("note: " + dir.resolve(GenericLayout.SPLIT) + " was not copied; copy it too if you want the same split (its ids are unchanged)");
            if (w.removedSplit() != null) System.out.println("removed the stale " + w.removedSplit());
            return 0;
        }
    }

    // ------------------------------------------------------------------ printing

    static void describe(Dataset d, Path dir, PrintStream o) throws IOException {
        Interactions x = d.interactions();
        int n = x.size();
        int activeUsers = 0, activeItems = 0;
        int[] perUser = new int[d.numUsers()], perItem = new int[d.numItems()];
        for (int u = 0; u < d.numUsers(); u++) if ((perUser[u] = x.countOfUser(u)) > 0) activeUsers++;
        for (int i = 0; i < d.numItems(); i++) if ((perItem[i] = x.countOfItem(i)) > 0) activeItems++;
        o.println("dataset:      " + d.name() + " (" + d.format().label() + ") at " + dir);
        o.printf(Locale.ROOT, "users:        %d (%d with ratings)%n", d.numUsers(), activeUsers);
        o.printf(Locale.ROOT, "items:        %d (%d with ratings)%n", d.numItems(), activeItems);
        o.printf(Locale.ROOT, "interactions: %d (density %.2f%% of users × items)%n", n, 100.0 * n / ((double) d.numUsers() * d.numItems()));
        if (x.hasTimestamps()) {
            long lo = Long.MAX_VALUE, hi = Long.MIN_VALUE;
            for (int k = 0; k < n; k++) {
                lo = Math.min(lo, x.timestamp(k));
                hi = Math.max(hi, x.timestamp(k));
            }
            o.println("timestamps:   " + Dataset.formatTime(lo) + " … " + Dataset.formatTime(hi));
        } else o.println("timestamps:   none");
        long lo = Long.MAX_VALUE, hi = Long.MIN_VALUE;
        EnumMap<ReleaseSource, Integer> sources = new EnumMap<>(ReleaseSource.class);
        for (int i = 0; i < d.numItems(); i++) {
            sources.merge(d.releaseSource(i), 1, Integer::sum);
            if (d.releaseTime(i) != Dataset.NO_TIME) {
                lo = Math.min(lo, d.releaseTime(i));
                hi = Math.max(hi, d.releaseTime(i));
            }
        }
        StringBuilder src = new StringBuilder();
        sources.forEach((s, c) -> src.append(src.isEmpty() ? "" : ", ").append(s.name().toLowerCase(Locale.ROOT).replace('_', ' ')).append(' ').append(c));
        o.println("releases:     " + (lo == Long.MAX_VALUE ? "none" : Dataset.formatTime(lo).substring(0, 10) + " … " + Dataset.formatTime(hi).substring(0, 10))
                + " (" + src + ")");

        o.println();
        o.println("ratings:");
        TreeMap<Float, Integer> hist = new TreeMap<>();
        double sum = 0, sq = 0;
        for (int k = 0; k < n; k++) {
            float r = x.rating(k);
            sum += r;
            sq += (double) r * r;
            if (hist.size() <= 20 || hist.containsKey(r)) hist.merge(r, 1, Integer::sum);
        }
        TextTable t = new TextTable("rating", "count", "share", "");
        if (hist.size() <= 20) {
            int max = hist.values().stream().max(Integer::compare).orElse(1);
            for (Map.Entry<Float, Integer> e : hist.entrySet())
                t.row(fmtRating(e.getKey()), e.getValue(), pct(e.getValue(), n), "█".repeat((int) Math.round(30.0 * e.getValue() / max)));
            o.print(t.render("  "));
        } else o.println("  (more than 20 distinct values)");
        double mean = sum / n;
        o.printf(Locale.ROOT, "  mean %.3f, std %.3f%n", mean, Math.sqrt(Math.max(0, sq / n - mean * mean)));

        o.println();
        TextTable q = new TextTable("ratings per", "min", "5%", "25%", "median", "75%", "95%", "max", "mean", "13–100");
        q.row(quantileRow("user", perUser, true));
        q.row(quantileRow("item", perItem, false));
        o.print(q.render(""));
        o.println("  (quantiles by nearest rank over users/items with ratings; 13–100: share of users within MeLU's task size)");

        for (boolean users : new boolean[] {true, false}) {
            FeatureTable ft = users ? d.userFeatures() : d.itemFeatures();
            o.println();
            o.println((users ? "user" : "item") + " features:" + (ft.fieldCount() == 0 ? " none" : ""));
            if (ft.fieldCount() == 0) continue;
            TextTable f = new TextTable("field", "kind", "values", "missing", "values/row", "most common");
            for (int k = 0; k < ft.fieldCount(); k++) {
                Field field = ft.field(k);
                int[] counts = new int[field.vocabulary().size()];
                int missing = 0;
                long total = 0;
                for (int r = 0; r < ft.rows(); r++) {
                    int[] v = ft.values(k, r);
                    boolean none = true;
                    for (int id : v) {
                        counts[id]++;
                        if (id != Vocabulary.UNKNOWN) {
                            none = false;
                            total++;
                        }
                    }
                    if (none) missing++;
                }
                int best = 1;
                for (int id = 1; id < counts.length; id++) if (counts[id] > counts[best]) best = id;
                String common = counts.length > 1 ? field.vocabulary().valueOf(best) + " (" + counts[best] + ")" : "–";
                f.row(field.name(), field.multiValued() ? "multi" : "categorical", field.vocabulary().size() - 1, missing,
                        String.format(Locale.ROOT, "%.2f", ft.rows() == 0 ? 0.0 : (double) total / ft.rows()), common);
            }
            o.print(f.render("  "));
        }

        Path split = dir.resolve(GenericLayout.SPLIT);
        o.println();
        if (Files.exists(split)) {
            ColdStartSplit s = SplitFile.read(split, d, MeluProtocol.DEFAULT_SEED, 10);
            o.println("split file " + split + ":");
            o.print(scenarioTable(s, false).render("  "));
            for (String v : s.invariantViolations()) o.println("  warning: " + v);
        } else o.println("split file: none (metarec data split " + dir + " --protocol melu writes one)");
    }

    private static Object[] quantileRow(String what, int[] counts, boolean users) {
        int[] c = Arrays.stream(counts).filter(v -> v > 0).sorted().toArray();
        if (c.length == 0) return new Object[] {what, "–", "–", "–", "–", "–", "–", "–", "–", "–"};
        double mean = Arrays.stream(c).average().orElse(0);
        long within = Arrays.stream(c).filter(v -> v >= 13 && v <= 100).count();
        return new Object[] {what, c[0], nearest(c, 0.05), nearest(c, 0.25), nearest(c, 0.5), nearest(c, 0.75), nearest(c, 0.95), c[c.length - 1],
                String.format(Locale.ROOT, "%.1f", mean), users ? pct((int) within, c.length) : "–"};
    }

    /** Nearest-rank quantile of a sorted array. */
    private static int nearest(int[] sorted, double q) {
        return sorted[Math.max(0, (int) Math.ceil(q * sorted.length) - 1)];
    }

    static void printSplit(ColdStartSplit s, PrintStream o) {
        Dataset d = s.dataset();
        o.println("split of " + d.name() + " (" + d.format().label() + "): " + s.description());
        o.printf(Locale.ROOT, "users: %d existing (train), %d held out (warm), %d new, %d without ratings%n",
                s.countUsers(ColdStartSplit.UserGroup.EXISTING), s.countUsers(ColdStartSplit.UserGroup.HELD_OUT),
                s.countUsers(ColdStartSplit.UserGroup.NEW), s.countUsers(ColdStartSplit.UserGroup.UNASSIGNED));
        o.printf(Locale.ROOT, "items: %d existing, %d new, %d without ratings%n", s.countItems(ColdStartSplit.ItemGroup.EXISTING),
                s.countItems(ColdStartSplit.ItemGroup.NEW), s.countItems(ColdStartSplit.ItemGroup.UNASSIGNED));
        o.println();
        o.print(scenarioTable(s, true).render(""));
        o.println("(a task is one user's ratings on existing or on new items, kept with 13–100 ratings; dropped: tasks outside that range)");
    }

    private static TextTable scenarioTable(ColdStartSplit s, boolean withDropped) {
        TextTable t = withDropped ? new TextTable("scenario", "users", "tasks", "interactions", "support", "query", "dropped <13", "dropped >100")
                : new TextTable("scenario", "users", "tasks", "interactions", "support", "query");
        for (Scenario sc : Scenario.values()) {
            ColdStartSplit.Size z = s.size(sc);
            if (withDropped) t.row(sc.label(), z.users(), z.tasks(), z.interactions(), z.support(), z.query(), z.dropped().tooFew(), z.dropped().tooMany());
            else t.row(sc.label(), z.users(), z.tasks(), z.interactions(), z.support(), z.query());
        }
        return t;
    }

    private static String pct(int part, int whole) {
        return String.format(Locale.ROOT, "%.1f%%", 100.0 * part / whole);
    }

    private static String fmtRating(float r) {
        return r == Math.rint(r) ? Integer.toString((int) r) : Float.toString(r);
    }

    /** For tests: the formats' labels. */
    static List<String> formats() {
        return Arrays.stream(DatasetFormat.values()).map(DatasetFormat::label).toList();
    }
}
