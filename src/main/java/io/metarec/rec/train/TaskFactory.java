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
