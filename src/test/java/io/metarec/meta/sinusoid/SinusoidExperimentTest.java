package io.metarec.meta.sinusoid;

import io.metarec.meta.LearnerKind;
import io.metarec.meta.sinusoid.SinusoidExperiment.Config;
import io.metarec.meta.sinusoid.SinusoidExperiment.Result;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sinusoid benchmark, shortened: every meta-learner must clearly beat the pretrained baseline. */
class SinusoidExperimentTest {

    /**
     * A short seeded run: 1,000 meta-batches of 10 tasks with Adam 5e-3 (Meta-LSTM 400 and LEO 300,
     * the costly ones; LEO's Adam stays at 1e-3), 200 held-out tasks. The full run (README) uses the
     * paper's settings.
     */
    static Config quick() {
        return Config.defaults().withIterations(1000).withCap(LearnerKind.METALSTM, 400).withCap(LearnerKind.LEO, 300).withMetaBatch(10)
                .withTestTasks(200).withOuterLr(5e-3f).withSeed(1);
    }

    @Test
    void everyMetaLearnerBeatsThePretrainedBaselineAfterOneStep() {
        long t0 = System.nanoTime();
        SinusoidExperiment ex = new SinusoidExperiment(quick());
        Result pretrained = ex.run(LearnerKind.PRETRAINED, SinusoidExperiment.Progress.NONE);
        List<Result> all = new ArrayList<>(List.of(pretrained));
        for (LearnerKind a : LearnerKind.metaLearners()) all.add(ex.run(a, SinusoidExperiment.Progress.NONE));
        String table = SinusoidExperiment.table(all);
        System.out.print(table);
        System.out.printf("sinusoid ordering test: %.1f s%n", (System.nanoTime() - t0) / 1e9);
        double baseline = pretrained.oneStep().mean();
        assertTrue(Double.isFinite(baseline) && baseline > 1.0, "the pretrained baseline should be poor after one step:\n" + table);
        for (Result r : all.subList(1, all.size())) {
            assertEquals(0, r.oneStep().diverged(), r.learner() + " diverged after one step:\n" + table);
            assertTrue(r.oneStep().mean() < 0.75 * baseline, r.learner() + " does not clearly beat the pretrained baseline after one step:\n" + table);
        }
    }

    @Test
    void tasksFollowFinnEtAlAndAreSeeded() {
        SinusoidTasks a = new SinusoidTasks(5), b = new SinusoidTasks(5);
        for (int i = 0; i < 200; i++) {
            SinusoidTasks.Sinusoid f = a.nextFunction();
            assertEquals(f, b.nextFunction());
            assertTrue(f.amplitude() >= 0.1 && f.amplitude() < 5 && f.phase() >= 0 && f.phase() < Math.PI, f.toString());
        }
        var t = a.next(10, 7);
        assertEquals(10, t.support().rows());
        assertEquals(7, t.query().rows());
        for (float x : t.support().features().toArray()) assertTrue(x >= -5 && x < 5);
    }

    @Test
    void scoresCountDivergedTasks() {
        var s = SinusoidExperiment.Score.of(new double[] {1, 2, Double.POSITIVE_INFINITY});
        assertEquals(1, s.diverged());
        assertTrue(s.text().contains("diverged on 1/3"), s.text());
        var ok = SinusoidExperiment.Score.of(new double[] {1, 2, 3});
        assertEquals(2.0, ok.mean(), 1e-12);
        assertEquals(1.96 * 1.0 / Math.sqrt(3), ok.ci95(), 1e-12);
    }
}
