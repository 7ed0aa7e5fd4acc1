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
import org.knowm.xchart.style.Styler;

import java.awt.Color;
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

    /**
     * Twenty colours (Tableau 20), the ten saturated ones first: up to ten recommenders (the demo
     * draws nine) get ten clearly different hues, and a larger comparison (compare draws up to 19)
     * continues with their light versions rather than reusing a colour, as XChart's 10-colour cycle would.
     */
    static final Color[] PALETTE = {
            new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
            new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf),
            new Color(0xaec7e8), new Color(0xffbb78), new Color(0x98df8a), new Color(0xff9896), new Color(0xc5b0d5),
            new Color(0xc49c94), new Color(0xf7b6d2), new Color(0xc7c7c7), new Color(0xdbdb8d), new Color(0x9edae5)};

    /**
     * One grouped bar chart per metric, side by side: scenarios on the x axis, one bar per
     * recommender, in the same colour on every panel; one legend, to the right of the last panel.
     */
    static void comparison(Report report, List<String> metrics, Path file) throws IOException {
        List<String> names = new ArrayList<>(report.results().values().iterator().next().keySet());
        int height = Math.max(420, 140 + 26 * names.size());
        List<BufferedImage> panels = new ArrayList<>();
        for (int k = 0; k < metrics.size(); k++) {
            String m = metrics.get(k);
            boolean last = k == metrics.size() - 1;
            CategoryChart c = new CategoryChartBuilder().width(last ? 840 : 640).height(height).title(m + " by scenario (mean, 95% CI)")
                    .xAxisTitle("scenario").yAxisTitle(m).build();
            c.getStyler().setLegendVisible(last);
            c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
            c.getStyler().setLegendLayout(Styler.LegendLayout.Vertical);
            c.getStyler().setSeriesColors(PALETTE);
            List<String> scenarios = new ArrayList<>();
            for (Scenario s : report.results().keySet()) scenarios.add(s.label());
            double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (String r : names) {
                List<Double> ys = new ArrayList<>(), err = new ArrayList<>();
                for (Scenario s : report.results().keySet()) {
                    Summary v = report.get(s, r, m);
                    boolean ok = v != null && v.n() > 0 && Double.isFinite(v.mean());
                    double ci = ok && Double.isFinite(v.ci95()) ? v.ci95() : 0.0;
                    // no bar where the metric does not apply (popularity has no MAE), not a bar at 0
                    ys.add(ok ? v.mean() : null);
                    err.add(ok ? ci : 0.0);
                    if (ok) {
                        lo = Math.min(lo, v.mean() - ci);
                        hi = Math.max(hi, v.mean() + ci);
                    }
                }
                // every recommender gets a series, so that its colour is the same on every panel (XChart's
                // error bars need every value: a series with a gap is drawn without them)
                if (ys.contains(null)) c.addSeries(r, scenarios, ys);
                else c.addSeries(r, scenarios, ys, err);
            }
            double[] range = axisRange(lo, hi);
            if (range != null) {
                c.getStyler().setYAxisMin(range[0]);
                c.getStyler().setYAxisMax(range[1]);
            }
            c.getStyler().setYAxisDecimalPattern("0.00");
            panels.add(BitmapEncoder.getBufferedImage(c));
        }
        write(side(panels), file);
    }

    /**
     * The y axis of a comparison panel: the data's range (means ± CI) padded by a tenth of it on
     * each side and rounded outwards to a round step, so that differences of a few hundredths are
     * visible (bars from 0 to 0.76 and 0.77 look the same); never below 0 for data that is not.
     * Null when there is no data.
     */
    static double[] axisRange(double lo, double hi) {
        if (!(lo <= hi) || !Double.isFinite(lo) || !Double.isFinite(hi)) return null;
        double span = Math.max(hi - lo, Math.max(Math.abs(hi), 1e-3) * 0.02);
        double step = Math.pow(10, Math.floor(Math.log10(span))) / 2;
        double min = Math.floor((lo - span / 10) / step) * step, max = Math.ceil((hi + span / 10) / step) * step;
        if (lo >= 0 && min < 0) min = 0;
        return new double[] {min, max};
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
        c.getStyler().setXAxisDecimalPattern("0"); // epochs are whole numbers
        c.getStyler().setYAxisDecimalPattern("0.00");
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
