package io.metarec.rec.model;

import io.metarec.autograd.Functional;
import io.metarec.autograd.Linalg;
import io.metarec.autograd.ShapeOps;
import io.metarec.autograd.Tensor;
import io.metarec.meta.Batch;
import io.metarec.meta.LossKind;
import io.metarec.meta.MetaModel;
import io.metarec.nn.Activation;
import io.metarec.nn.Linear;
import io.metarec.nn.Mlp;
import io.metarec.nn.Params;

import java.util.List;

/**
 * The MeLU user preference estimator (Lee et al. 2019): each user and item field embedded
 * (dim 32; multi-valued fields mean-pooled), concatenated, then an MLP 64-64-1 with ReLU.
 * Explicit feedback predicts the rating (MSE); implicit predicts a click logit (BCE).
 *
 * <p>With {@link Identity} (the default model; off for the paper's exact MeLU) the model also knows
 * who the item and the user are ({@link IdentityEmbedding}: id embeddings e_i, e_u and biases
 * b_i, b_u, generated from the features for ids training never saw) and has the user's own
 * adaptable parameters ("personal": an offset δ and a bias β, both starting at 0):
 * <pre>
 *   u      = e_u + g_v·δ
 *   rating = MLP([fields, e_i, u]) + ⟨e_i, u⟩ + b_i + b_u + g_b·β
 * </pre>
 * the dot product being biased matrix factorisation's term, beside MeLU's MLP. The gains g_v, g_b
 * ("gain") are meta-learned and never adapted: they set how far the inner loop's steps move the
 * user (its effective step size on δ and β is α·g²; one scalar among thousands of MLP weights
 * would otherwise barely move at MeLU's rate).
 *
 * <p>What adapts per user is chosen by the learner configuration: the MLP ("mlp") and the
 * personal parameters ("personal") by default; the embeddings ("emb") are meta-learned.
 */
public final class MeluModel implements MetaModel<Examples> {
    /** Group of the user's own parameters (δ, β), adapted in the inner loop. */
    public static final String PERSONAL = "personal";
    /** Group of the fold-in's ridge penalties (log λ of the offset and of the bias), meta-learned. */
    public static final String FOLD = "fold";
    /** Group of the meta-learned gains on the personal parameters. */
    public static final String GAIN = "gain";
    /** Initial gain on the personal bias: an inner step of α = 0.01 then moves it by ~0.09 of the support's mean error. */
    static final float BIAS_GAIN = 3f;
    /**
     * Initial gain on the personal offset δ (effective step α·25 at α = 0.01). Chosen on ML-100K's
     * validation users before training: the initial validation loss fell from 0.976 (gain 1) to
     * 0.958 (3) and 0.925 (6); at 10 and more the inner loop diverged on some users.
     */
    static final float OFFSET_GAIN = 5f;
    /**
     * κ of the inner loop's support shrinkage (LossKind#perTaskShrunk): a support of n ratings
     * weighs n / (n + κ). Without it adapting to one rating hurt (ML-100K, three splits, given-n 1:
     * user-cold MAE 0.854 adapted vs 0.845 unadapted; item-cold 1.059 vs 0.964); with κ = 3: 0.828 vs
     * 0.844 and 0.955 vs 0.966, full supports unchanged or better (κ = 10 was about the same, with a
     * lower user-cold nDCG@3).
     */
    static final float SUPPORT_SHRINK = 3f;

    /**
     * Identity and bias terms: catalogue and user counts for the identity tables, and optionally
     * the item rows they start from (numItems × (d + 1), row-major: embedding then bias, e.g. a
     * factorisation's item factors and biases; null: zero).
     */
    public record Identity(int numItems, int numUsers, float[] itemRows, float foldInLambda) {
        public Identity(int numItems, int numUsers) {
            this(numItems, numUsers, null, 0f);
        }

        public Identity(int numItems, int numUsers, float[] itemRows) {
            this(numItems, numUsers, itemRows, 0f);
        }

        /** Whether the user's personal parameters are first fitted to the support in closed form ({@link MeluModel#warmStart}). */
        public boolean foldIn() { return foldInLambda > 0; }
    }

