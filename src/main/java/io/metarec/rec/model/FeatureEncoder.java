package io.metarec.rec.model;

import io.metarec.autograd.Tensor;
import io.metarec.backend.Indices;
import io.metarec.rec.data.FeatureTable;
import io.metarec.rec.data.Field;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns (user, item) pairs into model {@link Examples}: the item's feature ids from the item table
 * and the user's from a {@link UserProfile}, field by field in the model's order — item fields,
 * then user fields (MeLU's concatenation order). A side without any feature gets one constant
 * field ({@code none}, a single id), so every model has user and item inputs; a cold user or item
 * is then still represented, and adaptation personalises from ratings alone.
 */
public final class FeatureEncoder {
    /** Name of the placeholder field of a side without features. */
    public static final String NONE = "none";

    private final FeatureTable items;
    private final List<Field> userFields;
    private final List<FieldSpec> specs = new ArrayList<>();
    /** Per item field, then per user field: id → id the model sees (rare values → unknown); null = as is. */
    private final int[][] itemRemap, userRemap;
    /** Which catalogue items and which dataset users have a trained identity (the others read row 0, "unknown"). */
    private final boolean[] knownItems, knownUsers;

    public FeatureEncoder(List<Field> userFields, FeatureTable items) {
        this(userFields, items, null, null, null, null);
    }

    public FeatureEncoder(List<Field> userFields, FeatureTable items, int[][] itemRemap, int[][] userRemap) {
        this(userFields, items, itemRemap, userRemap, null, null);
    }

    /**
     * @param itemRemap per item field, the id the model uses for each value id (0 for values too rare
     *                  in training to have a trained embedding); null for identity
     * @param userRemap the same for the user fields
     * @param knownItems per catalogue item, whether training gives it an identity (row i + 1 of the
     *                   identity table; the others read row 0, "unknown"); null: none
     * @param knownUsers the same per dataset user; null: none
     */
    public FeatureEncoder(List<Field> userFields, FeatureTable items, int[][] itemRemap, int[][] userRemap, boolean[] knownItems,
                          boolean[] knownUsers) {
        if (knownItems != null && knownItems.length != items.rows())
            throw new IllegalArgumentException("known items: " + knownItems.length + " flags for " + items.rows() + " items");
        this.knownItems = knownItems == null ? new boolean[items.rows()] : knownItems.clone();
        this.knownUsers = knownUsers == null ? new boolean[0] : knownUsers.clone();
        this.items = items;
        this.userFields = List.copyOf(userFields);
        this.itemRemap = itemRemap;
        this.userRemap = userRemap;
        for (Field f : items.fields()) specs.add(new FieldSpec(f.name(), FieldSpec.Side.ITEM, f.vocabulary().size(), f.multiValued()));
        if (items.fieldCount() == 0) specs.add(new FieldSpec(NONE, FieldSpec.Side.ITEM, 1, false));
        for (Field f : userFields) specs.add(new FieldSpec(f.name(), FieldSpec.Side.USER, f.vocabulary().size(), f.multiValued()));
        if (userFields.isEmpty()) specs.add(new FieldSpec(NONE, FieldSpec.Side.USER, 1, false));
    }

    /** The model's input fields, in order. */
    public List<FieldSpec> fields() { return List.copyOf(specs); }

    public List<Field> userFields() { return userFields; }

    public FeatureTable items() { return items; }

    public int[][] itemRemap() { return itemRemap; }

    public int[][] userRemap() { return userRemap; }

    /**
     * Which value ids the model treats as "unknown" (id 0): those seen fewer than {@code minCount}
     * times in training, counted per occurrence. A new item's feature value that training never saw
     * (a decade of only new items, a new director) would otherwise reach the model through an
     * embedding row still at its random initialisation; mapped to unknown, it uses the row that
     * training shaped on rare values.
     *
     * @param counts per field, the training occurrences of each value id
     */
    public static int[][] remap(List<int[]> counts, int minCount) {
        int[][] out = new int[counts.size()][];
        for (int f = 0; f < out.length; f++) {
            int[] c = counts.get(f);
            out[f] = new int[c.length];
            for (int id = 0; id < c.length; id++) out[f][id] = c[id] >= minCount ? id : 0;
        }
        return out;
    }

    /** Number of items in the catalogue. */
    public int numItems() { return items.rows(); }

    /** Number of users the identity table has rows for (1..numUsers; row 0 is "unknown"). */
    public int numUsers() { return knownUsers.length; }

    /** Which items have a trained identity (a copy). */
    public boolean[] knownItems() { return knownItems.clone(); }

    /** Which users have a trained identity (a copy). */
    public boolean[] knownUsers() { return knownUsers.clone(); }

    /**
     * The user's feature ids, per user field (each a bag; one id for a categorical field), and the
     * user's identity: row of the identity table (dataset row + 1), 0 for a user the model has never
     * seen (a new user of {@code recommend}).
     */
    public record UserProfile(int[][] ids, int identity) {
        /** A user without an identity (new to the model). */
        public UserProfile(int[][] ids) {
            this(ids, 0);
        }

        /** The profile of row {@code user} of a user feature table. */
        public static UserProfile of(FeatureTable users, int user) {
            int[][] ids = new int[users.fieldCount()][];
            for (int f = 0; f < ids.length; f++) ids[f] = users.values(f, user);
            return new UserProfile(ids, user + 1);
        }

        /** The same user, unknown to the identity table (its features only). */
        public UserProfile anonymous() {
            return new UserProfile(ids, 0);
        }
    }

    /**
     * A new user's profile from field values, e.g. {@code {"gender": "F", "age": "25-34"}} (a
     * multi-valued field takes {@code a|b}); fields not given are missing, values the vocabulary
     * does not know count as missing; a field the model does not have is an error naming the fields.
     */
    public UserProfile profile(java.util.Map<String, String> values) {
        int[][] ids = new int[userFields.size()][];
        for (int f = 0; f < ids.length; f++) ids[f] = userFields.get(f).multiValued() ? new int[0] : new int[] {0};
        for (var e : values.entrySet()) {
            int f = -1;
            for (int i = 0; i < userFields.size(); i++) if (userFields.get(i).name().equals(e.getKey())) f = i;
            if (f < 0)
                throw new IllegalArgumentException("the model has no user field '" + e.getKey() + "'; its fields: "
                        + userFields.stream().map(Field::name).toList());
            ids[f] = userFields.get(f).encode(e.getValue());
        }
        return new UserProfile(ids);
    }

    /**
     * Examples of one user with the given items (catalogue indices) and targets (one per item). The
     * identity of catalogue item i is i + 1 and of dataset user u is u + 1 when training knows them, else 0.
     */
    public Examples encode(UserProfile user, int[] itemRows, float[] targets) {
        return encode(user, itemRows, targets, null);
    }

    /**
     * The same, with some item identities hidden (read as unknown, 0): {@code hideItem[k]} for row k
     * (null hides none). Training hides identities at random so that the features' warm start learns
     * to stand in for them (see {@link IdentityEmbedding}). Items and users without a trained
     * identity always read 0.
     */
    public Examples encode(UserProfile user, int[] itemRows, float[] targets, boolean[] hideItem) {
        if (targets.length != itemRows.length)
            throw new IllegalArgumentException(itemRows.length + " items but " + targets.length + " targets");
        if (user.ids().length != userFields.size())
            throw new IllegalArgumentException("a user profile needs " + userFields.size() + " fields, got " + user.ids().length);
        int n = itemRows.length;
        List<Examples.FieldIds> out = new ArrayList<>(specs.size());
        for (int f = 0; f < items.fieldCount(); f++) {
            FeatureTable.Bag bag = items.bag(f, itemRows);
            int[] ids = map(itemRemap, f, bag.ids());
            out.add(new Examples.FieldIds(Indices.wrap(ids), items.field(f).multiValued() ? Indices.wrap(bag.offsets()) : null));
        }
        if (items.fieldCount() == 0) out.add(new Examples.FieldIds(Indices.wrap(new int[n]), null));
        for (int f = 0; f < userFields.size(); f++) out.add(repeat(map(userRemap, f, user.ids()[f]), n, userFields.get(f).multiValued()));
        if (userFields.isEmpty()) out.add(new Examples.FieldIds(Indices.wrap(new int[n]), null));
        int[] itemIds = new int[n], userIds = new int[n];
        int u = user.identity() - 1;
        int uid = u >= 0 && u < knownUsers.length && knownUsers[u] ? u + 1 : 0;
        for (int k = 0; k < n; k++) {
            itemIds[k] = hideItem != null && hideItem[k] || !knownItems[itemRows[k]] ? 0 : itemRows[k] + 1;
            userIds[k] = uid;
        }
        return new Examples(out, Indices.wrap(itemIds), Indices.wrap(userIds), Tensor.of(targets, n, 1));
    }

    private static int[] map(int[][] remap, int field, int[] ids) {
        if (remap == null) return ids;
        int[] r = remap[field], out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = ids[i] < r.length ? r[ids[i]] : 0;
        return out;
    }

    private static Examples.FieldIds repeat(int[] ids, int rows, boolean multi) {
        if (!multi) {
            int[] r = new int[rows];
            java.util.Arrays.fill(r, ids.length == 0 ? 0 : ids[0]);
            return new Examples.FieldIds(Indices.wrap(r), null);
        }
        int[] all = new int[rows * ids.length], off = new int[rows + 1];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(ids, 0, all, r * ids.length, ids.length);
            off[r + 1] = (r + 1) * ids.length;
        }
        return new Examples.FieldIds(Indices.wrap(all), Indices.wrap(off));
    }
}
