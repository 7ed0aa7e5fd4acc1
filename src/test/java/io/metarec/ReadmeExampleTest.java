package io.metarec;

import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.Datasets;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import io.metarec.rec.model.FeatureEncoder;
import io.metarec.rec.split.ColdStartSplit;
import io.metarec.rec.split.MeluProtocol;
import io.metarec.rec.train.Experiment;
import io.metarec.rec.train.Feedback;
import io.metarec.rec.train.RecConfig;
import io.metarec.rec.train.RecTrainer;
import io.metarec.rec.train.Recommendations;
import io.metarec.rec.train.Report;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The library example of docs/library.md, verbatim between the markers (so it compiles and runs). */
class ReadmeExampleTest {
    @Test
    void libraryExampleRuns(@TempDir Path dir) throws Exception {
        Synthetic.write(SyntheticConfig.of(400, 200, 3), dir.resolve("synthetic"), false);
        Path path = dir.resolve("synthetic");
        // docs/library.md example begins
        Dataset data = Datasets.load(path);                                  // MovieLens-100K/1M or the generic layout
        ColdStartSplit split = MeluProtocol.defaults().split(data);          // train, warm, user-cold, item-cold, user-item-cold
        Experiment exp = Experiment.of(data, split, Feedback.explicit(), 0.1, 1);
        RecConfig config = RecConfig.defaults().withAlgo("maml").withEpochs(2); // MeLU model, 3 inner steps
        Experiment.Trained maml = exp.train(config, new RecTrainer.Listener() {});
        Report report = exp.evaluate(exp.recommenders(maml), false, Report.Progress.NONE);
        report.print(System.out, List.of("mae", "rmse", "ndcg@3"));

        // A new user with three ratings: adapt to them and recommend five items.
        FeatureEncoder enc = exp.encoder();
        var user = enc.profile(Map.of("gender", "F", "age", "25-34"));
        int[] rated = {data.itemIndex("1"), data.itemIndex("2"), data.itemIndex("3")};
        var top = Recommendations.topK(maml.learner(), enc, user, rated, new float[] {5, 2, 4}, config.innerSteps(), 5);
        top.forEach(s -> System.out.println(data.title(s.item()).orElse(data.itemId(s.item())) + "  " + s.score()));
        // docs/library.md example ends
        assertEquals(5, top.size());
    }
}
