package io.metarec.rec.train;

import io.metarec.rec.model.MeluModel;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which runs fit the user's offset and bias in closed form ({@link RecConfig#foldsIn()}), and what
 * then adapts: asked with {@code --fold-in}, always for LEO (its decoder then emits only the head),
 * never for clicks or without identities; the other learners' defaults are unchanged.
 */
class RecConfigFoldInTest {
    static final String PERSONAL = MeluModel.PERSONAL;

    static RecConfig with(String algo, boolean foldIn, boolean identity, Feedback fb) {
        RecConfig d = RecConfig.defaults();
        return new RecConfig("melu", 8, List.of(16, 16), fb, algo, 2, 0.01f, 1e-3f, 8, 1, 0, 0.1, d.execution(), 1, identity, false, true,
                foldIn, true);
    }

    @Test
    void leoAlwaysFoldsInAndEmitsOnlyTheHead() {
        RecConfig leo = with("leo", false, true, Feedback.explicit());
        assertTrue(leo.foldsIn());
        assertEquals(List.of("mlp.fc3", PERSONAL), leo.adaptedGroups());
        assertTrue(RecConfig.defaults().withAlgo("leo").foldsIn(), "the default configuration's LEO");
    }

    @Test
    void theOtherLearnersFoldInWhenAsked() {
        for (String algo : List.of("maml", "fomaml", "reptile", "metasgd", "metalstm", "pretrained")) {
            assertFalse(with(algo, false, true, Feedback.explicit()).foldsIn(), algo);
            assertTrue(with(algo, true, true, Feedback.explicit()).foldsIn(), algo);
        }
        assertFalse(RecConfig.defaults().foldsIn(), "off by default");
    }

    @Test
    void neverForClicksOrWithoutIdentities() {
        RecConfig clicks = with("leo", true, true, Feedback.implicit(4, 1));
        assertFalse(clicks.foldsIn());
        assertEquals(List.of("mlp.fc3", PERSONAL + ".bias"), clicks.adaptedGroups(), "LEO emits the bias where it cannot be fitted");
        assertFalse(with("leo", true, false, Feedback.explicit()).foldsIn());
        assertFalse(with("maml", true, false, Feedback.explicit()).foldsIn());
    }
}
