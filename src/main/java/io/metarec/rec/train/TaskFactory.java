package io.metarec.rec.train;

import io.metarec.meta.Task;
import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.Interactions;
import io.metarec.rec.data.Seeds;
import io.metarec.rec.model.Examples;
import io.metarec.rec.model.FeatureEncoder;
import io.metarec.rec.model.FeatureEncoder.UserProfile;
import io.metarec.rec.split.ColdStartSplit;
import io.metarec.rec.split.Scenario;
import io.metarec.rec.split.UserTask;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Builds the meta-learning tasks of a split: a user's support and query interactions as model
 * examples, with targets per the {@link Feedback}. Negatives for implicit feedback are drawn from
 * the scenario's item partition (existing or new items), never from items the user rated, seeded
 * per (user, scenario, set) so every run sees the same tasks.
 */
public final class TaskFactory {
    private final Dataset data;
    private final ColdStartSplit split;
    private final FeatureEncoder encoder;
    private final Feedback feedback;
    private final long seed;
    private final int[] existingItems, newItems;

    public TaskFactory(Dataset data, ColdStartSplit split, FeatureEncoder encoder, Feedback feedback, long seed) {
        this.data = data;
        this.split = split;
        this.encoder = encoder;
        this.feedback = feedback;
        this.seed = seed;
        List<Integer> ex = new ArrayList<>(), nw = new ArrayList<>();
        for (int i = 0; i < data.numItems(); i++) {
            switch (split.itemGroup(i)) {
                case EXISTING -> ex.add(i);
                case NEW -> nw.add(i);
                default -> { }
            }
        }
        this.existingItems = ex.stream().mapToInt(Integer::intValue).toArray();
        this.newItems = nw.stream().mapToInt(Integer::intValue).toArray();
    }

    public Dataset data() { return data; }

    /** The mean rating of the split's training scenario. */
    public float meanRating() {
        Interactions x = data.interactions();
        double sum = 0;
        int n = 0;
        for (int k = 0; k < x.size(); k++)
            if (split.scenarioOf(k) == Scenario.TRAIN) {
                sum += x.rating(k);
                n++;
            }
        return n == 0 ? 0f : (float) (sum / n);
    }

    /** Per catalogue item, its number of ratings in the split's training scenario. */
    public int[] trainingCounts() {
        Interactions x = data.interactions();
        int[] n = new int[data.numItems()];
        for (int k = 0; k < x.size(); k++) if (split.scenarioOf(k) == Scenario.TRAIN) n[x.item(k)]++;
        return n;
    }

