package io.metarec.meta;

import io.metarec.autograd.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** LEO's regularisers and options. */
class LeoTest {

    @Test
    void klAgainstTheStandardNormalInClosedForm() {
        Tensor mu = Tensor.of(new float[] {1f, 0f, 0f, 0f}, 2, 2), sigma = Tensor.of(new float[] {1f, 0.5f, 1f, 1f}, 2, 2);
        float[] kl = Leo.klToStandardNormal(mu, sigma).toArray();
        assertEquals(0.5 * (1 + 0.25 - 1 - 2 * Math.log(0.5)), kl[0], 1e-6); // ½[(1 + 1 − 1 − 0) + (0 + ¼ − 1 − 2 ln ½)] − ½·1
        assertEquals(0.0, kl[1], 1e-7);
    }

    @Test
    void orthogonalityIsZeroForOrthogonalRowsAndCountsCorrelations() {
        Tensor orthogonal = Tensor.of(new float[] {3, 0, 0, 0, 0, -2, 0, 0, 0, 0, 0.5f, 0}, 3, 4);
        assertEquals(0.0, Leo.orthogonality(orthogonal).item(), 1e-7);
        Tensor same = Tensor.of(new float[] {1, 2, 1, 2, 1, 2}, 3, 2); // every cosine is 1
        assertEquals(6.0 / 9.0, Leo.orthogonality(same).item(), 1e-6);
    }

    @Test
    void regularisersEnterTheMetaLossWithTheirWeights() {
        List<Task<Batch>> tasks = Fixtures.tasks(2, 3);
        LearnerConfig c = Fixtures.config(Fixtures.Kind.LEO);
        Leo.Options none = Leo.Options.defaults().withLatentDim(4).withWeights(0, 0, 0);
        var a = new Leo<>(Fixtures.smallMlp(), c, none, null).metaGradient(tasks).grads();
        var b = new Leo<>(Fixtures.smallMlp(), c, none.withWeights(0, 0, 10f), null).metaGradient(tasks).grads();
        // only the decoder's weight feels the orthogonality term
        for (String n : a.names()) {
            double e = Fixtures.relativeError(b.get(n).toArray(), a.get(n).toArray());
            if (n.equals(Leo.DEC_W)) assertTrue(e > 1e-3, "orthogonality term did not reach the decoder");
            else assertEquals(0.0, e, 1e-7, n);
        }
        var k = new Leo<>(Fixtures.smallMlp(), c, none.withWeights(1f, 0, 0), null).metaGradient(tasks).grads();
        assertTrue(Fixtures.relativeError(k.get(Leo.ENC_W).toArray(), a.get(Leo.ENC_W).toArray()) > 1e-4, "KL did not reach the encoder");
    }

    @Test
    void badOptionsFailClearly() {
        assertThrows(IllegalArgumentException.class, () -> Leo.Options.defaults().withLatentDim(0));
        assertThrows(IllegalArgumentException.class, () -> Leo.Options.defaults().withFinetuneSteps(-2));
        assertThrows(IllegalArgumentException.class, () -> Leo.Options.defaults().withLatentLrInit(0));
        assertThrows(IllegalArgumentException.class, () -> Leo.Options.defaults().withWeights(-1, 0, 0));
        var e = assertThrows(IllegalArgumentException.class, () -> new Leo<>(new GoldenLearnerTest.FieldLookupModel(new int[] {2}, 2, new int[] {2, 1}) {
            @Override public int featureWidth() { return -1; }
        }, LearnerConfig.defaults()));
        assertTrue(e.getMessage().contains("featureWidth"), e.getMessage());
    }
}
