package io.metarec.meta;

import io.metarec.autograd.Autograd;
import io.metarec.autograd.Elementwise;
import io.metarec.autograd.GradMode;
import io.metarec.autograd.ShapeOps;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Distribution;
import io.metarec.backend.Shapes;
import io.metarec.nn.Init;
import io.metarec.nn.Params;
import io.metarec.optim.Optimizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Meta-LSTM (Ravi &amp; Larochelle 2017): the inner loop's optimizer is a two-layer LSTM applied to
 * every coordinate of the adapted parameters, with the same weights for all of them.
 * <ol>
 *   <li>Layer 1, a standard LSTM of width {@link #HIDDEN} (20), reads per coordinate the
 *       preprocessed gradient and the preprocessed support loss, four numbers. The preprocessing of
 *       Andrychowicz et al. 2016 with p = 10: x ↦ (log|x| / p, sign x) if |x| ≥ e^−p, else (−1, e^p·x).</li>
 *   <li>Layer 2, the meta-learner cell, keeps the parameters themselves as its cell state:
 *       <pre>
 *   i_t = σ(W_I·[h_t, θ_{t−1}, i_{t−1}] + b_I)      (a learned, per-coordinate step size)
 *   f_t = σ(W_F·[h_t, θ_{t−1}, f_{t−1}] + b_F)      (a learned, per-coordinate shrinkage)
 *   θ_t = f_t ⊙ θ_{t−1} − i_t ⊙ ∇_t</pre>
 *       with the initial cell state θ_0 = θ, the meta-learned initialisation.</li>
 * </ol>
 * All coordinates of all adapted parameters (of all tasks, for a stack) go through the LSTM as one
 * [P, …] batch of rows, so a step is a handful of Tensor ops whatever the model's size.
 *
 * <p>Meta-parameters of the learner, prefix {@code metalstm.}: {@code lstm.weight} [4 + H, 4H] and
 * {@code lstm.bias} [4H] (gates in PyTorch's order i, f, g, o; PyTorch's LSTMCell init U(±1/√H)),
 * {@code cell.input.weight} / {@code cell.forget.weight} [H + 2, 1] (U(±0.01)),
 * {@code cell.input.bias} ~ U(−5, −4) and {@code cell.forget.bias} ~ U(4, 5) [1]: the cell starts
 * close to plain gradient descent with step σ(b_I) ≈ 0.01 and almost no shrinkage. Drawn with
 * {@link Init} from the configured seed.
 *
 * <p>Order: FIRST_ORDER is the paper's choice (the gradient and loss inputs are constants; the
 * meta-gradient still flows through θ_{t−1} in the cell and gates); SECOND_ORDER also
 * differentiates through ∇_t. {@code config.innerLr} is not used: the step size is the input gate.
 */
public final class MetaLstm<D> extends MetaLearner<D> {
    static final String PREFIX = "metalstm.";
    /** Width of the first LSTM layer in the paper. */
    public static final int HIDDEN = 20;
    /** The preprocessing constant p. */
    static final float P = 10f;
    private static final int INPUTS = 4;

    static final String LSTM_W = PREFIX + "lstm.weight", LSTM_B = PREFIX + "lstm.bias";
    static final String WI = PREFIX + "cell.input.weight", BI = PREFIX + "cell.input.bias";
    static final String WF = PREFIX + "cell.forget.weight", BF = PREFIX + "cell.forget.bias";

    private final int hidden;

    public MetaLstm(MetaModel<D> model, LearnerConfig config) {
        this(model, config, HIDDEN, null);
    }

    /**
     * @param hidden width of the first LSTM layer (20 in the paper)
     * @param outer  the outer optimizer (null: Adam with config.outerLr)
     */
    public MetaLstm(MetaModel<D> model, LearnerConfig config, int hidden, Optimizer outer) {
        super(model, config, outer);
        if (hidden < 1) throw new IllegalArgumentException("metalstm: hidden width must be at least 1, got " + hidden);
        this.hidden = hidden;
    }

    @Override public String name() { return "metalstm"; }

    @Override protected Params initLearnerParams(Params adaptedTheta) {
        long seed = config.seed();
        float bound = (float) (1 / Math.sqrt(hidden));
        int in = INPUTS + hidden, cellIn = hidden + 2;
        return Params.empty()
                .with(LSTM_W, Init.sample(Distribution.UNIFORM, seed, LSTM_W, -bound, bound, in, 4 * hidden))
                .with(LSTM_B, Init.sample(Distribution.UNIFORM, seed, LSTM_B, -bound, bound, 4 * hidden))
                .with(WI, Init.sample(Distribution.UNIFORM, seed, WI, -0.01f, 0.01f, cellIn, 1))
                .with(BI, Init.sample(Distribution.UNIFORM, seed, BI, -5f, -4f, 1))
                .with(WF, Init.sample(Distribution.UNIFORM, seed, WF, -0.01f, 0.01f, cellIn, 1))
                .with(BF, Init.sample(Distribution.UNIFORM, seed, BF, 4f, 5f, 1));
    }

