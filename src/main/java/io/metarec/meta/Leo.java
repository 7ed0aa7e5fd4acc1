package io.metarec.meta;

import io.metarec.autograd.Autograd;
import io.metarec.autograd.GradMode;
import io.metarec.autograd.Linalg;
import io.metarec.autograd.ShapeOps;
import io.metarec.autograd.Tensor;
import io.metarec.nn.Init;
import io.metarec.nn.Params;
import io.metarec.optim.Optimizer;

import java.util.List;

/**
 * LEO, latent embedding optimisation (Rusu et al. 2019), with one latent code per task (the
 * paper's regression setting; for recommendation the task is the user, and the code generates that
 * user's head).
 * <ol>
 *   <li><b>Encoder</b>: each support example's features (the model's embed stage) concatenated with
 *       its target, through a linear layer: e_n [E].</li>
 *   <li><b>Relation network</b>: a 3-layer ReLU MLP over every ordered pair (e_n, e_m) of the task's
 *       examples, averaged over the pairs: (μ_z, ρ_z) [2Z], σ_z = softplus(ρ_z). The code is
 *       z = μ_z + σ_z ⊙ ε during meta-training, z = μ_z at evaluation.</li>
 *   <li><b>Decoder</b>: a linear map z ↦ (μ_w, ρ_w) [2P] emitting a Gaussian over the P adapted
 *       parameters, w = θ + μ_w + softplus(ρ_w + b_σ) ⊙ ε (means only at evaluation). The mean's bias is
 *       θ itself, the model's meta-learned parameters, so the model's initialisation gives sensible
 *       weights from the first step and θ stays a meta-parameter (LEO's decoder has its own bias instead).</li>
 *   <li><b>Latent steps</b>: z ← z − α_z ⊙ ∇_z L_support(decode(z)), with a learned α_z [Z]
 *       (initialised to {@link Options#latentLrInit}, 1 as in the paper).</li>
 *   <li><b>Fine-tuning steps</b> on the emitted weights: w ← w − α_w ⊙ ∇_w L_support(w), with a learned
 *       per-element α_w [P] initialised to {@code config.innerLr}.</li>
 * </ol>
 * Meta-loss per task: query loss at w + β·KL(N(μ_z, σ_z²) ‖ N(0, I)) (closed form) +
 * γ·mean((stopgrad(z′) − z)²) (encoder penalty, z′ the code after the latent steps) + λ·mean((C − I)²),
 * C the cosine-similarity matrix of the decoder weight's rows (orthogonality). Defaults β = 1e-3,
 * γ = 1e-9, λ = 1e-3 are those of the paper's public configuration (deepmind/leo config.py). Left out:
 * dropout on the encoder input and the L2 weight penalty (use the outer optimizer's weight decay).
 *
 * <p>Steps: {@code adaptTo(support, k)} and meta-training run k latent steps, then k fine-tuning
 * steps unless {@link Options#finetuneSteps} fixes their number; a NaN is reported with the step
 * counted over both phases (latent steps 0 … k−1, fine-tuning steps k …). Noise comes from the
 * counter-based generator keyed by (seed, meta-step, task), so runs are reproducible and do not depend
 * on threads or stacking.
 *
 * <p>The decoder has Z × 2P weights: emit a small group. For the sinusoid MLP (P = 1,761) all
 * parameters are fine; for a recommendation head of tens of thousands of parameters, adapt its last
 * layer ({@code adaptedGroups = ["mlp.fc3"]}), as the paper emits only the classifier layer.
 *
 * <p>Meta-parameters of the learner, prefix {@code leo.}: {@code encoder.weight} [f + o, E],
 * {@code encoder.bias}, {@code relation.fc1…fc3.weight/bias} ([2E, R], [R, R], [R, 2Z]),
 * {@code decoder.weight} [Z, 2P], {@code decoder.std_bias} [P], {@code latent_lr} [Z],
 * {@code finetune_lr} [P]. Weights are Glorot-uniform (as the paper's code), biases zero.
 */
public final class Leo<D> extends MetaLearner<D> {
    static final String PREFIX = "leo.";
    static final String ENC_W = PREFIX + "encoder.weight", ENC_B = PREFIX + "encoder.bias";
    static final String DEC_W = PREFIX + "decoder.weight", DEC_STD = PREFIX + "decoder.std_bias";
    static final String LATENT_LR = PREFIX + "latent_lr", FINETUNE_LR = PREFIX + "finetune_lr";
    private static final String[] RELATION = {PREFIX + "relation.fc1", PREFIX + "relation.fc2", PREFIX + "relation.fc3"};

