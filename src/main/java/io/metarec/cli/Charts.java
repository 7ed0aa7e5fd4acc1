package io.metarec.cli;

import io.metarec.rec.eval.Summary;
import io.metarec.rec.split.Scenario;
import io.metarec.rec.train.RecTrainer;
import io.metarec.rec.train.Report;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** PNG charts (XChart): a comparison of recommenders per scenario, and learning curves. */
final class Charts {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {}

    /** One grouped bar chart per metric, side by side: scenarios on the x axis, one bar per recommender. */
    static void comparison(Report report, List<String> metrics, Path file) throws IOException {
        List<BufferedImage> panels = new ArrayList<>();
        for (String m : metrics) {
            CategoryChart c = new CategoryChartBuilder().width(640).height(420).title(m + " by scenario (mean, 95% CI)")
                    .xAxisTitle("scenario").yAxisTitle(m).build();
            c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
            c.getStyler().setLegendLayout(org.knowm.xchart.style.Styler.LegendLayout.Horizontal);
            List<String> scenarios = new ArrayList<>();
            for (Scenario s : report.results().keySet()) scenarios.add(s.label());
            List<String> names = new ArrayList<>(report.results().values().iterator().next().keySet());
            for (String r : names) {
                List<Double> ys = new ArrayList<>(), err = new ArrayList<>();
                boolean any = false;
                for (Scenario s : report.results().keySet()) {
                    Summary v = report.get(s, r, m);
                    boolean ok = v != null && v.n() > 0;
                    any |= ok;
                    ys.add(ok ? v.mean() : 0.0);
                    err.add(ok && !Double.isNaN(v.ci95()) ? v.ci95() : 0.0);
                }
                if (any) c.addSeries(r, scenarios, ys, err);
            }
            panels.add(BitmapEncoder.getBufferedImage(c));
        }
        write(side(panels), file);
    }

    /** Training and validation loss per epoch. */
    static void learningCurve(String title, RecTrainer.History h, Path file) throws IOException {
        XYChart c = new XYChartBuilder().width(640).height(420).title(title).xAxisTitle("epoch").yAxisTitle("loss").build();
        List<Double> x = new ArrayList<>(), tr = new ArrayList<>(), va = new ArrayList<>();
        for (RecTrainer.Epoch e : h.epochs()) {
            x.add((double) e.epoch());
            tr.add(e.trainLoss());
            va.add(e.validationLoss());
        }
        c.addSeries("training (query loss)", x, tr);
        c.addSeries("validation (after adaptation)", x, va);
        write(BitmapEncoder.getBufferedImage(c), file);
    }

    private static BufferedImage side(List<BufferedImage> panels) {
        int w = 0, h = 0;
        for (BufferedImage p : panels) {
            w += p.getWidth();
            h = Math.max(h, p.getHeight());
        }
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        var g = out.createGraphics();
        g.setColor(java.awt.Color.WHITE);
        g.fillRect(0, 0, w, h);
        int x = 0;
        for (BufferedImage p : panels) {
            g.drawImage(p, x, 0, null);
            x += p.getWidth();
        }
        g.dispose();
        return out;
    }

    /** Atomic PNG write. */
    private static void write(BufferedImage img, Path file) throws IOException {
        io.metarec.util.AtomicFiles.write(file, tmp -> javax.imageio.ImageIO.write(img, "png", tmp.toFile()));
    }
}
