package io.metarec.cli;

import io.metarec.rec.eval.Summary;
import io.metarec.rec.split.Scenario;
import io.metarec.rec.train.RecTrainer;
import io.metarec.rec.train.Report;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The charts: an axis near the data, no bar for a missing metric, distinct colours, and images that render. */
class ChartsTest {
    @TempDir Path dir;

    @Test
    void theAxisStartsNearTheData() {
        double[] r = Charts.axisRange(0.742, 0.905);
        assertTrue(r[0] > 0.6 && r[0] <= 0.742 && r[1] >= 0.905 && r[1] < 1.0, java.util.Arrays.toString(r));
        assertArrayEquals(new double[] {0.0, 0.4}, Charts.axisRange(0.01, 0.32), 1e-9, "never below 0 for positive data, rounded to a step of 0.05");
        assertNull(Charts.axisRange(Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY), "no data, no range");
        double[] flat = Charts.axisRange(0.8, 0.8);
        assertTrue(flat[0] < 0.8 && flat[1] > 0.8, "one value still gets an axis around it: " + java.util.Arrays.toString(flat));
    }

    @Test
    void tenRecommendersGetTenDifferentHues() {
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            float[] hsb = java.awt.Color.RGBtoHSB(Charts.PALETTE[i].getRed(), Charts.PALETTE[i].getGreen(), Charts.PALETTE[i].getBlue(), null);
            assertTrue(hsb[1] > 0.4 || i == 7, "saturated colours first (grey is the 8th): " + i);
            seen.add(Charts.PALETTE[i].getRGB());
        }
        assertEquals(10, seen.size());
        assertEquals(20, new HashSet<>(java.util.Arrays.stream(Charts.PALETTE).map(java.awt.Color::getRGB).toList()).size());
    }

    /** A comparison where popularity has no MAE renders (no zero bar is drawn for it), and a learning curve renders. */
    @Test
    void chartsRenderWithAMissingMetric() throws IOException {
        Map<Scenario, Map<String, Map<String, Summary>>> results = new LinkedHashMap<>();
        for (Scenario s : List.of(Scenario.WARM, Scenario.USER_COLD)) {
            Map<String, Map<String, Summary>> rows = new LinkedHashMap<>();
            rows.put("maml", Map.of("mae", Summary.of(new double[] {0.74, 0.78, 0.76}), "ndcg@3", Summary.of(new double[] {0.70, 0.72})));
            rows.put("popularity", Map.of("ndcg@3", Summary.of(new double[] {0.65, 0.66})));
            results.put(s, rows);
        }
        Report report = new Report(results, List.of("mae", "ndcg@3"), Map.of(Scenario.WARM, 3, Scenario.USER_COLD, 3));
        Path png = dir.resolve("compare.png");
        Charts.comparison(report, List.of("mae", "ndcg@3"), png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img);
        assertTrue(img.getWidth() > 1000 && img.getHeight() >= 420, img.getWidth() + "×" + img.getHeight());

        List<RecTrainer.Epoch> epochs = new ArrayList<>();
        for (int e = 0; e <= 3; e++) epochs.add(new RecTrainer.Epoch(e, 0.9 - 0.05 * e, 0.95 - 0.03 * e, 1, 100, 0));
        Path curve = dir.resolve("curve.png");
        Charts.learningCurve("maml", new RecTrainer.History(epochs, 3, 0.86, false, 0.95), curve);
        assertNotNull(ImageIO.read(curve.toFile()));
    }
}
