package io.metarec.rec.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The generic layout declares no rating scale: any finite rating within ±Dataset.MAX_RATING; beyond, an error naming file, line and field. */
class RatingRangeTest {

    static Path dataset(Path dir, String... ratings) throws IOException {
        StringBuilder b = new StringBuilder("user,item,rating\n");
        for (int k = 0; k < ratings.length; k++) b.append("u").append(k % 3).append(",i").append(k).append(',').append(ratings[k]).append('\n');
        Files.writeString(dir.resolve(GenericLayout.INTERACTIONS), b.toString());
        return dir;
    }

    @Test
    void scoresOfAnyUsualScaleAreRead(@TempDir Path dir) throws IOException {
        Dataset d = GenericLayout.read(dataset(dir, "1", "4.5", "0", "-3", "87.5", "1000000", "-1e6"));
        assertEquals(1e6f, d.interactions().rating(5));
        assertEquals(-1e6f, d.interactions().rating(6));
    }

    @Test
    void absurdMagnitudesAreErrorsNamingFileLineAndField(@TempDir Path dir) throws IOException {
        for (String bad : new String[] {"1e30", "-2000000", "1e39", "3.5e7"}) {
            dataset(dir, "4", "5", bad);
            DataFormatException e = assertThrows(DataFormatException.class, () -> GenericLayout.read(dir), bad);
            assertEquals(dir.resolve(GenericLayout.INTERACTIONS), e.file());
            assertEquals(4, e.line(), e.getMessage());
            assertTrue(e.getMessage().contains("rating \"" + bad + "\" is out of range") && e.getMessage().contains("1000000"), e.getMessage());
        }
    }

    @Test
    void theBuilderRefusesThemToo() {
        Dataset.Builder b = new Dataset.Builder("x", DatasetFormat.GENERIC);
        int u = b.user("u"), i = b.item("i");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.interaction(u, i, 1e30f, Interactions.NO_TIMESTAMP));
        assertTrue(e.getMessage().contains("within ±1000000"), e.getMessage());
    }
}
