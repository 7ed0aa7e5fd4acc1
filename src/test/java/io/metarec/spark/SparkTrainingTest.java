package io.metarec.spark;

import io.metarec.meta.LearnerConfig;
import io.metarec.meta.MetaLearner;
import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import io.metarec.rec.model.Examples;
import io.metarec.rec.split.MeluProtocol;
import io.metarec.rec.train.Experiment;
import io.metarec.rec.train.Feedback;
import io.metarec.rec.train.RecConfig;
import io.metarec.rec.train.RecTrainer;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Meta-training on Spark in local mode (local[2]) ends with bitwise the parameters and history of
 * the single-machine trainer, same seed and task order: for MAML on 2 partitions, and for LEO
 * (noise keyed by each task's index in the meta-batch and the step count) on 3 partitions, whose
 * blocks are uneven. The one Spark test of the default suite (a few seconds, most of it Spark's start).
 */
class SparkTrainingTest {
    static JavaSparkContext sc;

    @BeforeAll static void start() {
        sc = SparkRun.context("local[2]");
    }

    @AfterAll static void stop() {
        if (sc != null) sc.stop();
    }

    static Experiment experiment() {
        Dataset d = Synthetic.generate(SyntheticConfig.of(120, 100, 5)).dataset();
        return Experiment.of(d, MeluProtocol.defaults().split(d), Feedback.explicit(), 0.1, 3);
    }

    static RecConfig config(String algo) {
        return new RecConfig("melu", 4, List.of(8), Feedback.explicit(), algo, 1, 0.01f, 0.01f, 8, 2, 0, 0.1,
                LearnerConfig.Execution.PER_TASK, 3, true, false, true, false, true);
    }

    /** Records the learner's meta-parameters after every epoch (training ends on the best epoch's, which may be the initial ones). */
    static RecTrainer.Listener recorder(MetaLearner<Examples> l, List<HostParams> out) {
        return new RecTrainer.Listener() {
            @Override public void epoch(RecTrainer.Epoch e, boolean best) {
                out.add(HostParams.of(l.snapshot()));
            }
        };
    }

    /** The single machine's run and the Spark run of {@code c} on {@code partitions} partitions (k local steps). */
    /** The parameters after each epoch and at the end of a single-machine run and a Spark run, and the single machine's learner. */
    record Runs(List<HostParams> one, List<HostParams> spark, MetaLearner<Examples> learner) {}

    static Runs both(Experiment e, RecConfig c, int partitions, int localSteps, RecTrainer.History[] histories) {
        List<HostParams> a = new java.util.ArrayList<>(), b = new java.util.ArrayList<>();
        long t0 = System.nanoTime();
        MetaLearner<Examples> one = e.newLearner(c);
        histories[0] = e.train(c, one, recorder(one, a), null).history();
        long t1 = System.nanoTime();
        MetaLearner<Examples> many = e.newLearner(c);
        Recipe r = SparkRun.recipe(sc, e, c, null, java.nio.file.Path.of("unused"), null, null);
        try (SparkTraining engine = new SparkTraining(sc, r, many, partitions, localSteps, c.metaBatch(), e.validationTasks().size(), false)) {
            histories[1] = e.train(c, many, engine, recorder(many, b), null).history();
            System.out.printf("%s on %d partitions, %d local steps: single machine %.1f s, Spark %.1f s; %s%n", c.algo(), partitions, localSteps,
                    (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9, engine.timings());
        } finally {
            Recipe.forget(r.id());
        }
        a.add(HostParams.of(one.metaParams()));
        b.add(HostParams.of(many.metaParams()));
        return new Runs(a, b, one);
    }

    @Test void matchesTheSingleMachineBitwise() {
        Experiment e = experiment();
        for (var run : List.of(new Object[] {"maml", 2}, new Object[] {"leo", 3})) {
            RecConfig c = config((String) run[0]);
            RecTrainer.History[] h = new RecTrainer.History[2];
            Runs runs = both(e, c, (Integer) run[1], 1, h);
            List<List<HostParams>> p = List.of(runs.one(), runs.spark());
            String what = run[0] + " on " + run[1] + " partitions";
            assertEquals(c.epochs() + 1, p.get(0).size(), what);
            assertEquals(p.get(0).size(), p.get(1).size(), what);
            for (int k = 0; k < p.get(0).size(); k++)
                assertTrue(p.get(0).get(k).sameBits(p.get(1).get(k)), what + ": parameters differ " + (k < c.epochs() ? "after epoch " + (k + 1) : "at the end"));
            assertFalse(p.get(0).get(0).sameBits(p.get(0).get(1)), what + ": the control: epoch 2 moved the parameters");
            assertEquals(h[0].epochs().size(), h[1].epochs().size(), what);
            for (int k = 0; k < h[0].epochs().size(); k++) {
                assertEquals(h[0].epochs().get(k).trainLoss(), h[1].epochs().get(k).trainLoss(), 0.0, what + ": training loss");
                assertEquals(h[0].epochs().get(k).validationLoss(), h[1].epochs().get(k).validationLoss(), 0.0, what + ": validation loss");
            }
            assertEquals(h[0].bestEpoch(), h[1].bestEpoch(), what);
            if (run[0].equals("maml")) sameEvaluation(e, c, runs.learner());
        }
    }

    /** Evaluating on 3 partitions gives the single machine's report, number for number; the top-k lists are the catalogue's best. */
    static void sameEvaluation(Experiment e, RecConfig c, MetaLearner<Examples> learner) {
        var single = e.evaluate(List.of(new io.metarec.rec.train.LearnerRecommender(c.algo(), learner, e.tasks(), c.innerSteps())), true,
                io.metarec.rec.train.Report.Progress.NONE);
        Recipe r = SparkRun.recipe(sc, e, c, learner, java.nio.file.Path.of("unused"), null, null);
        SparkEvaluation.Result spark;
        try {
            spark = SparkEvaluation.evaluate(sc, r, e, List.of(new SparkEvaluation.Spec(c.algo(), c.innerSteps())), true, 3, 5);
        } finally {
            Recipe.forget(r.id());
        }
        assertEquals(single.toJson(null).toString(), spark.report().toJson(null).toString(), "evaluation report");
        int users = 0;
        for (var s : io.metarec.rec.split.Scenario.evaluation()) users += e.split().tasks(s).size();
        assertEquals(users, spark.top().size(), "one top-k list per evaluated user");
        for (SparkEvaluation.Top t : spark.top()) {
            assertEquals(5, t.items().length, "k items");
            assertEquals(5, java.util.Arrays.stream(t.items()).distinct().count(), "distinct items");
        }
    }
}
