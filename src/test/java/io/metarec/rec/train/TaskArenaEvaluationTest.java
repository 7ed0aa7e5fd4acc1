package io.metarec.rec.train;

import io.metarec.backend.cpu.HostScopes;
import io.metarec.meta.LearnerConfig;
import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import io.metarec.rec.split.MeluProtocol;
import io.metarec.rec.split.Scenario;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Training's validation and the evaluation of every user run in repeating scopes (task arenas,
 * {@link HostScopes#openRepeating}): with the arenas on, the learning curve and every user's
 * metrics — catalogue ranking included — are bitwise those with the collector alone.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.metarec.RestoresEngine.class)
class TaskArenaEvaluationTest {
    private static List<double[]> run(boolean arenas) {
        HostScopes.Mode mode = HostScopes.mode();
        boolean before = HostScopes.taskArenas();
        HostScopes.setMode(HostScopes.Mode.OFF);
        HostScopes.setTaskArenas(arenas);
        try {
            Dataset d = Synthetic.generate(SyntheticConfig.of(200, 150, 5)).dataset();
            Experiment e = Experiment.of(d, MeluProtocol.defaults().split(d), Feedback.explicit(), 0.1, 5);
            RecConfig c = new RecConfig("melu", 8, List.of(16, 16), Feedback.explicit(), "maml", 2, 0.01f, 1e-3f, 16, 2, 0, 0.1,
                    LearnerConfig.Execution.AUTO, 5, true, true, true, true, true);
            Experiment.Trained t = e.train(c, new RecTrainer.Listener() {});
            List<double[]> out = new ArrayList<>();
            out.add(t.history().epochs().stream().flatMapToDouble(ep -> java.util.stream.DoubleStream.of(ep.trainLoss(), ep.validationLoss())).toArray());
            Evaluator ev = new Evaluator(e.tasks(), true);
            for (Recommender r : e.recommenders(t))
                if (r.name().equals("maml"))
                    for (Scenario s : Scenario.evaluation()) for (double[] metric : ev.values(r, e.split().tasks(s))) out.add(metric);
            return out;
        } finally {
            HostScopes.setMode(mode);
            HostScopes.setTaskArenas(before);
        }
    }

    @Test void validationAndEvaluationGiveTheSameBitsWithTaskArenas() {
        List<double[]> want = run(false), got = run(true);
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) assertArrayEquals(want.get(i), got.get(i), "values " + i);
    }
}
