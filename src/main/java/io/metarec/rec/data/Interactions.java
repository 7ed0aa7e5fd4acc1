package io.metarec.rec.data;

import java.util.Arrays;

/**
 * All ratings as parallel arrays: interaction k is (user(k), item(k), rating(k), timestamp(k)),
 * with user and item as dataset indices, in the order of the source file. Timestamps are Unix
 * seconds, or absent for the whole dataset ({@link #hasTimestamps()} false). Per-user and per-item
 * lists of interaction indices are precomputed (ascending). Immutable.
 */
public final class Interactions {
    /** {@link #timestamp} of a dataset without timestamps. */
    public static final long NO_TIMESTAMP = Long.MIN_VALUE;

    private final int[] users, items;
    private final float[] ratings;
    private final long[] timestamps; // null when absent
    private final int[] userOffsets, userList, itemOffsets, itemList;

    Interactions(int numUsers, int numItems, int[] users, int[] items, float[] ratings, long[] timestamps) {
        int n = users.length;
        if (items.length != n || ratings.length != n || (timestamps != null && timestamps.length != n))
            throw new IllegalArgumentException("interaction arrays differ in length");
        this.users = users;
        this.items = items;
        this.ratings = ratings;
        this.timestamps = timestamps;
        userOffsets = new int[numUsers + 1];
        userList = group(users, numUsers, userOffsets);
        itemOffsets = new int[numItems + 1];
        itemList = group(items, numItems, itemOffsets);
    }

    /** Counting sort of 0..n-1 by key: list[offsets[k] .. offsets[k+1]) are the indices with key k, ascending. */
    private static int[] group(int[] keys, int numKeys, int[] offsets) {
        for (int key : keys) offsets[key + 1]++;
        for (int k = 0; k < numKeys; k++) offsets[k + 1] += offsets[k];
        int[] fill = Arrays.copyOf(offsets, numKeys), list = new int[keys.length];
        for (int i = 0; i < keys.length; i++) list[fill[keys[i]]++] = i;
        return list;
    }

    public int size() { return users.length; }

    public int user(int k) { return users[k]; }

    public int item(int k) { return items[k]; }

    public float rating(int k) { return ratings[k]; }

    /** Unix seconds, or {@link #NO_TIMESTAMP} when the dataset has none. */
    public long timestamp(int k) { return timestamps == null ? NO_TIMESTAMP : timestamps[k]; }

    public boolean hasTimestamps() { return timestamps != null; }

    /** Copies of the columns. */
    public int[] users() { return users.clone(); }

    public int[] items() { return items.clone(); }

    public float[] ratings() { return ratings.clone(); }

    /** A copy of the timestamps, or null when the dataset has none. */
    public long[] timestamps() { return timestamps == null ? null : timestamps.clone(); }

    /** Indices of user {@code u}'s interactions, ascending (a copy). */
    public int[] ofUser(int u) { return Arrays.copyOfRange(userList, userOffsets[u], userOffsets[u + 1]); }

    public int countOfUser(int u) { return userOffsets[u + 1] - userOffsets[u]; }

    /** Indices of item {@code i}'s interactions, ascending (a copy). */
    public int[] ofItem(int i) { return Arrays.copyOfRange(itemList, itemOffsets[i], itemOffsets[i + 1]); }

    public int countOfItem(int i) { return itemOffsets[i + 1] - itemOffsets[i]; }

    /** Items of the given interactions, in order. */
    public int[] itemsOf(int[] interactions) {
        int[] out = new int[interactions.length];
        for (int k = 0; k < out.length; k++) out[k] = items[interactions[k]];
        return out;
    }

    /** Ratings of the given interactions, in order. */
    public float[] ratingsOf(int[] interactions) {
        float[] out = new float[interactions.length];
        for (int k = 0; k < out.length; k++) out[k] = ratings[interactions[k]];
        return out;
    }
}