    /**
     * LEO's own hyper-parameters.
     *
     * @param latentDim            Z, the size of the latent code
     * @param encoderWidth         E, the encoder's output width
     * @param relationWidth        R, the relation network's hidden width
     * @param finetuneSteps        fine-tuning steps after the latent steps (−1: as many as latent steps)
     * @param latentLrInit         initial latent step size α_z
     * @param klWeight             β
     * @param encoderPenaltyWeight γ
     * @param orthogonalityWeight  λ
     * @param weightStdInit        the emitted weights' initial standard deviation (sets b_σ)
     */
    public record Options(int latentDim, int encoderWidth, int relationWidth, int finetuneSteps, float latentLrInit,
                          float klWeight, float encoderPenaltyWeight, float orthogonalityWeight, float weightStdInit) {
        public Options {
            if (latentDim < 1) throw new IllegalArgumentException("leo: latent dimension must be at least 1, got " + latentDim);
            if (encoderWidth < 1) throw new IllegalArgumentException("leo: encoder width must be at least 1, got " + encoderWidth);
            if (relationWidth < 1) throw new IllegalArgumentException("leo: relation width must be at least 1, got " + relationWidth);
            if (finetuneSteps < -1) throw new IllegalArgumentException("leo: fine-tuning steps must be ≥ 0 (or −1: as many as latent steps), got " + finetuneSteps);
            if (!(latentLrInit > 0) || Float.isInfinite(latentLrInit))
                throw new IllegalArgumentException("leo: initial latent step size must be positive, got " + latentLrInit);
            if (!(klWeight >= 0) || !(encoderPenaltyWeight >= 0) || !(orthogonalityWeight >= 0))
                throw new IllegalArgumentException("leo: regulariser weights must be ≥ 0, got β=" + klWeight + " γ=" + encoderPenaltyWeight + " λ=" + orthogonalityWeight);
            if (!(weightStdInit > 0) || Float.isInfinite(weightStdInit))
                throw new IllegalArgumentException("leo: initial weight standard deviation must be positive, got " + weightStdInit);
        }

        /** Z = 16, E = 32, R = 64, fine-tuning steps as latent steps, α_z = 1, β = 1e-3, γ = 1e-9, λ = 1e-3, σ_w = 1e-3. */
        public static Options defaults() {
            return new Options(16, 32, 64, -1, 1f, 1e-3f, 1e-9f, 1e-3f, 1e-3f);
        }

        public Options withLatentDim(int v) { return new Options(v, encoderWidth, relationWidth, finetuneSteps, latentLrInit, klWeight, encoderPenaltyWeight, orthogonalityWeight, weightStdInit); }
        public Options withFinetuneSteps(int v) { return new Options(latentDim, encoderWidth, relationWidth, v, latentLrInit, klWeight, encoderPenaltyWeight, orthogonalityWeight, weightStdInit); }
        public Options withLatentLrInit(float v) { return new Options(latentDim, encoderWidth, relationWidth, finetuneSteps, v, klWeight, encoderPenaltyWeight, orthogonalityWeight, weightStdInit); }
        public Options withWeights(float kl, float encoder, float orthogonality) { return new Options(latentDim, encoderWidth, relationWidth, finetuneSteps, latentLrInit, kl, encoder, orthogonality, weightStdInit); }
        public Options withWeightStdInit(float v) { return new Options(latentDim, encoderWidth, relationWidth, finetuneSteps, latentLrInit, klWeight, encoderPenaltyWeight, orthogonalityWeight, v); }
    }

    private final Options options;
    private final int inputWidth;

    public Leo(MetaModel<D> model, LearnerConfig config) {
        this(model, config, Options.defaults(), null);
    }

    /** @param outer the outer optimizer (null: Adam with config.outerLr) */
    public Leo(MetaModel<D> model, LearnerConfig config, Options options, Optimizer outer) {
        super(model, config, outer);
        if (model.featureWidth() < 1)
            throw new IllegalArgumentException("leo: the encoder needs the model's feature width; " + model.getClass().getSimpleName()
                    + " does not report one (override MetaModel.featureWidth())");
        this.options = options;
        this.inputWidth = model.featureWidth() + model.targetWidth();
    }

    @Override public String name() { return "leo"; }

    public Options options() { return options; }