    private final FieldEmbedder embedder;
    private final IdentityEmbedding identity;
    private final Mlp mlp;
    private final LossKind loss;
    private final float initialBias;
    private final int fieldWidth;
    private final Identity foldIn;

    /**
     * @param initialBias the output bias at initialisation: the mean training rating (or the logit of
     *                    the like rate), so the inner loop does not start by chasing a constant offset
     * @param identity    identity embeddings, biases and personal parameters; null for MeLU's exact model
     */
    public MeluModel(List<FieldSpec> fields, int embeddingDim, int[] hidden, LossKind loss, float initialBias, Identity identity) {
        this.embedder = new FieldEmbedder(fields, embeddingDim);
        this.fieldWidth = embedder.width();
        this.identity = identity == null ? null : new IdentityEmbedding(embeddingDim, identity, embedder.width(FieldSpec.Side.ITEM),
                embedder.width(FieldSpec.Side.USER));
        int[] sizes = new int[hidden.length + 2];
        sizes[0] = fieldWidth + (identity == null ? 0 : 2 * embeddingDim);
        System.arraycopy(hidden, 0, sizes, 1, hidden.length);
        sizes[sizes.length - 1] = 1;
        this.mlp = new Mlp("mlp", sizes, Activation.RELU);
        this.loss = loss;
        this.initialBias = initialBias;
        this.foldIn = identity != null && identity.foldIn() ? identity : null;
    }

    public MeluModel(List<FieldSpec> fields, int embeddingDim, int[] hidden, LossKind loss, float initialBias) {
        this(fields, embeddingDim, hidden, loss, initialBias, null);
    }

    public MeluModel(List<FieldSpec> fields, int embeddingDim, int[] hidden, LossKind loss) {
        this(fields, embeddingDim, hidden, loss, 0f);
    }

    /** MeLU's sizes: embedding 32, hidden 64-64. */
    public MeluModel(List<FieldSpec> fields, LossKind loss) {
        this(fields, 32, new int[] {64, 64}, loss);
    }

    public FieldEmbedder embedder() { return embedder; }

    /** Whether the model has identity and bias terms. */
    public boolean hasIdentity() { return identity != null; }

    @Override public long parameterCount() {
        long n = embedder.parameterCount() + mlp.parameterCount();
        return identity == null ? n : n + identity.parameterCount() + identity.dim() + 3;
    }

    @Override public Params init(long seed) {
        Params p = embedder.init(seed).with(mlp.init(seed));
        String out = mlp.layers().get(mlp.layers().size() - 1).biasName();
        p = p.with(out, Tensor.full(p.get(out).backend(), initialBias, 1));
        if (identity == null) return p;
        int d = identity.dim();
        // The output layer starts at zero: the model starts as the bias baseline (mean + item bias +
        // the user's adapted bias) and meta-training adds what the MLP finds on top of it.
        Linear last = mlp.layers().get(mlp.layers().size() - 1);
        p = p.with(last.weightName(), Tensor.zeros(last.in(), last.out()));
        p = p.with(identity.init(seed))
                .with(PERSONAL + ".offset", Tensor.zeros(d)).with(PERSONAL + ".bias", Tensor.zeros(1))
                .with(GAIN + ".offset", Tensor.full(OFFSET_GAIN, 1)).with(GAIN + ".bias", Tensor.full(BIAS_GAIN, 1));
        if (foldIn == null) return p;
        float logLambda = (float) Math.log(foldIn.foldInLambda());
        return p.with(FOLD + ".log_lambda", Tensor.full(logLambda, 2));
    }

