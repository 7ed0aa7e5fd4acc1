package io.metarec.rec.train;

import io.metarec.meta.LearnerConfig;
import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.Datasets;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import io.metarec.rec.split.MeluProtocol;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The arithmetic of {@link MemoryEstimate}: what each option does to the estimate, and the check's
 * threshold and message (the estimate against real runs is {@code cli.MemoryCheckProcessTest}).
 */
class MemoryEstimateTest {
    @TempDir static Path dir;
    static Experiment e;

    @BeforeAll
    static void data() throws IOException {
        Synthetic.write(SyntheticConfig.of(120, 60, 7), dir.resolve("d"), false);
        Dataset d = Datasets.load(dir.resolve("d"));
        e = Experiment.of(d, MeluProtocol.defaults().split(d), Feedback.explicit(), 0.1, 3);
    }

    static RecConfig config(String algo, List<Integer> hidden, int innerSteps, int metaBatch, LearnerConfig.Execution ex) {
        return new RecConfig("melu", 8, hidden, Feedback.explicit(), algo, innerSteps, 0.01f, 1e-3f, metaBatch, 1, 0, 0.1, ex, 3, true, false, true,
                false, false);
    }

    static MemoryEstimate estimate(RecConfig c, int threads) {
        return MemoryEstimate.of(c, e, e.newLearner(c), threads);
    }

    @Test
    void perTaskTheThreadsAreAtOnceStackedAStackPerThread() {
        var perTask = LearnerConfig.Execution.PER_TASK;
        MemoryEstimate two = estimate(config("maml", List.of(16), 2, 16, perTask), 2);
        assertEquals(2, two.concurrent());
        assertEquals(8, estimate(config("maml", List.of(16), 2, 16, perTask), 8).concurrent());
        assertEquals(4, estimate(config("maml", List.of(16), 2, 4, perTask), 8).concurrent(), "no more than the meta-batch");
        // Stacked on the CPU: stacks of LearnerConfig.HOST_STACK tasks, one per worker at a time.
        MemoryEstimate stacked = estimate(config("maml", List.of(16), 2, 16, LearnerConfig.Execution.BATCHED), 2);
        assertEquals(Math.min(16, 2 * LearnerConfig.HOST_STACK), stacked.concurrent());
        assertTrue(stacked.bytes() > two.bytes(), stacked.describe() + " vs " + two.describe());
        assertEquals(LearnerConfig.HOST_STACK, estimate(config("maml", List.of(16), 2, 100_000, LearnerConfig.Execution.BATCHED), 1).concurrent(),
                "one stack at a time on one worker");
        // Tasks whose tape is large (many inner steps over these supports) are stacked fewer at a time.
        int support = 0, query = 0;
        for (var t : e.trainTasks()) { support = Math.max(support, t.support().rows()); query = Math.max(query, t.query().rows()); }
        int steps = 12, fit = LearnerConfig.hostStack(steps, support, query);
        assertTrue(fit < LearnerConfig.HOST_STACK, "the fixture's largest task: " + support + " + " + query + " rows");
        assertEquals(2 * fit, estimate(config("maml", List.of(16), steps, 16, LearnerConfig.Execution.BATCHED), 2).concurrent());
        int tasks = e.trainTasks().size();
        assertEquals(tasks, estimate(config("maml", List.of(16), 2, 100_000, LearnerConfig.Execution.BATCHED), 100_000).concurrent(),
                "a meta-batch is at most the training tasks");
    }

    @Test
    void wideLayersAndInnerStepsGrowTheTapeFirstOrderShrinksIt() {
        var ex = LearnerConfig.Execution.PER_TASK;
        MemoryEstimate base = estimate(config("maml", List.of(16), 2, 8, ex), 2);
        assertTrue(estimate(config("maml", List.of(256, 256), 2, 8, ex), 2).tape() > 4 * base.tape());
        MemoryEstimate steps = estimate(config("maml", List.of(16), 5, 8, ex), 2);
        assertTrue(steps.tape() > 2 * base.tape(), "(k + 1)²: " + steps.tape() + " vs " + base.tape());
        MemoryEstimate first = estimate(config("fomaml", List.of(16), 2, 8, ex), 2);
        assertEquals(base.tape() / 3.0, first.tape(), base.tape() * 0.01);
        assertEquals(base.data(), first.data());
        assertTrue(base.data() >= 112L * e.data().interactions().size());
        assertEquals(4L * 8 * base.metaParams(), base.state());
    }

    @Test
    void theCheckRefusesOnlyWhenAThirdOfTheEstimateExceedsTheHeap() {
        MemoryEstimate m = new MemoryEstimate(100L << 20, 10L << 20, 50L << 20, 16, true, 1L << 20, 1_000_000, 370, 418);
        long est = m.bytes();
        assertEquals(MemoryEstimate.JVM + (100L << 20) + (10L << 20) + 16 * (50L << 20) + (1L << 20), est);
        assertEquals(est / 3, m.floor(), 1);
        m.check("this job", m.floor());      // exactly the floor: allowed
        m.check("this job", est / 2);
        if (!MemoryEstimate.checkEnabled()) return; // METAREC_MEMORY_CHECK=off in this environment
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> m.check("this job", m.floor() - (1 << 20)));
        String line = x.getMessage();
        assertTrue(line.startsWith("this job needs at least 306 MiB of heap (estimate 919 MiB: data 100 MiB, 1,000,000 meta-parameters with Adam's state 10 MiB, "
                + "16 tasks at once × 50 MiB of autograd tape), the JVM has 305 MiB; run with METAREC_JAVA_OPTS=-Xmx1g, or lower --meta-batch"), line);
        assertTrue(line.endsWith("(METAREC_MEMORY_CHECK=off skips this check)"), line);
        assertTrue(!line.contains("\n"));
    }
}