    @Override protected Adaptation adapt(Params meta, SupportSet support, Params fast, int steps, boolean training, Guard guard) {
        boolean second = training && config.order() == Order.SECOND_ORDER;
        fast = fast.with(fitInClosedForm(support, fast, steps));
        Flat layout = new Flat(meta, fast.names(), support.batch().stacked() ? support.tasks() : 0);
        int rows = layout.tasks * layout.size;
        Tensor theta = layout.flatten(fast);
        Tensor zeros = Tensor.zeros(theta.backend(), rows, hidden), zero = Tensor.zeros(theta.backend(), rows, 1);
        Tensor h = zeros, c = zeros, iPrev = zero, fPrev = zero;
        for (int k = 0; k < steps; k++) {
            // At evaluation each step starts from a constant: nothing links the steps' graphs.
            if (!training) theta = theta.detach().requiringGrad();
            Tensor per = support.perTaskLoss(layout.unflatten(theta));
            guard.checkLoss(per, k);
            Tensor grad = Autograd.grad(per.rank() == 0 ? per : per.sum(), List.of(theta), second).get(0);
            List<Tensor> byTask = List.of(grad.reshape(layout.tasks, layout.size));
            guard.checkGradients(byTask, k, layout.stacked());
            grad = InnerClip.apply(byTask, config.innerClipNorm(), config.innerClipValue(), layout.stacked()).get(0).reshape(rows, 1);
            Tensor loss = per.reshape(layout.tasks, 1).expand(layout.tasks, layout.size).reshape(rows, 1);
            if (!second) loss = loss.detach();
            try (var mode = training ? GradMode.enabled() : GradMode.disabled()) {
                Tensor x = ShapeOps.concat(List.of(preprocess(grad), preprocess(loss), h), 1);
                Tensor z = x.matmul(meta.get(LSTM_W)).add(meta.get(LSTM_B));
                Tensor i = z.slice(1, 0, hidden).sigmoid(), f = z.slice(1, hidden, 2 * hidden).sigmoid();
                Tensor g = z.slice(1, 2 * hidden, 3 * hidden).tanh(), o = z.slice(1, 3 * hidden, 4 * hidden).sigmoid();
                c = f.mul(c).add(i.mul(g));
                h = o.mul(c.tanh());
                Tensor fGate = ShapeOps.concat(List.of(h, theta, fPrev), 1).matmul(meta.get(WF)).add(meta.get(BF)).sigmoid();
                Tensor iGate = ShapeOps.concat(List.of(h, theta, iPrev), 1).matmul(meta.get(WI)).add(meta.get(BI)).sigmoid();
                theta = fGate.mul(theta).sub(iGate.mul(grad));
                fPrev = fGate;
                iPrev = iGate;
            }
        }
        return new Adaptation(layout.unflatten(theta));
    }

    /**
     * The gradient/loss preprocessing of Andrychowicz et al. 2016, per row of x [R, 1] → [R, 2]:
     * (log|x| / p, sign x) where |x| ≥ e^−p, else (−1, e^p·x). NOTE: the log reads |x| clamped to
     * e^−p so that small entries (whose first output is the constant −1) never produce log 0.
     */
    static Tensor preprocess(Tensor x) {
        float threshold = (float) Math.exp(-P);
        Tensor a = x.abs();
        Tensor big = Elementwise.step(a.sub(threshold), 0f);
        Tensor small = big.neg().add(1f);
        Tensor magnitude = a.clamp(threshold, Float.MAX_VALUE).log().div(P).mul(big).sub(small);
        Tensor direction = Elementwise.sign(x).mul(big).add(x.mul((float) Math.exp(P)).mul(small));
        return ShapeOps.concat(List.of(magnitude, direction), 1);
    }

    /**
     * How the adapted parameters map to coordinates: each tensor (per task, for a stack) flattened
     * and concatenated into [T·P, 1] rows, task-major; {@code tasks == 1} for a single task.
     */
    static final class Flat {
        final List<String> names;
        final List<int[]> shapes = new ArrayList<>();
        final int tasks, size;
        private final boolean stacked;

        /** @param stackedTasks T for fast weights with a leading task dimension, 0 for one task */
        Flat(Params meta, List<String> names, int stackedTasks) {
            this.names = List.copyOf(names);
            int n = 0;
            for (String name : names) {
                int[] s = meta.get(name).shape();
                shapes.add(s);
                n += Shapes.size(s);
            }
            this.size = n;
            this.stacked = stackedTasks > 0;
            this.tasks = stacked ? stackedTasks : 1;
        }

        boolean stacked() { return stacked; }

        Tensor flatten(Params fast) {
            List<Tensor> parts = new ArrayList<>(names.size());
            for (String n : names) parts.add(fast.get(n).reshape(tasks, -1));
            return ShapeOps.concat(parts, 1).reshape(tasks * size, 1);
        }

        /** The parameters themselves (no task dimension) as one vector [P]. */
        Tensor flattenShared(Params p) {
            List<Tensor> parts = new ArrayList<>(names.size());
            for (String n : names) parts.add(p.get(n).reshape(-1));
            return ShapeOps.concat(parts, 0);
        }

        /** [T·P, 1] or [T, P] back to named tensors of the parameters' shapes ([T, …] for a stack). */
        Params unflatten(Tensor flat) {
            Tensor byTask = flat.reshape(tasks, size);
            List<Tensor> out = new ArrayList<>(names.size());
            int at = 0;
            for (int i = 0; i < names.size(); i++) {
                int[] s = shapes.get(i);
                int len = Shapes.size(s);
                Tensor part = byTask.slice(1, at, at + len);
                at += len;
                if (stacked) {
                    int[] lifted = new int[s.length + 1];
                    lifted[0] = tasks;
                    System.arraycopy(s, 0, lifted, 1, s.length);
                    out.add(part.reshape(lifted));
                } else out.add(part.reshape(s));
            }
            return Params.of(names, out);
        }
    }
}
