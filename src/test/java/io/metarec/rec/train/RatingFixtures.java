package io.metarec.rec.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** Small datasets in the generic layout with a hand-written split file, for the rating baselines' tests. */
final class RatingFixtures {
    private RatingFixtures() {}

    /**
     * Writes interactions.csv and split.csv ({@code user,item,rating,scenario,role} rows, one per
     * line) into {@code dir} and prepares the experiment (validation share as given, seed 1).
     */
    static Experiment experiment(Path dir, String rows, double validationShare) throws IOException {
        Files.createDirectories(dir);
        StringBuilder x = new StringBuilder("user,item,rating\n"), s = new StringBuilder("user,item,scenario,role\n");
        for (String line : rows.strip().split("\n")) {
            String[] f = line.strip().split(",");
            x.append(f[0]).append(',').append(f[1]).append(',').append(f[2]).append('\n');
            s.append(f[0]).append(',').append(f[1]).append(',').append(f[3]).append(',').append(f[4]).append('\n');
        }
        Files.writeString(dir.resolve("interactions.csv"), x);
        Files.writeString(dir.resolve("split.csv"), s);
        return Experiment.prepare(dir, null, Feedback.explicit(), validationShare, 1);
    }

    /**
     * Training users only, each rating 20 of 40 items (10 support, 10 query):
     * r = clamp(round(3 + itemSignal·d_i + userSignal·e_u + noise·ε), 1, 5) with d_i, e_u, ε ~ N(0, 1).
     */
    static String planted(int users, double itemSignal, double userSignal, double noise, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int items = 40;
        double[] d = new double[items];
        for (int i = 0; i < items; i++) d[i] = r.nextGaussian();
        StringBuilder b = new StringBuilder();
        for (int u = 0; u < users; u++) {
            double e = r.nextGaussian();
            int start = r.nextInt(items);
            for (int j = 0; j < 20; j++) {
                int i = (start + 2 * j) % items;
                long rating = Math.round(3 + itemSignal * d[i] + userSignal * e + noise * r.nextGaussian());
                rating = Math.min(5, Math.max(1, rating));
                b.append("u").append(u).append(",m").append(i).append(',').append(rating).append(",train,").append(j < 10 ? "support" : "query").append('\n');
            }
        }
        return b.toString();
    }
}
