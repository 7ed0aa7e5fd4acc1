package io.metarec.rec.model;

import io.metarec.autograd.Indexing;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Indices;
import io.metarec.nn.Init;
import io.metarec.nn.Linear;
import io.metarec.nn.Params;

/**
 * Who an item or a user is, beside what its features say: per side s (item, user), an identity
 * table {@code emb.id.s.weight} [ids + 1, d + 1] whose row holds the id's embedding (columns
 * 0..d−1) and its bias (column d), plus a warm start generated from the side's field embeddings
 * x_s by a linear generator {@code emb.gen.s}:
 * <pre>
 *   identity_s = table_s[id] + G_s(x_s)          (row 0 = unknown id)
 * </pre>
 * Tables start at zero (or, for items, from given rows such as a factorisation's item factors
 * and biases), and row 0 serves every id training does not know — a new item, a user
 * of the evaluation — so that it reads its generated warm start G_s(x_s) (MetaEmb, Pan et al.
 * SIGIR 2019: an embedding for a new id generated from its features), never a random or a zero row. The table learns each
 * known id's residual over the generator. During meta-training a share of the known identities is
 * hidden (read as 0, see {@code TaskFactory}), so G learns to stand in for the table on the ids it
 * will meet cold: MetaEmb's cold-start objective, trained jointly with the meta-learner that
 * adapts from the first ratings.
 */
public final class IdentityEmbedding {
    private final int dim;
    private final int items, users;
    private final float[] itemRows;
    private final Linear itemGen, userGen;

    /**
     * @param dim        embedding dimension d
     * @param sizes      items and users with an identity (rows 1..n) and their initial biases
     * @param itemWidth  width of the item side's field embeddings (the item generator's input)
     * @param userWidth  the same for the user side
     */
    public IdentityEmbedding(int dim, MeluModel.Identity sizes, int itemWidth, int userWidth) {
        int numItems = sizes.numItems(), numUsers = sizes.numUsers();
        if (dim < 1 || numItems < 0 || numUsers < 0 || itemWidth < 1 || userWidth < 1)
            throw new IllegalArgumentException("identity embedding: bad sizes dim=" + dim + " items=" + numItems + " users=" + numUsers);
        if (sizes.itemRows() != null && sizes.itemRows().length != numItems * (dim + 1))
            throw new IllegalArgumentException("identity embedding: initial item rows must be " + numItems + " × " + (dim + 1));
        this.dim = dim;
        this.items = numItems;
        this.users = numUsers;
        this.itemRows = sizes.itemRows();
        this.itemGen = new Linear("emb.gen.item", itemWidth, dim + 1);
        this.userGen = new Linear("emb.gen.user", userWidth, dim + 1);
    }

    public int dim() { return dim; }

    public static String tableName(FieldSpec.Side side) {
        return "emb.id." + (side == FieldSpec.Side.ITEM ? "item" : "user") + ".weight";
    }

    /**
     * Zero tables; generators with small weights (std 0.1·Xavier), so that at the start the
     * identity terms are small next to the features and the dot product of two identities is not a
     * saddle point at zero.
     */
    /** Number of values in {@link #init}'s parameters. */
    public long parameterCount() {
        return ((long) items + 1) * (dim + 1) + ((long) users + 1) * (dim + 1) + itemGen.parameterCount() + userGen.parameterCount();
    }

    public Params init(long seed) {
        Params p = Params.empty()
                .with(tableName(FieldSpec.Side.ITEM), table(items, itemRows))
                .with(tableName(FieldSpec.Side.USER), table(users, null));
        for (Linear g : new Linear[] {itemGen, userGen}) {
            Tensor w = Init.XAVIER_NORMAL.draw(seed, g.weightName(), g.in(), g.in(), g.out());
            float[] v = w.toArray();
            for (int k = 0; k < v.length; k++) v[k] *= 0.1f;
            p = p.with(g.weightName(), Tensor.of(v, g.in(), g.out())).with(g.biasName(), Tensor.zeros(g.out()));
        }
        return p;
    }

    /** [n + 1, d + 1]: row 0 (unknown) zero, rows 1..n the given rows (zero when none are given). */
    private Tensor table(int n, float[] rows) {
        float[] t = new float[(n + 1) * (dim + 1)];
        if (rows != null) System.arraycopy(rows, 0, t, dim + 1, n * (dim + 1));
        return Tensor.of(t, n + 1, dim + 1);
    }

    /** [rows, d + 1]: each row's identity embedding and bias on one side, from its field embeddings [rows, width]. */
    public Tensor embed(Params p, Examples x, FieldSpec.Side side, Tensor sideFeatures) {
        Indices ids = x.identities(side);
        int rows = side == FieldSpec.Side.ITEM ? items : users;
        int bad = ids.firstOutOfRange(rows + 1);
        if (bad >= 0)
            throw new IndexOutOfBoundsException((side == FieldSpec.Side.ITEM ? "item" : "user") + " identity " + ids.get(bad)
                    + " is outside the model's " + rows + " (was the model trained on another dataset?)");
        Tensor generated = (side == FieldSpec.Side.ITEM ? itemGen : userGen).forward(p, sideFeatures);
        return Indexing.gatherRows(p.get(tableName(side)), ids).add(generated);
    }
}
