package io.metarec.rec.train;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metarec.autograd.Tensor;
import io.metarec.meta.LearnerConfig;
import io.metarec.nn.Params;
import io.metarec.nn.ParamsFile;
import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import io.metarec.rec.split.MeluProtocol;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Model files altered by someone who recomputes the checksum: every declared size and value is
 * checked before use, and refused with one line naming the file and the field. The sizes that
 * would make the loader build a huge model (embedding dimension, hidden layers, a long known_users)
 * are refused by comparing the model the header describes with the values the file holds.
 */
class HostileModelTest {
    @TempDir static Path dir;
    static Path model;

    @BeforeAll
    static void saveSmallModel() throws IOException {
        Dataset d = Synthetic.generate(SyntheticConfig.of(120, 60, 7)).dataset();
        Experiment e = Experiment.of(d, MeluProtocol.defaults().split(d), Feedback.explicit(), 0.1, 3);
        RecConfig c = new RecConfig("melu", 4, List.of(8), Feedback.explicit(), "maml", 2, 0.01f, 1e-3f, 8, 1, 0, 0.1,
                LearnerConfig.Execution.PER_TASK, 3, true, false, true, false, false);
        model = dir.resolve("m.metarec");
        SavedModel.save(model, c, e, Learners.learner(c, Learners.model(c, e.encoder(), e.meanTarget())), null);
        SavedModel.load(model);
    }

    /** The model with its header edited and the file re-sealed; loading it must fail with {@code expected} in one line. */
    static void refused(String name, Consumer<ObjectNode> edit, String expected) throws IOException {
        ParamsFile.Contents c = ParamsFile.load(model);
        edit.accept(c.header());
        Path f = dir.resolve(name + ".metarec");
        ParamsFile.save(f, c.header(), c.params());
        IOException e = assertThrows(IOException.class, () -> SavedModel.load(f), name);
        assertEquals(f + ": " + expected, e.getMessage().substring(0, Math.min(e.getMessage().length(), (f + ": " + expected).length())), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }

    static ObjectNode config(ObjectNode h) {
        return (ObjectNode) h.get("config");
    }

    @Test
    void configValuesOutOfRangeNameTheField() throws IOException {
        refused("steps", h -> config(h).put("innerSteps", 2_000_000_000), "config field innerSteps: inner steps must be in 1..1000, got 2000000000");
        refused("epochs", h -> config(h).put("epochs", 2_000_000_000), "config field epochs: epochs must be in 1..10000, got 2000000000");
        refused("lr", h -> config(h).put("innerLr", -1), "config field innerLr: inner learning rate must be positive, got -1.0");
        refused("model", h -> config(h).put("model", 5), "config field model: unknown model '5'; valid: melu, metric");
        refused("type", h -> config(h).put("innerSteps", "many"), "config field innerSteps: Cannot deserialize value of type `int` from String \"many\"");
        refused("missing", h -> h.remove("config"), "header field config: missing or not an object");
        refused("negatives", h -> ((ObjectNode) config(h).get("feedback")).put("negatives", 1000),
                "config field feedback: negatives per positive must be in 0..100, got 1000");
    }

    @Test
    void sizesThatWouldBuildAHugeModelAreComparedWithTheFileFirst() throws IOException {
        refused("dim", h -> config(h).put("embeddingDim", 1024), "the config describes a model of ");
        refused("hidden", h -> {
            ArrayNode a = config(h).putArray("hidden");
            for (int k = 0; k < 16; k++) a.add(4096);
        }, "the config describes a model of 251");
        refused("users", h -> h.put("known_users", "1".repeat(5_000_000)), "the config describes a model of ");
        refused("layers", h -> {
            ArrayNode a = config(h).putArray("hidden");
            for (int k = 0; k < 17; k++) a.add(8);
        }, "config field hidden: hidden sizes must be 1..4096, at least one and at most 16");
    }

    @Test
    void inconsistentHeadersNameTheField() throws IOException {
        refused("remap", h -> ((ArrayNode) h.get("item_remap").get(0)).set(0, 99), "header field item_remap: field ");
        refused("remapRows", h -> ((ArrayNode) h.get("item_remap")).remove(0), "header field item_remap: needs one list per field");
        refused("titles", h -> ((ArrayNode) h.get("item_titles")).remove(0), "header field item_titles: 59 titles for 60 items");
        refused("counts", h -> ((ArrayNode) h.get("item_counts")).set(3, -4), "header field item_counts: entry 3 is not a count: -4");
        refused("mean", h -> h.put("mean_target", "x"), "header field mean_target: not a finite number");
        refused("scale", h -> h.putArray("rating_scale").add(5).add(1), "header field rating_scale: must be [min, max] with finite min ≤ max");
        refused("known", h -> h.put("known_items", "01x"), "header field known_items: 3 flags, expected 60");
        refused("kind", h -> ((ObjectNode) h.get("item_fields").get(0)).put("kind", "SOMETIMES"), "header field item_fields: field ");
    }

    @Test
    void nonFiniteParametersAreRefused() throws IOException {
        ParamsFile.Contents c = ParamsFile.load(model);
        Params p = c.params();
        String name = p.names().get(2);
        float[] v = p.get(name).toArray();
        v[1] = Float.POSITIVE_INFINITY;
        Path f = dir.resolve("inf.metarec");
        ParamsFile.save(f, c.header(), p.with(name, Tensor.of(v, p.get(name).shape())));
        IOException e = assertThrows(IOException.class, () -> SavedModel.load(f));
        assertEquals(f + ": parameter '" + name + "' holds Infinity at index 1 (training diverged, or the file was altered)", e.getMessage());
    }
}
