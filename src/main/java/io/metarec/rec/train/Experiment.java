package io.metarec.rec.train;

import io.metarec.meta.MetaLearner;
import io.metarec.meta.Task;
import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.Datasets;
import io.metarec.rec.data.Interactions;
import io.metarec.rec.data.Seeds;
import io.metarec.rec.model.Examples;
import io.metarec.rec.model.FeatureEncoder;
import io.metarec.rec.split.ColdStartSplit;
import io.metarec.rec.split.MeluProtocol;
import io.metarec.rec.split.Scenario;
import io.metarec.rec.split.SplitFile;
import io.metarec.rec.split.UserTask;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One dataset, one split, its tasks: what train / evaluate / compare / demo share. The split is the
 * given split file, else the directory's {@code split.csv}, else the MeLU protocol computed with
 * the run's seed (not written; {@code metarec data split} writes one).
 */
public final class Experiment {
    private final Dataset data;
    private final ColdStartSplit split;
    private final FeatureEncoder encoder;
    private final TaskFactory tasks;
    private final ColdStartSplit.TrainValidation userTasks;
    private final List<Task<Examples>> train;
    private final List<Task<Examples>> validation;
    private final float meanTarget;
    private final long seed;
    private final Map<Integer, float[]> factorised = new java.util.concurrent.ConcurrentHashMap<>();

    /** Feature values seen fewer times than this in training are "unknown" to the model (see FeatureEncoder#remap). */
    public static final int MIN_VALUE_COUNT = 1;
    /**
     * A user feature value shared by fewer training users than this is "unknown" to the model: a
     * value that few users have (ML-100K's zip prefixes: 382 values over 943 users) acts as their
     * identity, and the outer loop then memorises those users' query ratings through it.
     */
    public static final int MIN_USERS_PER_VALUE = 10;

    /**
     * Tasks per validation user that early stopping scores ({@link ColdStartSplit.TrainValidation#validationFolds}).
     * ML-100K, MeLU protocol, 3 splits × 3 seeds, MAML: with one (the split's task) early stopping
     * kept the initial parameters in 2 of 9 runs (the smoothed validation loss of 32 users never
     * beat epoch 0's); with 5 in none, user-cold MAE 0.7618 vs 0.7638, item-cold 0.8904 vs 0.8906.
     */
    public static final int VALIDATION_FOLDS = 5;

    private Experiment(Dataset data, ColdStartSplit split, Feedback feedback, double validationShare, long seed, FeatureEncoder encoder) {
        this.data = data;
        this.split = split;
        this.encoder = encoder != null ? encoder : trainedEncoder(data, split);
        this.tasks = new TaskFactory(data, split, this.encoder, feedback, seed);
        this.userTasks = split.validation(validationShare, seed);
        this.train = tasks.tasks(userTasks.train());
        this.validation = tasks.tasks(userTasks.validationFolds(VALIDATION_FOLDS, seed));
        this.meanTarget = meanTarget(data, split, feedback);
        this.seed = seed;
    }

    /** Loads {@code dataDir} and its split; {@code splitFile} (may be null) overrides the directory's. */
    public static Experiment prepare(Path dataDir, Path splitFile, Feedback feedback, double validationShare, long seed) throws IOException {
        return prepare(dataDir, splitFile, feedback, validationShare, seed, null);
    }

    /** As above, with the encoder of a saved model (null: built from this dataset's training interactions). */
    public static Experiment prepare(Path dataDir, Path splitFile, Feedback feedback, double validationShare, long seed,
                                     FeatureEncoder encoder) throws IOException {
        Dataset d = Datasets.load(dataDir);
        return new Experiment(d, loadSplit(dataDir, splitFile, d), feedback, validationShare, seed, encoder);
    }

    /** The split file given, else the directory's split.csv, else the MeLU protocol's split (not written). */
    public static ColdStartSplit loadSplit(Path dataDir, Path splitFile, Dataset d) throws IOException {
        MeluProtocol protocol = MeluProtocol.defaults();
        if (splitFile != null) {
            if (!Files.isRegularFile(splitFile)) throw new IllegalArgumentException("--split: no such file: " + splitFile);
            return SplitFile.read(splitFile, d, protocol.seed(), protocol.querySize());
        }
        return SplitFile.loadOrCompute(dataDir, d, protocol);
    }

