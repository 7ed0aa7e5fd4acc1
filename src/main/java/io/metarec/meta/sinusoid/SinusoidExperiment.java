package io.metarec.meta.sinusoid;

import io.metarec.meta.Batch;
import io.metarec.meta.LearnerConfig;
import io.metarec.meta.LearnerKind;
import io.metarec.meta.LossKind;
import io.metarec.meta.Leo;
import io.metarec.meta.Maml;
import io.metarec.meta.MetaLearner;
import io.metarec.meta.MetaLstm;
import io.metarec.meta.MetaSgd;
import io.metarec.meta.MlpRegression;
import io.metarec.meta.NonFiniteException;
import io.metarec.meta.Pretrained;
import io.metarec.meta.Reptile;
import io.metarec.meta.Task;
import io.metarec.nn.Activation;
import io.metarec.nn.Init;
import io.metarec.nn.Params;
import io.metarec.optim.Adam;
import io.metarec.util.EnginePool;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The sinusoid regression benchmark of Finn et al. 2017 for every learner: meta-train on a seeded
 * stream of tasks (MLP 1-40-40-1 with ReLU, K = 10 shots, meta-batch 25), then adapt to each of 600
 * held-out tasks with 1 and with 10 inner steps and report the query MSE (mean and 95% confidence
 * half-width, 1.96·sd/√n, as Finn et al.'s evaluation code).
 *
 * <p>Every learner sees the same training tasks in the same order (the stream restarts from the
 * seed for each) and the same held-out tasks; the pretrained baseline is trained jointly on those
 * tasks' examples and fine-tuned at evaluation with the same plain SGD steps (α = 0.01) as MAML.
 * Held-out tasks have {@link Config#testQueryPoints} query points (100 by default; Finn's code uses
 * K): more points lower the noise of each task's MSE without changing its expectation.
 *
 * <p>Per-learner hyper-parameters: see {@link #learner}. The learners and their names are
 * {@link LearnerKind}'s, as on the recommendation path.
 */
public final class SinusoidExperiment {
    /** MLP sizes of the benchmark. */
    public static final int[] SIZES = {1, 40, 40, 1};
    /** Finn et al.'s inner step size α. */
    public static final float ALPHA = 0.01f;

    /**
     * @param iterations      meta-training iterations (meta-batches) per learner
     * @param caps            at most this many iterations for the listed learners (the costly ones; see {@link #defaults})
     * @param metaBatch       tasks per meta-batch (25)
     * @param shots           K, support points per task (10)
     * @param queryPoints     query points per training task (10)
     * @param testTasks       held-out tasks (600)
     * @param testQueryPoints query points per held-out task (100)
     * @param outerLr         Adam's learning rate for every learner (1e-3, as Finn et al.)
     * @param seed            seed of the task streams and of every initialisation
     * @param execution       how meta-batches run (PER_TASK threads or BATCHED kernels)
     */
    public record Config(int iterations, Map<LearnerKind, Integer> caps, int metaBatch, int shots, int queryPoints, int testTasks,
                         int testQueryPoints, float outerLr, long seed, LearnerConfig.Execution execution) {
        public Config {
            if (iterations < 1) throw new IllegalArgumentException("iterations must be at least 1, got " + iterations);
            caps = Map.copyOf(caps);
            caps.forEach((a, n) -> {
                if (n < 1) throw new IllegalArgumentException("iteration cap of " + a.cliName() + " must be at least 1, got " + n);
            });
            if (metaBatch < 1) throw new IllegalArgumentException("meta-batch must be at least 1, got " + metaBatch);
            if (shots < 1 || queryPoints < 1 || testQueryPoints < 1)
                throw new IllegalArgumentException("shots and query points must be at least 1");
            if (testTasks < 2) throw new IllegalArgumentException("need at least 2 held-out tasks for a confidence interval, got " + testTasks);
            if (!(outerLr > 0) || Float.isInfinite(outerLr)) throw new IllegalArgumentException("outer learning rate must be positive, got " + outerLr);
            if (execution == null) throw new IllegalArgumentException("execution must be set");
        }

        /**
         * The full benchmark: 20,000 iterations (Finn et al. ran 70,000), meta-batch 25, K = 10, 600
         * held-out tasks, Adam 1e-3. Meta-LSTM is capped at 2,000 iterations and LEO at 5,000: on the
         * CPU an iteration costs about 60 (Meta-LSTM) or 20 (LEO) MAML iterations (a 20-wide LSTM
         * over each of the 1,761 coordinates of every task; a relation network over every pair of
         * examples).
         */
        public static Config defaults() {
            return new Config(20_000, Map.of(LearnerKind.METALSTM, 2_000, LearnerKind.LEO, 5_000), 25, 10, 10, 600, 100, 1e-3f, 0L,
                    LearnerConfig.Execution.BATCHED);
        }

        /** How many iterations a learner trains for. */
        public int iterationsOf(LearnerKind a) {
            return Math.min(iterations, caps.getOrDefault(a, Integer.MAX_VALUE));
        }

        public Config withIterations(int v) { return new Config(v, caps, metaBatch, shots, queryPoints, testTasks, testQueryPoints, outerLr, seed, execution); }
        public Config withCap(LearnerKind a, int v) {
            Map<LearnerKind, Integer> m = new java.util.EnumMap<>(LearnerKind.class);
            m.putAll(caps);
            m.put(a, v);
            return new Config(iterations, m, metaBatch, shots, queryPoints, testTasks, testQueryPoints, outerLr, seed, execution);
        }
        public Config withMetaBatch(int v) { return new Config(iterations, caps, v, shots, queryPoints, testTasks, testQueryPoints, outerLr, seed, execution); }
        public Config withTestTasks(int v) { return new Config(iterations, caps, metaBatch, shots, queryPoints, v, testQueryPoints, outerLr, seed, execution); }
        public Config withOuterLr(float v) { return new Config(iterations, caps, metaBatch, shots, queryPoints, testTasks, testQueryPoints, v, seed, execution); }
        public Config withSeed(long v) { return new Config(iterations, caps, metaBatch, shots, queryPoints, testTasks, testQueryPoints, outerLr, v, execution); }
        public Config withExecution(LearnerConfig.Execution v) { return new Config(iterations, caps, metaBatch, shots, queryPoints, testTasks, testQueryPoints, outerLr, seed, v); }
    }

    /**
     * The query MSE over the held-out tasks after some number of inner steps: mean and 95% CI
     * half-width over the tasks that stayed finite, and how many diverged (NaN/Inf during adaptation).
     * {@link #mean()} is +∞ when any task diverged.
     */
    public record Score(double mean, double ci95, int diverged, int tasks) {
        static Score of(double[] mse) {
            int bad = 0;
            for (double v : mse) if (!Double.isFinite(v)) bad++;
            if (bad > 0) return new Score(Double.POSITIVE_INFINITY, Double.NaN, bad, mse.length);
            return new Score(SinusoidExperiment.mean(mse), SinusoidExperiment.ci95(mse), 0, mse.length);
        }

        public String text() {
            return diverged > 0 ? String.format(Locale.ROOT, "diverged on %d/%d", diverged, tasks)
                    : String.format(Locale.ROOT, "%.3f ± %.3f", mean, ci95);
        }
    }

    /**
     * One learner's outcome: query MSE after 1 and 10 inner steps, training time and iterations, the
     * last meta-batch's loss, and the baseline's tuned fine-tuning step size (NaN for meta-learners).
     */
    public record Result(LearnerKind algo, Score oneStep, Score tenSteps, double trainSeconds, int iterations, double finalLoss,
                         double finetuneLr) {
        public String learner() { return algo.cliName(); }
    }

    /** Meta-training progress, once per iteration. */
    @FunctionalInterface
    public interface Progress {
        void iteration(LearnerKind algo, int done, int total, double loss, double tasksPerSecond);

        Progress NONE = (a, d, t, l, r) -> {};
    }

    private static final long TEST_STREAM = 0x5EED_7E57L, VALIDATION_STREAM = 0x5EED_7A11L;
    private final Config config;
    private final List<Task<Batch>> heldOut;

    public SinusoidExperiment(Config config) {
        this.config = config;
        this.heldOut = new SinusoidTasks(config.seed() ^ TEST_STREAM).next(config.testTasks(), config.shots(), config.testQueryPoints());
    }

    public Config config() { return config; }

    /** The held-out tasks (the same for every learner). */
    public List<Task<Batch>> heldOut() { return heldOut; }

    /**
     * LEO's outer learning rate is at most this: above it, its decoder weights and learned step sizes
     * grow until the latent steps overshoot (the paper used 1e-4).
     */
    public static final float LEO_MAX_OUTER_LR = 1e-3f;

    /** The benchmark's model: MLP 1-40-40-1, ReLU, MSE, initialised as PyTorch's nn.Linear (as the reference). */
    public static MlpRegression model() {
        return new MlpRegression(SIZES, Activation.RELU, LossKind.MSE, Init.TORCH_DEFAULT);
    }

    /**
     * A fresh, untrained learner with the benchmark's settings (all: Adam at {@link Config#outerLr}):
     * <ul>
     *   <li>MAML, second order: 1 inner SGD step with α = 0.01 during meta-training (Finn et al.); FOMAML the same without the second-order term;</li>
     *   <li>Reptile: 5 inner SGD steps with α = 0.01; Adam on the pseudo-gradient θ − φ (Nichol et al.);</li>
     *   <li>Meta-SGD: per-element step sizes initialised to α = 0.01, 1 inner step, second order (Li et al.);</li>
     *   <li>Meta-LSTM: LSTM optimizer of width 20, 1 inner step during meta-training, first order as the paper;</li>
     *   <li>LEO: latent 16, 3 latent + 3 fine-tuning steps during meta-training, second order, inner gradients clipped
     *       to norm 10; the latent step size starts at 0.1 (the paper's 1 diverges here: squared errors of amplitude-5
     *       sinusoids give far larger latent gradients than its softmax losses), the weights' at α = 0.01; Adam at most
     *       {@link #LEO_MAX_OUTER_LR};</li>
     *   <li>the pretrained baseline: trained jointly on the same tasks' examples (no inner loop), then fine-tuned with
     *       plain SGD; its step size is tuned on validation tasks (Finn et al. tuned it too).</li>
     * </ul>
     */
    public MetaLearner<Batch> learner(LearnerKind algo) {
        MlpRegression model = model();
        LearnerConfig base = LearnerConfig.defaults().withInnerLr(ALPHA).withOuterLr(config.outerLr()).withSeed(config.seed())
                .withExecution(config.execution());
        return switch (algo) {
            case MAML, FOMAML -> new Maml<>(model, base.withInnerSteps(1).withOrder(algo.order()));
            case REPTILE -> new Reptile<>(model, base.withInnerSteps(5), new Adam(config.outerLr()));
            case METASGD -> new MetaSgd<>(model, base.withInnerSteps(1).withOrder(algo.order()));
            case METALSTM -> new MetaLstm<>(model, base.withInnerSteps(1).withOrder(algo.order()), MetaLstm.HIDDEN, null);
            case LEO -> new Leo<>(model, base.withInnerSteps(3).withOrder(algo.order()).withInnerClipNorm(10f)
                    .withOuterLr(Math.min(config.outerLr(), LEO_MAX_OUTER_LR)), Leo.Options.defaults().withLatentLrInit(0.1f), null);
            case PRETRAINED -> new Pretrained<>(model, base.withExecution(LearnerConfig.Execution.PER_TASK));
        };
    }

    /** Meta-trains a fresh learner and evaluates it on the held-out tasks. */
    public Result run(LearnerKind algo, Progress progress) {
        MetaLearner<Batch> learner = learner(algo);
        SinusoidTasks stream = new SinusoidTasks(config.seed());
        int iterations = config.iterationsOf(algo);
        long t0 = System.nanoTime();
        double loss = Double.NaN;
        for (int it = 1; it <= iterations; it++) {
            List<Task<Batch>> batch = stream.next(config.metaBatch(), config.shots(), config.queryPoints());
            loss = learner.metaStep(batch).loss();
            double seconds = (System.nanoTime() - t0) / 1e9;
            progress.iteration(algo, it, iterations, loss, it * (double) config.metaBatch() / Math.max(seconds, 1e-9));
        }
        double trainSeconds = (System.nanoTime() - t0) / 1e9;
        double finetuneLr = Double.NaN;
        if (algo == LearnerKind.PRETRAINED) {
            finetuneLr = tuneFinetuneRate(learner.metaParams());
            learner = finetuner((float) finetuneLr, learner.metaParams());
        }
        double[][] mse = evaluate(learner, heldOut, new int[] {1, 10});
        return new Result(algo, Score.of(mse[0]), Score.of(mse[1]), trainSeconds, iterations, loss, finetuneLr);
    }

    /** Step sizes tried for the pretrained baseline's fine-tuning (Finn et al. tuned it automatically). */
    public static final float[] FINETUNE_RATES = {0.001f, 0.002f, 0.005f, 0.01f, 0.02f};

    /**
     * The pretrained baseline's fine-tuning step size: the one of {@link #FINETUNE_RATES} with the
     * lowest mean query MSE after 1 and 10 steps on 100 validation tasks (a stream apart from the
     * held-out tasks); a rate that diverges on any task is out.
     */
    double tuneFinetuneRate(Params trained) {
        List<Task<Batch>> validation = new SinusoidTasks(config.seed() ^ VALIDATION_STREAM).next(100, config.shots(), config.testQueryPoints());
        double best = Double.POSITIVE_INFINITY;
        float bestRate = ALPHA;
        for (float rate : FINETUNE_RATES) {
            double[][] mse = evaluate(finetuner(rate, trained), validation, new int[] {1, 10});
            double score = mean(mse[0]) + mean(mse[1]); // +∞ when a task diverged
            if (score < best) {
                best = score;
                bestRate = rate;
            }
        }
        return bestRate;
    }

    private MetaLearner<Batch> finetuner(float rate, Params trained) {
        Pretrained<Batch> p = new Pretrained<>(model(), LearnerConfig.defaults().withInnerLr(rate).withSeed(config.seed())
                .withExecution(LearnerConfig.Execution.PER_TASK));
        p.load(trained);
        return p;
    }

    /** Runs several learners in turn. */
    public List<Result> run(List<LearnerKind> algos, Progress progress) {
        List<Result> out = new ArrayList<>();
        for (LearnerKind a : algos) out.add(run(a, progress));
        return out;
    }

    /**
     * The query MSE of every task after adapting with each number of steps: [steps][task], +∞ for
     * a task whose adaptation diverged (a NaN/Inf in its support loss or gradients).
     * Tasks run in parallel on the CPU pool; each result lands at its task's index (deterministic).
     */
    public double[][] evaluate(MetaLearner<Batch> learner, List<Task<Batch>> tasks, int[] steps) {
        double[][] out = new double[steps.length][tasks.size()];
        EnginePool.forEach(tasks.size(), t -> {
            Task<Batch> task = tasks.get(t);
            for (int s = 0; s < steps.length; s++) {
                try {
                    out[s][t] = learner.loss(learner.adaptTo(task.support(), steps[s]), task.query());
                } catch (NonFiniteException diverged) {
                    out[s][t] = Double.POSITIVE_INFINITY;
                }
                if (Double.isNaN(out[s][t])) out[s][t] = Double.POSITIVE_INFINITY;
            }
        });
        return out;
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    /** 1.96 · sample standard deviation / √n. */
    static double ci95(double[] v) {
        double m = mean(v), ss = 0;
        for (double x : v) ss += (x - m) * (x - m);
        return 1.96 * Math.sqrt(ss / (v.length - 1)) / Math.sqrt(v.length);
    }

    /** The results as a text table (learner, MSE after 1 step ± CI, after 10 steps ± CI, iterations, training time). */
    public static String table(List<Result> results) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "| %-10s | %-22s | %-22s | %10s | %9s |%n", "learner", "MSE after 1 step ± 95%", "MSE after 10 steps ± 95%",
                "iterations", "train s"));
        sb.append("|------------|------------------------|--------------------------|------------|-----------|\n");
        for (Result r : results)
            sb.append(String.format(Locale.ROOT, "| %-10s | %-22s | %-24s | %10d | %9.1f |%n",
                    r.learner(), r.oneStep().text(), r.tenSteps().text(), r.iterations(), r.trainSeconds()));
        return sb.toString();
    }

    /**
     * Writes {"results": {"maml": {"mse_1step", "ci95_1step", "mse_10step", "ci95_10step", …}, …,
     * "pretrained": {…}}, "config": {…}} to {@code file}, atomically (a temporary file in the same
     * folder, then a rename): an existing file is replaced whole or not at all. A diverged score is
     * written as null with its count in "diverged_1step" / "diverged_10step".
     */
    public void writeJson(Path file, List<Result> results) throws IOException {
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        ObjectNode res = root.putObject("results");
        for (Result r : results) {
            ObjectNode o = res.putObject(r.learner());
            score(o, "1step", r.oneStep());
            score(o, "10step", r.tenSteps());
            o.put("iterations", r.iterations());
            o.put("train_seconds", r.trainSeconds());
            o.put("final_train_loss", r.finalLoss());
            if (!Double.isNaN(r.finetuneLr())) o.put("finetune_lr", r.finetuneLr());
        }
        ObjectNode c = root.putObject("config");
        c.put("iterations", config.iterations());
        ObjectNode caps = c.putObject("iteration_caps");
        config.caps().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> caps.put(e.getKey().cliName(), e.getValue()));
        c.put("meta_batch", config.metaBatch());
        c.put("shots", config.shots());
        c.put("query_points", config.queryPoints());
        c.put("test_tasks", config.testTasks());
        c.put("test_query_points", config.testQueryPoints());
        c.put("outer_lr", config.outerLr());
        c.put("inner_lr", ALPHA);
        c.put("seed", config.seed());
        c.put("execution", config.execution().name());
        c.put("model", "mlp 1-40-40-1 relu, torch default init");
        c.put("backend", io.metarec.backend.Backends.current().name());
        io.metarec.util.AtomicFiles.write(file, tmp -> om.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), root));
    }

    private static void score(ObjectNode o, String suffix, Score s) {
        if (s.diverged() > 0) {
            o.putNull("mse_" + suffix);
            o.putNull("ci95_" + suffix);
        } else {
            o.put("mse_" + suffix, s.mean());
            o.put("ci95_" + suffix, s.ci95());
        }
        o.put("diverged_" + suffix, s.diverged());
    }
}
