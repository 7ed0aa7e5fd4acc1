package io.metarec.rec.train;

import io.metarec.nn.Params;
import io.metarec.rec.split.Scenario;
import io.metarec.rec.split.UserTask;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Saved models: round trip (same parameters, same predictions), atomic overwrite, clear errors for bad files. */
class SavedModelTest {
    static final Experiment experiment = TinyExperiment.mamlRun().experiment();
    static final Experiment.Trained trained = TinyExperiment.mamlRun().trained();

    @Test
    void roundTripKeepsParametersAndPredictions(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("m.metarec");
        SavedModel.save(f, trained.config(), experiment.data(), experiment.encoder(), experiment.meanTarget(), trained.learner(), null);
        SavedModel m = SavedModel.load(f);
        assertEquals(trained.config(), m.config());
        Params a = trained.learner().metaParams(), b = m.learner().metaParams();
        assertEquals(a.names(), b.names());
        for (String n : a.names()) assertArrayEquals(a.get(n).toArray(), b.get(n).toArray(), n);
        UserTask t = experiment.split().tasks(Scenario.USER_COLD).get(0);
        float[] before = new LearnerRecommender("x", trained.learner(), experiment.tasks(), 2).adapt(t).score(new int[] {0, 1, 2, 3});
        // The reloaded model scores through its own stored catalogue and vocabularies.
        var profile = io.metarec.rec.model.FeatureEncoder.UserProfile.of(experiment.data().userFeatures(), t.user());
        var support = experiment.tasks().support(t);
        var adapted = m.learner().adaptTo(support, 2);
        float[] after = m.learner().predict(adapted, m.encoder().encode(profile, new int[] {0, 1, 2, 3}, new float[4])).toArray();
        assertArrayEquals(before, after, 0f);
        assertEquals(experiment.data().itemId(7), m.itemIds().get(7));
    }

    @Test
    void truncatedCorruptedAndForeignFilesAreNamed(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("m.metarec");
        SavedModel.save(f, trained.config(), experiment.data(), experiment.encoder(), experiment.meanTarget(), trained.learner(), null);
        byte[] bytes = Files.readAllBytes(f);

        Path truncated = dir.resolve("t.metarec");
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length / 2));
        IOException e = assertThrows(IOException.class, () -> SavedModel.load(truncated));
        assertTrue(e.getMessage().contains("t.metarec") && e.getMessage().contains("truncated or corrupted"), e.getMessage());

        Path flipped = dir.resolve("c.metarec");
        byte[] c = bytes.clone();
        c[c.length / 3] ^= 0x40;
        Files.write(flipped, c);
        e = assertThrows(IOException.class, () -> SavedModel.load(flipped));
        assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());

        Path foreign = dir.resolve("f.metarec");
        Files.writeString(foreign, "user,item,rating\n1,2,3\n");
        e = assertThrows(IOException.class, () -> SavedModel.load(foreign));
        assertTrue(e.getMessage().contains("not a metarec model file"), e.getMessage());

        e = assertThrows(IOException.class, () -> SavedModel.load(dir.resolve("missing.metarec")));
        assertTrue(e.getMessage().contains("no such model file"), e.getMessage());
    }

    @Test
    void aSaveOverwritesAtomicallyAndLeavesNoTemporaryFiles(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("m.metarec");
        SavedModel.save(f, trained.config(), experiment.data(), experiment.encoder(), experiment.meanTarget(), trained.learner(), null);
        SavedModel.save(f, trained.config(), experiment.data(), experiment.encoder(), experiment.meanTarget(), trained.learner(), null);
        try (var s = Files.list(dir)) {
            assertEquals(java.util.List.of("m.metarec"), s.map(p -> p.getFileName().toString()).toList());
        }
        SavedModel.load(f);
    }
}
