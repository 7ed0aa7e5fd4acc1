package io.metarec.rec.train;

import io.metarec.meta.LearnerConfig;
import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import io.metarec.rec.split.MeluProtocol;

import java.util.List;

/** The small seeded experiment and MAML configuration several tests train once (about a second). */
final class TinyExperiment {
    private TinyExperiment() {}

    /** 300 users, 200 items, MeLU protocol, 10% validation users, seed 3. */
    static Experiment experiment() {
        Dataset d = Synthetic.generate(SyntheticConfig.of(300, 200, 5)).dataset();
        return Experiment.of(d, MeluProtocol.defaults().split(d), Feedback.explicit(), 0.1, 3);
    }

    /** {@link #experiment} and {@link #maml} trained on it, once per JVM for the tests that only read them. */
    record Run(Experiment experiment, Experiment.Trained trained) {}

    private static Run mamlRun;

    static synchronized Run mamlRun() {
        if (mamlRun == null) {
            Experiment e = experiment();
            mamlRun = new Run(e, e.train(maml(), new RecTrainer.Listener() {}));
        }
        return mamlRun;
    }

    /** MeLU, embeddings 8, MLP 16-16, MAML with 2 inner steps, one epoch, per task. */
    static RecConfig maml() {
        return new RecConfig("melu", 8, List.of(16, 16), Feedback.explicit(), "maml", 2, 0.01f, 1e-3f, 16, 1, 0, 0.1,
                LearnerConfig.Execution.PER_TASK, 3);
    }
}
