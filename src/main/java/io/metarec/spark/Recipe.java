package io.metarec.spark;

import io.metarec.meta.MetaLearner;
import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.Datasets;
import io.metarec.rec.model.Examples;
import io.metarec.rec.train.Experiment;
import io.metarec.rec.train.Learners;
import io.metarec.rec.train.RecConfig;
import io.metarec.rec.train.SavedModel;
import org.apache.spark.SparkFiles;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How an executor rebuilds the driver's experiment: the dataset directory, the split file and
 * (evaluation) the model file, as the driver named them, and the run's configuration. An executor
 * reads a path as given when it exists there (a local mode, a shared file system, or what
 * spark-submit's {@code --archives} unpacked into the working directory), else the copy the
 * driver shipped with {@code SparkContext.addFile} (see {@link SparkRun}). What it builds is kept
 * per JVM ({@link #context}): in local mode the driver registers its own objects and nothing is
 * loaded twice.
 *
 * @param id     the run's id (contexts are cached under it)
 * @param data   the dataset directory
 * @param split  the split file, or null (the directory's split.csv, else the MeLU protocol)
 * @param model  the model file (evaluation), or null (training: a fresh learner of {@code config})
 * @param config the run's configuration (training; for evaluation the model file's)
 */
public record Recipe(String id, String data, String split, String model, RecConfig config) implements Serializable {

    /** What the executors of a run share: the experiment and, for evaluation, the saved learner. */
    public record Context(Experiment experiment, RecConfig config, MetaLearner<Examples> saved, Shared shared) {
        public Context(Experiment experiment, RecConfig config, MetaLearner<Examples> saved) {
            this(experiment, config, saved, new Shared());
        }

        /** A new learner of the run's configuration (its θ to be loaded). */
        public MetaLearner<Examples> newLearner() {
            return Learners.learner(config, Learners.model(config, experiment.encoder(), experiment.meanTarget()));
        }
    }

    /** One learner per JVM holding the θ of the latest broadcast: the tasks of a stage share it (they only read it). */
    public static final class Shared {
        private long version = Long.MIN_VALUE;
        private MetaLearner<Examples> learner;

        /** The learner at {@code state} (restored once per {@code version}, a broadcast's id). */
        synchronized MetaLearner<Examples> at(Context c, long version, StepState state) {
            if (learner == null) learner = c.newLearner();
            if (this.version != version) {
                state.restoreInto(learner);
                this.version = version;
            }
            return learner;
        }
    }

    private static final ConcurrentHashMap<String, Context> CONTEXTS = new ConcurrentHashMap<>();

    /** Registers the driver's objects (local mode: executors then use them instead of loading anything). */
    public static void register(String id, Context c) {
        CONTEXTS.put(id, c);
    }

    /** Forgets a run's context (when the run ends). */
    public static void forget(String id) {
        CONTEXTS.remove(id);
    }

    /** This JVM's context of the run: registered by the driver, else built once from the files. */
    public Context context() {
        return CONTEXTS.computeIfAbsent(id, k -> {
            try {
                return build();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private Context build() throws IOException {
        Path dir = resolve(data);
        Path splitFile = split == null ? null : resolve(split);
        if (model == null) {
            Experiment e = Experiment.prepare(dir, splitFile, config.feedback(), config.validation(), config.seed());
            return new Context(e, config, null);
        }
        SavedModel m = SavedModel.load(resolve(model));
        Dataset d = Datasets.load(dir);
        Experiment e = Experiment.of(d, Experiment.loadSplit(dir, splitFile, d), config.feedback(), config.validation(), config.seed(), m.encoder());
        return new Context(e, config, m.learner());
    }

    /** The path as given if it exists here, else the driver's shipped copy. */
    static Path resolve(String path) {
        Path p = Path.of(path);
        if (Files.exists(p)) return p;
        Path shipped = Path.of(SparkFiles.get(p.getFileName().toString()));
        if (Files.exists(shipped)) return shipped;
        throw new UncheckedIOException(new IOException("executor: " + path + " is neither here nor among the files the driver shipped ("
                + shipped + "); give a path on a shared file system, or let the driver ship it"));
    }
}
