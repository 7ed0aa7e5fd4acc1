package io.metarec.nn;

import io.metarec.autograd.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A stack of {@link Linear} layers {@code name.fc1 … name.fcN} with an activation between them and
 * {@code outputActivation} after the last (identity for a regression or logit head).
 */
public final class Mlp {
    private final String name;
    private final List<Linear> layers;
    private final Activation activation;
    private final Activation outputActivation;

    public Mlp(String name, int[] sizes, Activation activation, Activation outputActivation) {
        if (sizes.length < 2) throw new IllegalArgumentException("Mlp " + name + ": needs at least input and output sizes");
        this.name = name;
        this.activation = activation;
        this.outputActivation = outputActivation;
        this.layers = new ArrayList<>();
        for (int i = 0; i + 1 < sizes.length; i++) {
            boolean last = i + 2 == sizes.length;
            Init init = last ? Init.XAVIER_NORMAL : activation.weightInit();
            layers.add(new Linear(name + ".fc" + (i + 1), sizes[i], sizes[i + 1], true, init));
        }
    }

    public Mlp(String name, int[] sizes, Activation activation) {
        this(name, sizes, activation, Activation.IDENTITY);
    }

    public String name() { return name; }

    public List<Linear> layers() { return List.copyOf(layers); }

    /** Number of values in {@link #init}'s parameters. */
    public long parameterCount() {
        long n = 0;
        for (Linear l : layers) n += l.parameterCount();
        return n;
    }

    public Params init(long seed) {
        Params p = Params.empty();
        for (Linear l : layers) p = p.with(l.init(seed));
        return p;
    }

    /**
     * {@link #forward} for rows whose inputs {@code constantInputs} are the same on every row: the
     * first layer's product for those inputs is computed once
     * ({@link Linear#forwardWithConstantInputs}); equal to {@code forward} over the full rows up to
     * float rounding.
     */
    public Tensor forwardWithConstantInputs(Params p, Tensor varying, int[] varyingInputs, Tensor constant, int[] constantInputs) {
        Tensor h = layers.get(0).forwardWithConstantInputs(p, varying, varyingInputs, constant, constantInputs,
                layers.size() > 1 ? activation : outputActivation);
        for (int i = 1; i < layers.size(); i++) h = layers.get(i).forward(p, h, i + 1 < layers.size() ? activation : outputActivation);
        return h;
    }

    public Tensor forward(Params p, Tensor x) {
        Tensor h = x;
        for (int i = 0; i < layers.size(); i++) {
            h = layers.get(i).forward(p, h, i + 1 < layers.size() ? activation : outputActivation);
        }
        return h;
    }
}