    /**
     * The rating scale [min, max] of the dataset's ratings: what predicted ratings are clamped to
     * before they are shown or scored ({1, 5} on MovieLens).
     */
    public float[] ratingScale() {
        Interactions x = data.interactions();
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < x.size(); k++) {
            lo = Math.min(lo, x.rating(k));
            hi = Math.max(hi, x.rating(k));
        }
        return x.size() == 0 ? new float[] {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY} : new float[] {lo, hi};
    }

    public ColdStartSplit split() { return split; }

    public FeatureEncoder encoder() { return encoder; }

    public Feedback feedback() { return feedback; }

    /** The run's seed (negatives here; derived streams in the baselines). */
    public long seed() { return seed; }

    /** The items a scenario ranks: existing items, or new items for the item-cold scenarios. */
    public int[] candidates(Scenario s) {
        return (s.newItems() ? newItems : existingItems).clone();
    }

    public UserProfile profile(int user) {
        return UserProfile.of(data.userFeatures(), user);
    }

    public Task<Examples> task(UserTask t) {
        return new Task<>(examples(t, t.support(), 1), examples(t, t.query(), 2));
    }

    public List<Task<Examples>> tasks(List<UserTask> ts) {
        List<Task<Examples>> out = new ArrayList<>(ts.size());
        for (UserTask t : ts) out.add(task(t));
        return out;
    }

    /**
     * How meta-training tasks differ from evaluation tasks, drawn anew each epoch (seeded by
     * seed, user, epoch):
     *
     * @param variedSupport with probability ½ a task's support is cut to n random ratings, n
     *                      log-uniform in [1, support size], so that the meta-learner sees the
     *                      small supports it will be asked to adapt on (given-n: 1, 3, 5 …)
     * @param resplit       a user's ratings (support and query together) are dealt anew into a
     *                      support and a query of the split's sizes, so that every rating serves as
     *                      query in some epoch: with ~300 training users and 10 fixed query ratings
     *                      each, meta-training otherwise fits those 3,000 ratings through the item
     *                      table within a few epochs
     * @param hideItem      share of the (item, rating) rows whose item identity is hidden (read as
     *                      unknown), so the identity generator learns to stand in for new items
     */
    public record Training(boolean variedSupport, boolean resplit, double hideItem) {
        /** Tasks exactly as evaluated. */
        public static final Training NONE = new Training(false, false, 0);
    }

    /** The meta-training tasks of {@code epoch} (see {@link Training}); with {@link Training#NONE}, {@link #tasks}. */
    public List<Task<Examples>> trainingTasks(List<UserTask> ts, Training how, int epoch) {
        if (how.equals(Training.NONE)) return tasks(ts);
        List<Task<Examples>> out = new ArrayList<>(ts.size());
        for (UserTask t : ts) {
            SplittableRandom r = new SplittableRandom(Seeds.derive(seed, t.user(), t.scenario().ordinal(), 7, epoch));
            int[] support = t.support(), query = t.query();
            if (how.resplit()) {
                int[] all = new int[support.length + query.length];
                System.arraycopy(support, 0, all, 0, support.length);
                System.arraycopy(query, 0, all, support.length, query.length);
                int[] order = io.metarec.util.Shuffle.permutation(all.length, r);
                query = new int[query.length];
                support = new int[support.length];
                for (int k = 0; k < all.length; k++) {
                    if (k < query.length) query[k] = all[order[k]];
                    else support[k - query.length] = all[order[k]];
                }
                java.util.Arrays.sort(query);
                java.util.Arrays.sort(support);
            }
            if (how.variedSupport() && support.length > 1 && r.nextBoolean()) {
                int n = (int) Math.round(Math.exp(r.nextDouble() * Math.log(support.length)));
                int[] order = io.metarec.util.Shuffle.permutation(support.length, r);
                int[] cut = new int[Math.max(1, Math.min(n, support.length))];
                for (int k = 0; k < cut.length; k++) cut[k] = support[order[k]];
                java.util.Arrays.sort(cut);
                support = cut;
            }
            UserProfile profile = profile(t.user());
            out.add(new Task<>(examples(profile, t, support, 1, how.hideItem(), r), examples(profile, t, query, 2, how.hideItem(), r)));
        }
        return out;
    }

    /** The support examples of a task (what a recommender adapts on). */
    public Examples support(UserTask t) {
        return examples(t, t.support(), 1);
    }

    /** Items and targets of a set of examples (what the model is trained or scored on). */
    public record Labelled(int[] items, float[] targets) {}

    /** The query items with their targets (ratings, or 1/0 with sampled negatives for implicit feedback). */
    public Labelled query(UserTask t) {
        return labelled(t, t.query(), 2);
    }

    private Examples examples(UserTask t, int[] interactions, int set) {
        Labelled l = labelled(t, interactions, set);
        return encoder.encode(profile(t.user()), l.items(), l.targets());
    }

    private Examples examples(UserProfile profile, UserTask t, int[] interactions, int set, double hideItem, SplittableRandom r) {
        Labelled l = labelled(t, interactions, set);
        boolean[] hide = new boolean[l.items().length];
        for (int k = 0; k < hide.length; k++) hide[k] = hideItem > 0 && r.nextDouble() < hideItem;
        return encoder.encode(profile, l.items(), l.targets(), hide);
    }

    private Labelled labelled(UserTask t, int[] interactions, int set) {
        Interactions x = data.interactions();
        int[] items = x.itemsOf(interactions);
        float[] ratings = x.ratingsOf(interactions);
        if (!feedback.implicit()) return new Labelled(items, ratings);
        List<Integer> rows = new ArrayList<>();
        List<Float> targets = new ArrayList<>();
        int positives = 0;
        for (int k = 0; k < items.length; k++) {
            boolean liked = ratings[k] >= feedback.positiveThreshold();
            rows.add(items[k]);
            targets.add(liked ? 1f : 0f);
            if (liked) positives++;
        }
        int[] pool = candidates(t.scenario());
        Set<Integer> rated = new HashSet<>();
        for (int k : x.ofUser(t.user())) rated.add(x.item(k));
        int want = Math.min(positives * feedback.negatives(), Math.max(0, pool.length - rated.size()));
        SplittableRandom r = new SplittableRandom(Seeds.derive(seed, t.user(), t.scenario().ordinal(), set));
        Set<Integer> drawn = new HashSet<>();
        for (int tries = 0; drawn.size() < want && tries < 50 * want + 100; tries++) {
            int item = pool[r.nextInt(pool.length)];
            if (!rated.contains(item) && drawn.add(item)) {
                rows.add(item);
                targets.add(0f);
            }
        }
        float[] tg = new float[targets.size()];
        for (int k = 0; k < tg.length; k++) tg[k] = targets.get(k);
        return new Labelled(rows.stream().mapToInt(Integer::intValue).toArray(), tg);
    }
}