    @Override protected Params initLearnerParams(Params adaptedTheta) {
        long seed = config.seed();
        java.util.Set<String> closed = model.fittedInClosedForm();
        int z = options.latentDim, e = options.encoderWidth, r = options.relationWidth;
        int p = (int) adaptedTheta.filter(n -> !closed.contains(n)).count();
        Params out = Params.empty()
                .with(ENC_W, Init.XAVIER_UNIFORM.draw(seed, ENC_W, inputWidth, inputWidth, e))
                .with(ENC_B, Tensor.zeros(e));
        int[][] sizes = {{2 * e, r}, {r, r}, {r, 2 * z}};
        for (int i = 0; i < RELATION.length; i++) {
            String w = RELATION[i] + ".weight";
            out = out.with(w, Init.XAVIER_UNIFORM.draw(seed, w, sizes[i][0], sizes[i][0], sizes[i][1]))
                    .with(RELATION[i] + ".bias", Tensor.zeros(sizes[i][1]));
        }
        // softplus(b) = σ_w: b = log(e^σ − 1)
        float stdBias = (float) Math.log(Math.expm1(options.weightStdInit));
        return out.with(DEC_W, Init.XAVIER_UNIFORM.draw(seed, DEC_W, z, z, 2 * p))
                .with(DEC_STD, Tensor.full(stdBias, p))
                .with(LATENT_LR, Tensor.full(options.latentLrInit, z))
                .with(FINETUNE_LR, Tensor.full(config.innerLr(), p));
    }

    @Override protected Adaptation adapt(Params meta, SupportSet support, Params fast, int steps, boolean training, Guard guard) {
        boolean second = training && config.order() == Order.SECOND_ORDER;
        boolean stacked = support.batch().stacked();
        // What the model fits in closed form (the user's offset and bias, with the fold-in) is fitted
        // first, noise-free, and stays outside the decoder's code: the decoder emits the rest on top.
        java.util.Set<String> closed = model.fittedInClosedForm();
        Params folded = closed.isEmpty() ? Params.empty()
                : (steps == 0 ? fast : model.fitInClosedForm(support.base(), support.batch(), fast)).filter(closed::contains);
        List<String> emitted = fast.names().stream().filter(n -> !closed.contains(n)).toList();
        MetaLstm.Flat layout = new MetaLstm.Flat(meta, emitted, stacked ? support.tasks() : 0);
        Tensor theta = layout.flattenShared(meta); // θ's adapted part, [P]
        int z = options.latentDim;

        Tensor[] code = encode(meta, support.batch());
        Tensor mu = code[0], sigma = code[1];
        Tensor z0 = training ? mu.add(sigma.mul(noise(support, "z", z))) : mu;
        Tensor latent = z0;
        for (int k = 0; k < steps; k++) {
            if (!training) latent = latent.detach().requiringGrad();
            Tensor per = support.perTaskLoss(layout.unflatten(decode(meta, latent, theta, training, support, k)).with(folded));
            guard.checkLoss(per, k);
            Tensor g = Autograd.grad(per.rank() == 0 ? per : per.sum(), List.of(latent), second).get(0);
            List<Tensor> gs = List.of(g);
            guard.checkGradients(gs, k, stacked);
            g = InnerClip.apply(gs, config.innerClipNorm(), config.innerClipValue(), stacked).get(0);
            try (var mode = training ? GradMode.enabled() : GradMode.disabled()) {
                latent = latent.sub(g.mul(meta.get(LATENT_LR)));
            }
        }
        Tensor w = decode(meta, latent, theta, training, support, steps);
        int finetune = options.finetuneSteps < 0 ? steps : options.finetuneSteps;
        for (int k = 0; k < finetune; k++) {
            if (!training) w = w.detach().requiringGrad();
            Tensor per = support.perTaskLoss(layout.unflatten(w).with(folded));
            guard.checkLoss(per, steps + k);
            Tensor g = Autograd.grad(per.rank() == 0 ? per : per.sum(), List.of(w), second).get(0);
            List<Tensor> gs = List.of(g);
            guard.checkGradients(gs, steps + k, stacked);
            g = InnerClip.apply(gs, config.innerClipNorm(), config.innerClipValue(), stacked).get(0);
            try (var mode = training ? GradMode.enabled() : GradMode.disabled()) {
                w = w.sub(g.mul(meta.get(FINETUNE_LR)));
            }
        }
        if (!training) return new Adaptation(layout.unflatten(w.detach()).with(folded.detach()));

        Tensor kl = klToStandardNormal(mu, sigma);
        Tensor encoderPenalty = latent.detach().sub(z0).square().mean(1, false);
        Tensor reg = kl.mul(options.klWeight).add(encoderPenalty.mul(options.encoderPenaltyWeight))
                .add(orthogonality(meta.get(DEC_W)).mul(options.orthogonalityWeight));
        return new Adaptation(layout.unflatten(w).with(folded), reg);
    }