    /** For data already in memory (tests, the library example). */
    public static Experiment of(Dataset d, ColdStartSplit s, Feedback feedback, double validationShare, long seed) {
        return new Experiment(d, s, feedback, validationShare, seed, null);
    }

    /** With a given encoder (a saved model's), for data in memory. */
    public static Experiment of(Dataset d, ColdStartSplit s, Feedback feedback, double validationShare, long seed, FeatureEncoder encoder) {
        return new Experiment(d, s, feedback, validationShare, seed, encoder);
    }

    /**
     * The encoder for a split: feature values rare in its training interactions count as unknown;
     * items rated in training have identities. Users get none: a user's identity is what the inner
     * loop learns from their own ratings (the model's personal parameters). A user row trained in
     * the outer loop memorises that user's query ratings instead (ML-100K: training query loss
     * 1.31 → 0.28 in 30 epochs while the validation loss rose from epoch 4), and the users a
     * model meets are new anyway.
     */
    public static FeatureEncoder trainedEncoder(Dataset d, ColdStartSplit s) {
        io.metarec.rec.data.FeatureTable items = d.itemFeatures(), users = d.userFeatures();
        List<int[]> itemCounts = new java.util.ArrayList<>(), userCounts = new java.util.ArrayList<>();
        for (int f = 0; f < items.fieldCount(); f++) itemCounts.add(new int[items.field(f).vocabulary().size()]);
        for (int f = 0; f < users.fieldCount(); f++) userCounts.add(new int[users.field(f).vocabulary().size()]);
        Interactions x = d.interactions();
        java.util.Set<Integer> trainUsers = new java.util.HashSet<>();
        for (int k = 0; k < x.size(); k++) {
            if (s.scenarioOf(k) != Scenario.TRAIN) continue;
            for (int f = 0; f < items.fieldCount(); f++) for (int id : items.values(f, x.item(k))) itemCounts.get(f)[id]++;
            trainUsers.add(x.user(k));
        }
        for (int u : trainUsers) for (int f = 0; f < users.fieldCount(); f++) for (int id : users.values(f, u)) userCounts.get(f)[id]++;
        boolean[] knownItems = new boolean[d.numItems()];
        for (int k = 0; k < x.size(); k++) if (s.scenarioOf(k) == Scenario.TRAIN) knownItems[x.item(k)] = true;
        return new FeatureEncoder(users.fields(), items, FeatureEncoder.remap(itemCounts, MIN_VALUE_COUNT),
                FeatureEncoder.remap(userCounts, MIN_USERS_PER_VALUE), knownItems, null);
    }

    public Dataset data() { return data; }

    public ColdStartSplit split() { return split; }

    public FeatureEncoder encoder() { return encoder; }

    public TaskFactory tasks() { return tasks; }

    public List<Task<Examples>> trainTasks() { return train; }

    public List<Task<Examples>> validationTasks() { return validation; }

    /** The training users' split tasks and the validation users' carved from them (what the two lists above encode). */
    public ColdStartSplit.TrainValidation trainValidation() { return userTasks; }

    /** The baselines ({@link Baselines#all}), their hyper-parameters chosen on this experiment's validation users. */
    public List<Recommender> baselines() {
        return Baselines.all(tasks, userTasks.validation());
    }

    /**
     * The meta-training tasks of epoch {@code epoch} (1, 2, …) at the given positions of the
     * training users' list ({@link #trainValidation}): what single-machine training builds for the
     * whole list, task by task the same (each task is seeded by its user and the epoch).
     */
    public List<Task<Examples>> epochTasks(RecConfig c, int epoch, int[] positions) {
        List<UserTask> all = userTasks.train(), some = new java.util.ArrayList<>(positions.length);
        for (int p : positions) some.add(all.get(p));
        return tasks.trainingTasks(some, training(c), epoch);
    }

    /** Share of item ratings whose item identity meta-training hides (see {@link TaskFactory.Training}). */
    public static final double HIDE_ITEM = 0.1;

    /** How meta-training tasks are drawn for a configuration: item identities hidden when the model has them, supports varied when asked. */
    public static TaskFactory.Training training(RecConfig c) {
        return new TaskFactory.Training(c.variedSupport(), c.resplit(), c.identity() ? HIDE_ITEM : 0);
    }