    /**
     * The fold-in (with {@link Identity#foldIn()}): before the inner loop's steps, the user's offset δ
     * and bias β are set to the ridge regression of the support's residuals on the linear part of the
     * model, as a factorisation folds in a new user:
     * <pre>
     *   r = y − rating(δ₀, β₀)        X = [e_i, 1]        (XᵀX + diag(λ_v…λ_v, λ_b)) (a, c) = Xᵀr
     *   δ = δ₀ + a / g_v              β = β₀ + c / g_b
     * </pre>
     * exact for the dot product and the biases (a Gauss–Newton step on the linear part; the MLP's
     * dependence on u is left to the steps that follow, which adapt δ and β too). NOTE: with δ₀ = 0 the
     * offset's gain no longer matters (g·δ = a). λ = e^{fold.log_lambda} starts at the
     * given λ (10; the factorisation's validated λ, 5 on ML-100K, started worse: validation loss
     * 0.93 vs 0.89) and is meta-learned, like every other operation here, through the
     * differentiable solve ({@link Functional#solveSpd}). Squared-error models only: for clicks the
     * model keeps its gradient steps.
     */
    @Override public java.util.Set<String> fittedInClosedForm() {
        return foldIn == null || loss != LossKind.MSE ? java.util.Set.of() : java.util.Set.of(PERSONAL + ".offset", PERSONAL + ".bias");
    }

    @Override public Params fitInClosedForm(Params params, Batch support, Params fast) {
        String offsetName = PERSONAL + ".offset", biasName = PERSONAL + ".bias";
        if (foldIn == null || loss != LossKind.MSE || !fast.contains(offsetName) || !fast.contains(biasName)) return Params.empty();
        Params p = params.with(fast);
        Tensor f = support.features();
        int last = f.rank() - 1, d = identity.dim(), rows = support.rows(), tasks = support.tasks();
        Tensor residual = support.targets().sub(head(p, f));
        Tensor ei = f.slice(last, fieldWidth, fieldWidth + d);
        Tensor design = ShapeOps.concat(List.of(ei, Tensor.full(f.backend(), 1f, ei.rank() == 3 ? new int[] {tasks, rows, 1} : new int[] {rows, 1})), last);
        if (support.mask() != null) {
            design = design.mul(support.mask());
            residual = residual.mul(support.mask());
        }
        design = design.reshape(tasks, rows, d + 1);
        residual = residual.reshape(tasks, rows, 1);
        Tensor lambda = params.get(FOLD + ".log_lambda").exp();
        Tensor penalty = ShapeOps.concat(List.of(lambda.slice(0, 0, 1).expand(d), lambda.slice(0, 1, 2)), 0);
        Tensor normal = Linalg.matmul(design, design, true, false).add(Tensor.eye(f.backend(), d + 1).mul(penalty.reshape(1, d + 1)));
        Tensor solved = Functional.solveSpd(normal, Linalg.matmul(design, residual, true, false)).reshape(tasks, d + 1);
        Tensor offset = solved.slice(1, 0, d).div(params.get(GAIN + ".offset")), bias = solved.slice(1, d, d + 1).div(params.get(GAIN + ".bias"));
        boolean stacked = fast.get(offsetName).rank() == 2;
        if (!stacked) {
            offset = offset.reshape(d);
            bias = bias.reshape(1);
        }
        return Params.empty().with(offsetName, fast.get(offsetName).add(offset)).with(biasName, fast.get(biasName).add(bias));
    }

    @Override public int examples(Examples data) { return data.rows(); }

    /** Features: the field embeddings; with identity, then e_i [d], e_u [d] and b_i + b_u [1]. */
    @Override public int featureWidth() { return identity == null ? fieldWidth : fieldWidth + 2 * identity.dim() + 1; }

    @Override public List<String> embeddingGroups() { return List.of("emb"); }

    @Override public Batch embed(Params params, Examples data) {
        if (identity == null) return new Batch(embedder.embed(params, data, null), data.targets());
        Tensor items = embedder.embed(params, data, FieldSpec.Side.ITEM), users = embedder.embed(params, data, FieldSpec.Side.USER);
        int d = identity.dim();
        Tensor ei = identity.embed(params, data, FieldSpec.Side.ITEM, items), eu = identity.embed(params, data, FieldSpec.Side.USER, users);
        Tensor bias = ei.slice(1, d, d + 1).add(eu.slice(1, d, d + 1));
        return new Batch(ShapeOps.concat(List.of(items, users, ei.slice(1, 0, d), eu.slice(1, 0, d), bias), 1), data.targets());
    }

