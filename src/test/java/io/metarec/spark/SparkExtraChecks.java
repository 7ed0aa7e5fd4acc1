package io.metarec.spark;

import io.metarec.meta.MetaLearner;
import io.metarec.rec.model.Examples;
import io.metarec.rec.train.Experiment;
import io.metarec.rec.train.RecConfig;
import io.metarec.rec.train.RecTrainer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Spark checks outside the default suite (the name matches no surefire include; run them with
 * {@code ./metarec test -Dtest=SparkExtraChecks}): local steps with parameter averaging, barrier
 * mode, uneven partitions.
 */
class SparkExtraChecks {
    @BeforeAll static void start() {
        SparkTrainingTest.start();
    }

    @AfterAll static void stop() {
        SparkTrainingTest.stop();
    }

    @Test void localStepsAverageParametersAndDiffer() {
        Experiment e = SparkTrainingTest.experiment();
        RecConfig c = SparkTrainingTest.config("maml");
        RecTrainer.History[] h = new RecTrainer.History[2];
        SparkTrainingTest.Runs runs = SparkTrainingTest.both(e, c, 2, 3, h);
        List<List<HostParams>> p = List.of(runs.one(), runs.spark());
        assertFalse(p.get(0).get(0).sameBits(p.get(1).get(0)), "k local steps are not the single machine's run");
        for (RecTrainer.Epoch ep : h[1].epochs()) assertTrue(Double.isFinite(ep.validationLoss()) && ep.validationLoss() < 10, "validation " + ep);
    }

    @Test void barrierModeAndFivePartitionsMatchTheSingleMachine() {
        Experiment e = SparkTrainingTest.experiment();
        RecConfig c = SparkTrainingTest.config("metasgd");
        MetaLearner<Examples> one = e.newLearner(c);
        e.train(c, one, new RecTrainer.Listener() {}, null);
        for (boolean barrier : new boolean[] {false, true}) {
            int partitions = barrier ? 2 : 5; // barrier mode needs a slot per partition (local[2])
            MetaLearner<Examples> many = e.newLearner(c);
            Recipe r = SparkRun.recipe(SparkTrainingTest.sc, e, c, null, java.nio.file.Path.of("unused"), null, null);
            try (SparkTraining engine = new SparkTraining(SparkTrainingTest.sc, r, many, partitions, 1, c.metaBatch(), e.validationTasks().size(), barrier)) {
                e.train(c, many, engine, new RecTrainer.Listener() {}, null);
                System.out.println("metasgd, barrier " + barrier + ", " + partitions + " partitions: " + engine.timings());
            } finally {
                Recipe.forget(r.id());
            }
            assertTrue(HostParams.of(one.metaParams()).sameBits(HostParams.of(many.metaParams())), "barrier " + barrier);
        }
    }

    @Test void aBarrierStageWithTooFewSlotsFailsAtOnce() {
        Experiment e = SparkTrainingTest.experiment();
        RecConfig c = SparkTrainingTest.config("maml");
        MetaLearner<Examples> many = e.newLearner(c);
        Recipe r = SparkRun.recipe(SparkTrainingTest.sc, e, c, null, java.nio.file.Path.of("unused"), null, null);
        long t0 = System.nanoTime();
        try (SparkTraining engine = new SparkTraining(SparkTrainingTest.sc, r, many, 3, 1, c.metaBatch(), 0, true)) {
            assertThrows(Exception.class, () -> e.train(c, many, engine, new RecTrainer.Listener() {}, null));
        } finally {
            Recipe.forget(r.id());
        }
        assertTrue((System.nanoTime() - t0) / 1e9 < 60, "fails within a minute, not after Spark's retries");
    }
}