    /** Mean training target: the initial bias of the metric model. */
    public float meanTarget() { return meanTarget; }

    /** A trained learner and its history. */
    public record Trained(RecConfig config, MetaLearner<Examples> learner, RecTrainer.History history, double seconds) {}

    /** The (untrained) model and learner of {@code c} for this dataset's fields. */
    public MetaLearner<Examples> newLearner(RecConfig c) {
        if (c.feedback().implicit() || !c.identity()) return Learners.learner(c, Learners.model(c, encoder, meanTarget));
        return Learners.learner(c, Learners.model(c, encoder, meanTarget, factorisedItemRows(c.embeddingDim())));
    }

    /** Builds the model and learner of {@code c} and meta-trains it on the training tasks. */
    public Trained train(RecConfig c, RecTrainer.Listener listener) {
        return train(c, newLearner(c), listener);
    }

    /** Meta-trains {@code learner} (made by {@link #newLearner}) on the training tasks. */
    public Trained train(RecConfig c, MetaLearner<Examples> learner, RecTrainer.Listener listener) {
        return train(c, learner, listener, null);
    }

    /**
     * The same, continuing from a checkpoint of a run of {@code c} on this experiment (null: from
     * the start); see {@link Checkpoint.Fingerprint} for checking that it is one.
     */
    public Trained train(RecConfig c, MetaLearner<Examples> learner, RecTrainer.Listener listener, Checkpoint from) {
        TaskFactory.Training how = training(c);
        return train(c, learner, RecTrainer.local(learner, e -> tasks.trainingTasks(userTasks.train(), how, e), validation), listener, from);
    }

    /**
     * The same with the meta-steps computed by {@code engine} (for the tasks of {@link #epochTasks};
     * e.g. on a Spark cluster, {@code io.metarec.spark}).
     */
    public Trained train(RecConfig c, MetaLearner<Examples> learner, RecTrainer.Engine engine, RecTrainer.Listener listener, Checkpoint from) {
        long t0 = System.nanoTime();
        RecTrainer.History h;
        try {
            h = RecTrainer.train(learner, engine, new RecTrainer.Options(c.epochs(), c.metaBatch(), c.patience(), c.innerSteps(), c.seed()),
                    listener, from);
        } catch (TrainingDivergedException x) {
            throw x.withAdvice(divergenceAdvice(c));
        }
        return new Trained(c, learner, h, (System.nanoTime() - t0) / 1e9);
    }

    /** Rates more than this many times the default preset's are suspects when training diverges. */
    static final double SUSPECT_RATE = 3;

    /**
     * What to change when training with {@code c} diverged: the learning rate(s) far above the
     * defaults (--outer-lr, --inner-lr), else both.
     */
    public static String divergenceAdvice(RecConfig c) {
        RecConfig d = RecConfig.defaults();
        String outer = "--outer-lr (" + number(c.outerLr()) + "; the default is " + number(d.outerLr()) + ")";
        String inner = "--inner-lr (" + number(c.innerLr()) + "; the default is " + number(d.innerLr()) + ")";
        boolean o = c.outerLr() > SUSPECT_RATE * d.outerLr(), i = c.innerLr() > SUSPECT_RATE * d.innerLr();
        if (o && i) return "lower " + outer + " and " + inner;
        if (o) return "lower " + outer;
        if (i) return "lower " + inner;
        return "lower " + outer + " or " + inner;
    }

    private static String number(float v) {
        return new java.math.BigDecimal(Float.toString(v)).stripTrailingZeros().toPlainString();
    }

    /**
     * The recommenders a trained learner yields: itself, or for the pretrained model the global
     * model and its fine-tuned version. Named as on the command line ("maml", "global-model", …),
     * prefixed "metric-" for the metric-learning model.
     */
    public List<Recommender> recommenders(Trained t) {
        return recommenders(t, t.config().innerSteps());
    }

    /** The same, adapting with {@code steps} inner steps instead of the configuration's. */
    public List<Recommender> recommenders(Trained t, int steps) {
        String prefix = t.config().model().equals("melu") ? "" : t.config().model() + "-";
        if (t.config().kind() == io.metarec.meta.LearnerKind.PRETRAINED)
            return List.of(new LearnerRecommender(prefix + "global-model", t.learner(), tasks, 0),
                    new LearnerRecommender(prefix + "fine-tuned", t.learner(), tasks, steps));
        return List.of(new LearnerRecommender(prefix + t.config().algo(), t.learner(), tasks, steps));
    }