    /**
     * What {@link #embed} computes from the item side of rows alone — the item fields' embeddings
     * and, with identities, the item identity e_i and bias b_i — for rows that will each be paired
     * with one user at a time ({@link #embedUser}, {@link #pairedHead}): a catalogue embedded
     * once per parameters instead of once per request. {@code headInputs} [rows, v] are what the
     * items give the MLP (their fields, then e_i), feeding its inputs {@code headColumns};
     * {@code identity} [rows, d] is e_i and {@code identityBias} [rows, 1] b_i (both null without
     * identities).
     */
    public record ItemSide(int rows, Tensor headInputs, int[] headColumns, Tensor identity, Tensor identityBias) {}

    /**
     * The user's side of paired rows: {@code fields} [1, c], the user's field embeddings, feeding the
     * MLP's inputs {@code fieldColumns}; with identities e_u [1, d] ({@code identity}) and the bias
     * column b_i + b_u [rows, 1] ({@code bias}), else null.
     */
    public record UserSide(Tensor fields, int[] fieldColumns, Tensor identity, Tensor bias) {}

    /** The item side of {@code rows} under {@code params} (their user fields are not read). */
    public ItemSide embedItems(Params params, Examples rows) {
        int n = rows.rows();
        if (identity == null) {
            Tensor fields = joined(embedder.parts(params, rows, FieldSpec.Side.ITEM));
            return new ItemSide(n, fields, fieldColumns(FieldSpec.Side.ITEM), null, null);
        }
        int d = identity.dim(), iw = embedder.width(FieldSpec.Side.ITEM);
        Tensor items = embedder.embed(params, rows, FieldSpec.Side.ITEM);
        Tensor ei = identity.embed(params, rows, FieldSpec.Side.ITEM, items), e = ei.slice(1, 0, d);
        // the MLP reads [fields (items' then users'), e_i, u]: e_i starts after all fields
        return new ItemSide(n, ShapeOps.concat(List.of(items, e), 1), spans(new int[] {0, fieldWidth}, iw, d), e, ei.slice(1, d, d + 1));
    }

    /** The side of {@code user} (one row: that user's fields and identity; its item side is not read) for rows of {@code items}. */
    public UserSide embedUser(Params params, ItemSide items, Examples user) {
        if (user.rows() != 1) throw new IllegalArgumentException("paired features: one user row needed, got " + user.rows());
        if (identity == null)
            return new UserSide(joined(embedder.parts(params, user, FieldSpec.Side.USER)), fieldColumns(FieldSpec.Side.USER), null, null);
        int d = identity.dim();
        Tensor users = embedder.embed(params, user, FieldSpec.Side.USER);
        Tensor eu = identity.embed(params, user, FieldSpec.Side.USER, users);
        // with identities the fields are ordered items' then users' (embed)
        return new UserSide(users, spans(new int[] {embedder.width(FieldSpec.Side.ITEM)}, embedder.width(FieldSpec.Side.USER)),
                eu.slice(1, 0, d), items.identityBias().add(eu.slice(1, d, d + 1)));
    }

    /** Without identities: the feature columns of one side's fields, each {@code dim} wide, in field order. */
    private int[] fieldColumns(FieldSpec.Side side) {
        List<FieldSpec> fields = embedder.fields();
        List<Integer> starts = new java.util.ArrayList<>();
        for (int f = 0; f < fields.size(); f++) if (fields.get(f).side() == side) starts.add(f * embedder.dim());
        return spans(starts.stream().mapToInt(Integer::intValue).toArray(), embedder.dim());
    }

    /** The blocks side by side (one block: itself). */
    private static Tensor joined(List<Tensor> blocks) {
        return blocks.size() == 1 ? blocks.get(0) : ShapeOps.concat(blocks, 1);
    }

