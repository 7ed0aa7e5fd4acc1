package io.metarec.meta;

import io.metarec.autograd.Tensor;
import io.metarec.nn.Activation;
import io.metarec.nn.Init;
import io.metarec.nn.Linear;
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
    private final int[] sizes;
    private final Init init;

    public MlpRegression(int[] sizes, Activation activation, LossKind loss) {
        this(sizes, activation, loss, null);
    }

    /**
     * @param init how every layer's weights and biases are drawn: {@link Init#TORCH_DEFAULT} gives
     *             PyTorch's nn.Linear (U(±1/√fanIn) for both); any other draws the weights with it
     *             and zero biases; null keeps {@link Mlp}'s defaults (He for ReLU, Xavier last)
     */
    public MlpRegression(int[] sizes, Activation activation, LossKind loss, Init init) {
        this.mlp = new Mlp("mlp", sizes, activation);
        this.sizes = sizes.clone();
        this.loss = loss;
        this.init = init;
    }

    public MlpRegression(int[] sizes, Activation activation) {
        this(sizes, activation, LossKind.MSE);
    }

    public Mlp mlp() { return mlp; }

    @Override public Params init(long seed) {
        if (init == null) return mlp.init(seed);
        Params p = Params.empty();
        for (Linear l : mlp.layers()) {
            p = p.with(l.weightName(), init.draw(seed, l.weightName(), l.in(), l.in(), l.out()));
            p = p.with(l.biasName(), init == Init.TORCH_DEFAULT ? init.draw(seed, l.biasName(), l.in(), l.out()) : Tensor.zeros(l.out()));
        }
        return p;
    }

    @Override public List<String> embeddingGroups() { return List.of(); }

    @Override public Batch embed(Params params, Batch data) { return data; }

    @Override public int examples(Batch data) { return data.rows(); }

    @Override public int featureWidth() { return sizes[0]; }

    @Override public int targetWidth() { return sizes[sizes.length - 1]; }

    @Override public Tensor head(Params params, Tensor features) { return mlp.forward(params, features); }

    @Override public LossKind loss() { return loss; }
}