    /** Evaluates recommenders on every evaluation scenario. */
    public Report evaluate(List<Recommender> recommenders, boolean catalogue, Report.Progress progress) {
        return evaluate(recommenders, split::tasks, catalogue, progress);
    }

    /**
     * The same on the given-n sweep's tasks for one n: every user's support cut to n ratings
     * ({@link ColdStartSplit#givenN}), queries unchanged.
     */
    public Report evaluate(List<Recommender> recommenders, ColdStartSplit.GivenN given, boolean catalogue, Report.Progress progress) {
        return evaluate(recommenders, given::tasks, catalogue, progress);
    }

    private Report evaluate(List<Recommender> recommenders, java.util.function.Function<Scenario, List<UserTask>> tasksOf, boolean catalogue,
                            Report.Progress progress) {
        Evaluator ev = new Evaluator(tasks, catalogue);
        Map<Scenario, Map<String, Map<String, io.metarec.rec.eval.Summary>>> out = new LinkedHashMap<>();
        Map<Scenario, Integer> users = new LinkedHashMap<>();
        for (Scenario s : Scenario.evaluation()) {
            List<UserTask> scenarioTasks = tasksOf.apply(s);
            Map<String, Map<String, io.metarec.rec.eval.Summary>> row = new LinkedHashMap<>();
            for (Recommender r : recommenders) {
                row.put(r.name(), ev.evaluate(r, scenarioTasks));
                progress.done(s, r.name());
            }
            out.put(s, row);
            users.put(s, scenarioTasks.size());
        }
        return new Report(out, ev.metricNames(), users);
    }

    /**
     * The rows the item identities start from, per catalogue item: a biased matrix factorisation
     * of the training ratings ({@link BiasedMf}, its factors k ≤ d and ridge λ chosen on the
     * validation users, then fitted without them so that early stopping stays honest): the item's
     * factors in the first k columns of its embedding, its bias in the bias column. The model then
     * starts as that factorisation with the user's factors and bias left to the inner loop, and
     * meta-training refines it instead of spending its first epochs finding what a factorisation
     * finds in a second (items without training ratings stay zero: unknown to the model).
     * NOTE: fitting it on the validation users too, then meta-training again on all training users
     * for the epochs early stopping kept, was measured on ML-100K: user-cold MAE 0.777 vs 0.772;
     * fitting it on the validation users' supports (their queries held out), with re-dealt
     * training tasks: MAML 0.7637 vs 0.7636, the fine-tuned global model 0.759 vs 0.763.
     */
    float[] factorisedItemRows(int dim) {
        return factorised.computeIfAbsent(dim, this::factorise).clone(); // one factorisation per width, shared by the learners of a comparison
    }

    private float[] factorise(int dim) {
        List<UserTask> validation = userTasks.validation();
        BiasedMf tuned = BiasedMf.tuned(tasks, validation, Seeds.derive(seed, 0x1D));
        int k = Math.min(dim, tuned.factors());
        BiasedMf mf = BiasedMf.fit(tasks, validation, k, tuned.lambda(), Seeds.derive(seed, 0x1D));
        float[] rows = new float[data.numItems() * (dim + 1)];
        for (int i = 0; i < data.numItems(); i++) {
            for (int f = 0; f < k; f++) rows[i * (dim + 1) + f] = (float) mf.itemFactor(i, f);
            rows[i * (dim + 1) + dim] = (float) mf.itemBias(i);
        }
        return rows;
    }

    private static float meanTarget(Dataset d, ColdStartSplit s, Feedback f) {
        Interactions x = d.interactions();
        double sum = 0;
        int n = 0;
        for (int k = 0; k < x.size(); k++) {
            if (s.scenarioOf(k) != Scenario.TRAIN) continue;
            sum += f.implicit() ? (x.rating(k) >= f.positiveThreshold() ? 1 : 0) : x.rating(k);
            n++;
        }
        double m = n == 0 ? 0 : sum / n;
        if (f.implicit()) m = Math.log(Math.max(1e-4, m) / Math.max(1e-4, 1 - m));
        return (float) m;
    }
}