    /** The columns of blocks starting at {@code starts} with widths {@code widths} (one width: all the same). */
    private static int[] spans(int[] starts, int... widths) {
        int total = 0;
        for (int i = 0; i < starts.length; i++) total += widths[widths.length == 1 ? 0 : i];
        int[] out = new int[total];
        for (int i = 0, k = 0; i < starts.length; i++)
            for (int c = 0; c < widths[widths.length == 1 ? 0 : i]; c++) out[k++] = starts[i] + c;
        return out;
    }

    /**
     * {@code head(params, features)} for the rows pairing each item of {@code items} with the user,
     * without building those rows: the MLP's first layer splits its inputs into the items'
     * ({@link ItemSide#headInputs}, a row each) and the user's (one row for all: the user's fields
     * and, with identities, u = e_u + g_v·δ), whose product is computed once and added as a bias
     * ({@link Mlp#forwardWithConstantInputs}). For MeLU's 128 item and 128 user inputs that halves
     * the first layer's work for a catalogue. Equal to {@link #embed} then {@link #head} of those
     * rows up to float rounding, not bitwise.
     */
    public Tensor pairedHead(Params params, ItemSide items, UserSide user) {
        if (identity == null)
            return mlp.forwardWithConstantInputs(params, items.headInputs(), items.headColumns(), user.fields(), user.fieldColumns());
        int d = identity.dim();
        Tensor u = user.identity().add(params.get(PERSONAL + ".offset").mul(params.get(GAIN + ".offset")));
        int[] fieldColumns = user.fieldColumns(), columns = java.util.Arrays.copyOf(fieldColumns, fieldColumns.length + d);
        for (int c = 0; c < d; c++) columns[fieldColumns.length + c] = fieldWidth + d + c; // u comes after the fields and e_i
        Tensor out = mlp.forwardWithConstantInputs(params, items.headInputs(), items.headColumns(), ShapeOps.concat(List.of(user.fields(), u), 1), columns);
        return withIdentityTerms(params, out, items.identity(), u, user.bias(), params.get(PERSONAL + ".bias"));
    }

    @Override public Tensor head(Params params, Tensor features) {
        if (identity == null) return mlp.forward(params, features);
        int last = features.rank() - 1, d = identity.dim(), f = fieldWidth;
        Tensor fields = features.slice(last, 0, f + d), ei = features.slice(last, f, f + d);
        Tensor eu = features.slice(last, f + d, f + 2 * d), bias = features.slice(last, f + 2 * d, f + 2 * d + 1);
        Tensor offset = params.get(PERSONAL + ".offset"), beta = params.get(PERSONAL + ".bias");
        if (features.rank() == 3 && offset.rank() == 2) { // per-task personal parameters: broadcast over the task's rows
            offset = offset.reshape(offset.dim(0), 1, d);
            beta = beta.reshape(beta.dim(0), 1, 1);
        }
        Tensor u = eu.add(offset.mul(params.get(GAIN + ".offset")));
        Tensor out = mlp.forward(params, ShapeOps.concat(List.of(fields, u), last));
        return withIdentityTerms(params, out, ei, u, bias, beta);
    }

    /** The MLP's output plus the factorisation's terms: + ⟨e_i, u⟩ + (b_i + b_u) + g_b·β. */
    private static Tensor withIdentityTerms(Params params, Tensor out, Tensor ei, Tensor u, Tensor bias, Tensor beta) {
        int last = out.rank() - 1;
        return out.add(ei.mul(u).sum(last, true)).add(bias).add(beta.mul(params.get(GAIN + ".bias")));
    }

    /** One lookup per table for the whole meta-batch (the backward pass then scatters once). */
    @Override public Batch embedStack(Params params, List<Examples> data) {
        return Batch.stackRows(embed(params, Examples.concat(data)), Examples.rows(data));
    }

    @Override public LossKind loss() { return loss; }

    /** With identities, the support loss is shrunk by n / (n + κ) (see {@link MeluModel#SUPPORT_SHRINK}). */
    @Override public Tensor supportLoss(Tensor pred, Tensor target, Tensor mask) {
        return identity == null ? loss.perTask(pred, target, mask) : loss.perTaskShrunk(pred, target, mask, MeluModel.SUPPORT_SHRINK);
    }
}
