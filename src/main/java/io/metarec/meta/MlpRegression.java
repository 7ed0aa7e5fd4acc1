package io.metarec.meta;

import io.metarec.autograd.Tensor;
import io.metarec.nn.Activation;
import io.metarec.nn.Mlp;
import io.metarec.nn.Params;

import java.util.List;

/**
 * A plain MLP regressor as a {@link MetaModel}: the task data is already a {@link Batch} of input
 * features and targets (no embedding stage), the head is the MLP {@code mlp.fc1 … mlp.fcN}.
 * The sinusoid benchmark of Finn et al. uses sizes 1-40-40-1 with ReLU.
 */
public final class MlpRegression implements MetaModel<Batch> {
    private final Mlp mlp;
    private final LossKind loss;

    public MlpRegression(int[] sizes, Activation activation, LossKind loss) {
        this.mlp = new Mlp("mlp", sizes, activation);
        this.loss = loss;
    }

    public MlpRegression(int[] sizes, Activation activation) {
        this(sizes, activation, LossKind.MSE);
    }

    public Mlp mlp() { return mlp; }

    @Override public Params init(long seed) { return mlp.init(seed); }

    @Override public List<String> embeddingGroups() { return List.of(); }

    @Override public Batch embed(Params params, Batch data) { return data; }

    @Override public Tensor head(Params params, Tensor features) { return mlp.forward(params, features); }

    @Override public LossKind loss() { return loss; }
}
