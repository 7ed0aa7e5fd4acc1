package io.metarec.rec.data;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A recommendation dataset in memory: users and items (external string ids ↔ dense indices
 * 0 … n − 1), item titles where known, user and item {@link FeatureTable}s, the
 * {@link Interactions}, and per item a release time used to split items into existing and new
 * (see {@link ReleaseSource} for its precedence). Immutable after loading; build one with
 * {@link Builder} or read one with {@link Datasets#load}.
 */
public final class Dataset {
    /** {@link #releaseTime} of an item without one. */
    public static final long NO_TIME = Long.MIN_VALUE;
    /**
     * The largest rating magnitude a dataset may hold. Formats without a declared scale (the generic
     * layout) accept any finite rating up to it: ratings are scores (1–5 stars, 0–10, 0–100), and a
     * magnitude beyond a million is a wrong column or a corrupt file — squared, it overflows the
     * training losses. MovieLens's own scale (1–5 whole stars) is stricter.
     */
    public static final float MAX_RATING = 1e6f;

    private final String name;
    private final DatasetFormat format;
    private final String[] userIds, itemIds, titles;
    private final Map<String, Integer> userIndex, itemIndex;
    private final FeatureTable userFeatures, itemFeatures;
    private final Interactions interactions;
    private final long[] releaseTimes;
    private final ReleaseSource[] releaseSources;

    private Dataset(Builder b) {
        name = b.name;
        format = b.format;
        userIds = b.userIds.toArray(String[]::new);
        itemIds = b.itemIds.toArray(String[]::new);
        userIndex = Map.copyOf(b.userIndex);
        itemIndex = Map.copyOf(b.itemIndex);
        titles = new String[itemIds.length];
        b.titles.forEach((i, t) -> titles[i] = t);
        userFeatures = b.userFeatures.build(userIds.length);
        itemFeatures = b.itemFeatures.build(itemIds.length);
        interactions = new Interactions(userIds.length, itemIds.length, b.users.toArray(), b.items.toArray(), b.ratings.toArray(),
                b.timestamps == null ? null : b.timestamps.toArray());
        releaseTimes = new long[itemIds.length];
        releaseSources = new ReleaseSource[itemIds.length];
        Arrays.fill(releaseTimes, NO_TIME);
        Arrays.fill(releaseSources, ReleaseSource.NONE);
        b.releases.forEach((i, r) -> {
            releaseTimes[i] = r.time;
            releaseSources[i] = r.source;
        });
        if (interactions.hasTimestamps()) {
            for (int k = 0; k < interactions.size(); k++) {
                int i = interactions.item(k);
                long t = interactions.timestamp(k);
                if (releaseSources[i] == ReleaseSource.NONE || (releaseSources[i] == ReleaseSource.FIRST_INTERACTION && t < releaseTimes[i])) {
                    releaseTimes[i] = t;
                    releaseSources[i] = ReleaseSource.FIRST_INTERACTION;
                }
            }
        }
    }

    /** A short name (usually the directory's). */
    public String name() { return name; }

    /** The format the dataset was read from. */
    public DatasetFormat format() { return format; }

    public int numUsers() { return userIds.length; }

    public int numItems() { return itemIds.length; }

    public String userId(int u) { return userIds[u]; }

    public String itemId(int i) { return itemIds[i]; }

    /** The index of the user with external id {@code id}, or −1. */
    public int userIndex(String id) {
        Integer u = userIndex.get(id);
        return u == null ? -1 : u;
    }

    /** The index of the item with external id {@code id}, or −1. */
    public int itemIndex(String id) {
        Integer i = itemIndex.get(id);
        return i == null ? -1 : i;
    }

    /** The item's title, when the source has one. */
    public Optional<String> title(int i) { return Optional.ofNullable(titles[i]); }

    public FeatureTable userFeatures() { return userFeatures; }

    public FeatureTable itemFeatures() { return itemFeatures; }

    public Interactions interactions() { return interactions; }

    /** The item's release time in Unix seconds, or {@link #NO_TIME}. */
    public long releaseTime(int i) { return releaseTimes[i]; }

    public ReleaseSource releaseSource(int i) { return releaseSources[i]; }

    @Override public String toString() {
        return "Dataset[" + name + ", " + format.label() + ", " + numUsers() + " users, " + numItems() + " items, "
                + interactions.size() + " interactions]";
    }

    /**
     * Assembles a dataset. Users and items get indices in the order they are added; a reader adds
     * them from its feature files (the catalogue) and then its interactions.
     */
    public static final class Builder {
        private final String name;
        private final DatasetFormat format;
        private final List<String> userIds = new ArrayList<>(), itemIds = new ArrayList<>();
        private final Map<String, Integer> userIndex = new HashMap<>(), itemIndex = new HashMap<>();
        private final Map<Integer, String> titles = new HashMap<>();
        private final Map<Integer, Release> releases = new HashMap<>();
        private final FeatureTable.Builder userFeatures = new FeatureTable.Builder(), itemFeatures = new FeatureTable.Builder();
        private final IntList users = new IntList(), items = new IntList();
        private final FloatList ratings = new FloatList();
        private LongList timestamps;
        private boolean timestampsDecided;

        private record Release(long time, ReleaseSource source) {}

        public Builder(String name, DatasetFormat format) {
            this.name = name;
            this.format = format;
        }

        /** The user's index, adding the user if new. */
        public int user(String id) {
            Integer u = userIndex.get(id);
            if (u != null) return u;
            userIndex.put(id, userIds.size());
            userIds.add(id);
            return userIds.size() - 1;
        }

        /** The item's index, adding the item if new. */
        public int item(String id) {
            Integer i = itemIndex.get(id);
            if (i != null) return i;
            itemIndex.put(id, itemIds.size());
            itemIds.add(id);
            return itemIds.size() - 1;
        }

        /** The index of a user already added, or −1. */
        public int findUser(String id) { return userIndex.getOrDefault(id, -1); }

        /** The index of an item already added, or −1. */
        public int findItem(String id) { return itemIndex.getOrDefault(id, -1); }

        public int userCount() { return userIds.size(); }

        public int itemCount() { return itemIds.size(); }

        public Builder title(int item, String title) {
            if (title != null && !title.isEmpty()) titles.put(item, title);
            return this;
        }

        /** Sets the item's release time unless one of higher precedence (earlier in {@link ReleaseSource}) is already set. */
        public Builder release(int item, long time, ReleaseSource source) {
            if (source == ReleaseSource.NONE || source == ReleaseSource.FIRST_INTERACTION)
                throw new IllegalArgumentException("release source " + source + " is derived, not set");
            Release old = releases.get(item);
            if (old == null || source.ordinal() < old.source.ordinal()) releases.put(item, new Release(time, source));
            return this;
        }

        public FeatureTable.Builder userFeatures() { return userFeatures; }

        public FeatureTable.Builder itemFeatures() { return itemFeatures; }

        /**
         * Appends an interaction; {@code timestamp} is {@link Interactions#NO_TIMESTAMP} for none.
         * Either every interaction has a timestamp or none has.
         */
        public Builder interaction(int user, int item, float rating, long timestamp) {
            if (user < 0 || user >= userIds.size() || item < 0 || item >= itemIds.size())
                throw new IllegalArgumentException("interaction with unknown user or item index (" + user + ", " + item + ")");
            if (!(Math.abs(rating) <= MAX_RATING))
                throw new IllegalArgumentException("rating must be a finite number within ±" + (long) MAX_RATING + ", got " + rating);
            boolean has = timestamp != Interactions.NO_TIMESTAMP;
            if (!timestampsDecided) {
                timestampsDecided = true;
                if (has) timestamps = new LongList();
            } else if (has != (timestamps != null)) {
                throw new IllegalArgumentException("either every interaction has a timestamp or none has");
            }
            users.add(user);
            items.add(item);
            ratings.add(rating);
            if (has) timestamps.add(timestamp);
            return this;
        }

        public int interactionCount() { return users.size; }

        public Dataset build() { return new Dataset(this); }
    }

    /** Seconds since the epoch as an ISO-8601 date-time, for messages and summaries. */
    public static String formatTime(long seconds) {
        return seconds == NO_TIME ? "none" : Instant.ofEpochSecond(seconds).toString();
    }

    static final class IntList {
        int[] a = new int[1024];
        int size;

        void add(int v) {
            if (size == a.length) a = Arrays.copyOf(a, size * 2);
            a[size++] = v;
        }

        int[] toArray() { return Arrays.copyOf(a, size); }
    }

    static final class FloatList {
        float[] a = new float[1024];
        int size;

        void add(float v) {
            if (size == a.length) a = Arrays.copyOf(a, size * 2);
            a[size++] = v;
        }

        float[] toArray() { return Arrays.copyOf(a, size); }
    }

    static final class LongList {
        long[] a = new long[1024];
        int size;

        void add(long v) {
            if (size == a.length) a = Arrays.copyOf(a, size * 2);
            a[size++] = v;
        }

        long[] toArray() { return Arrays.copyOf(a, size); }
    }
}