    /**
     * (μ_z, σ_z) [T, Z] each, from the support examples ([N, f] or a stack [T, N, f] with its mask):
     * encoder, relation network over all ordered pairs of a task's real examples, mean over the pairs.
     */
    private Tensor[] encode(Params meta, Batch b) {
        Tensor x = ShapeOps.concat(List.of(b.features(), b.targets()), b.stacked() ? 2 : 1);
        if (!b.stacked()) x = x.reshape(1, x.dim(0), x.dim(1));
        int tasks = x.dim(0), n = x.dim(1), e = options.encoderWidth, r = options.relationWidth, z = options.latentDim;
        Tensor enc = x.matmul(meta.get(ENC_W)).add(meta.get(ENC_B)); // [T, N, E]
        // The first relation layer on a pair [e_n, e_m] is e_n·W_a + e_m·W_b + b: two products and a broadcast, no [N², 2E] copy.
        Tensor w1 = meta.get(RELATION[0] + ".weight");
        Tensor left = enc.matmul(w1.slice(0, 0, e)).reshape(tasks, n, 1, r);
        Tensor right = enc.matmul(w1.slice(0, e, 2 * e)).reshape(tasks, 1, n, r);
        Tensor h = left.add(right).add(meta.get(RELATION[0] + ".bias")).relu().reshape(tasks, n * n, r);
        h = h.matmul(meta.get(RELATION[1] + ".weight")).add(meta.get(RELATION[1] + ".bias")).relu();
        Tensor out = h.matmul(meta.get(RELATION[2] + ".weight")).add(meta.get(RELATION[2] + ".bias")); // [T, N², 2Z]
        Tensor stats;
        if (b.mask() == null) stats = out.mean(1, false);
        else { // padded examples take no part in any pair
            Tensor m = b.mask();
            Tensor pairs = m.reshape(tasks, n, 1).mul(m.reshape(tasks, 1, n)).reshape(tasks, n * n, 1);
            stats = out.mul(pairs).sum(1, false).div(pairs.sum(1, false));
        }
        Tensor mu = stats.slice(1, 0, z);
        Tensor sigma = stats.slice(1, z, 2 * z).softplus().add(1e-6f);
        return new Tensor[] {mu, sigma};
    }

    /** The adapted parameters [T, P] emitted for codes [T, Z]: θ + μ_w (+ σ_w ⊙ ε while meta-training). */
    private Tensor decode(Params meta, Tensor latent, Tensor theta, boolean sample, SupportSet s, int draw) {
        Tensor out = latent.matmul(meta.get(DEC_W));
        int p = theta.dim(0);
        Tensor mean = out.slice(1, 0, p).add(theta);
        if (!sample) return mean;
        Tensor std = out.slice(1, p, 2 * p).add(meta.get(DEC_STD)).softplus();
        return mean.add(std.mul(noise(s, "w" + draw, p)));
    }

    /** KL(N(μ, diag σ²) ‖ N(0, I)) = ½Σ(μ² + σ² − 1 − 2 log σ), per row of μ, σ [T, Z] → [T]. */
    static Tensor klToStandardNormal(Tensor mu, Tensor sigma) {
        return mu.square().add(sigma.square()).sub(1f).sub(sigma.log().mul(2f)).sum(1, false).mul(0.5f);
    }

    /** mean((C − I)²) for C the cosine similarities between the rows of w [Z, ·] (LEO's decoder regulariser). */
    static Tensor orthogonality(Tensor w) {
        int rows = w.dim(0);
        Tensor gram = Linalg.matmul(w, w, false, true);
        Tensor norms = w.square().sum(1, true).add(1e-12f).sqrt();
        Tensor cos = gram.div(norms.mul(norms.reshape(1, rows)));
        float[] eye = new float[rows * rows];
        for (int i = 0; i < rows; i++) eye[i * rows + i] = 1f;
        return cos.sub(Tensor.of(w.backend(), eye, rows, rows)).square().mean();
    }
}
