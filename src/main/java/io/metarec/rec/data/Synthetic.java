package io.metarec.rec.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A deterministic synthetic dataset with planted structure in which adapting to a user's few
 * ratings clearly helps: the cold-start demo's data. Two profiles ({@link SyntheticConfig.Profile})
 * share the users, items and group tastes and differ in what an item's and a user's own identity carry.
 *
 * <p><b>The planted model.</b> Each user belongs to one of G hidden groups (prior π, uneven).
 * Demographics are drawn <i>given</i> the group from group-specific but overlapping distributions
 * (gender: P(M) ∈ [0.15, 0.85]; age bucket: ∝ e^−|a − c_g| around a group centre; occupation: 3
 * favourites ×6 weight among 21; region: 1 favourite ×3 among 10), so demographics predict the
 * group only partly. Items have 1–3 genres (of 18, skewed popularity), a director (Zipf-like,
 * with a home genre that is the item's first genre 60% of the time) and a release date (year
 * 2021 − Exp(mean 10), at least 1940). A rating is
 * <pre>
 *   r* = μ + b_u + b_i + A · mean_{k ∈ genres(i)} τ[g_u][k] + B · δ[g_u][director(i)] + 0.35 · mean_{k ∈ genres(i)} ω_u[k] + ε
 *   b_i = Q_d · q[director(i)] + Q_η · η_i + Q_p · (popularity z-score of i)
 * </pre>
 * with group tastes τ, δ ~ N(0, 1), director quality q ~ N(0, 1), personal deviations ω_u ~ N(0, 1), noise
 * ε ~ N(0, σ²); popularity is an item's weight in who rates what, from a random rank (×2 for items of the
 * last two years). Items are drawn without replacement with probability ∝ popularity · e^{λ · group taste}.
 * <ul>
 * <li><b>features</b> (the first generator): μ = 3.1, b_u ~ N(0, 0.3²), Q_d = 0.3, Q_η = 0.1 with η ~ N(0, 1),
 *     Q_p = 0.05 — item quality is mostly visible in the director feature; popularity 1 / (rank + 5);
 *     stars = clamp(round(r*), 1, 5); ratings per user round(LogNormal(ln median, 0.65²)) clamped to
 *     [4, min(600, items/2)] (86% within 13–100).
 * <li><b>realistic</b> (the default, calibrated to MovieLens-100K, docs/data.md "Synthetic data"): μ = 3.01,
 *     b_u = 0.4 · s_u, Q_d = 0.05, Q_η = 0.4, Q_p = 0.27, where η_i and s_u are skewed(N(0, 1), κ = 0.15)
 *     (mean 0, variance 1, skewness −0.87: a long tail of bad items and harsh users, as in MovieLens)
 *     — an item's quality is mostly its own, linked to its popularity, and no feature shows it; popularity
 *     (rank/items + 0.01)^−½ · e^{−2.6 · rank/items}; stars = 1 + #{cut points ≤ r*} with cut points 1.65,
 *     2.45, 3.47, 4.62 (the star scale used unevenly, which gives MovieLens' histogram); ratings per user
 *     n = median · e^{1.2 g − 0.15 · max(g, 0)²}, g ~ N(0, 1) (a log-normal body with a softly capped tail),
 *     and users below the floor of 13 rate 13 + ⌊Exp(mean 6)⌋ instead (a pile at the minimum, as a sign-up
 *     requirement makes), at most min(1000, items/2).
 * </ul>
 * Timestamps: each user is active for Exp(mean 200 days) from a start in 2016 – mid 2021; a
 * rating falls in that window, cut at the end of 2021, and not before the item's release.
 *
 * <p>Files (generic layout): interactions.csv (user,item,rating,timestamp), users.csv
 * (user,gender,age,occupation,region), items.csv (item,title,release,decade,director,genres[]),
 * and SYNTHETIC.txt recording the configuration. The hidden groups are not written; tests get them
 * from {@link #generate}. All randomness comes from {@link SplittableRandom} streams derived from the
 * seed, and all transcendental functions from {@link StrictMath}, so the same seed gives
 * byte-identical files on every platform.
 */
public final class Synthetic {
    private Synthetic() {}

    /**
     * A profile's fixed constants (the knobs in {@link SyntheticConfig} come on top; see the class comment).
     *
     * @param mu                 μ
     * @param userBias           sd of the user bias b_u
     * @param personal           weight of the personal genre taste ω_u
     * @param directorQuality    Q_d, weight of the director's quality in b_i (visible in a feature)
     * @param itemIdentity       Q_η, weight of the item's own quality η_i (no feature shows it)
     * @param popularityQuality  Q_p, weight of the popularity z-score in b_i
     * @param popularityExponent α in popularity (rank + offset)^−α · e^{−decay · rank / items}
     * @param popularityOffset   the offset: absolute when at least 1, otherwise a share of the catalogue
     * @param popularityDecay    the exponential decay over the rank share
     * @param biasSkew           κ of the skewed draws of η_i and b_u (0: Gaussian)
     * @param countSpread        σ of the log-normal body of ratings per user
     * @param countCompression   c in n = median · e^{σ g − c · max(g, 0)²}: a softly capped upper tail (0: plain log-normal)
     * @param countFloor         the minimum ratings per user
     * @param floorPile          0: counts below the floor are clamped to it; otherwise those users rate floor + Exp(mean floorPile)
     *                           (a pile just above the minimum, as a sign-up requirement makes)
     * @param countCap           the most ratings per user, at most half the catalogue
     * @param cuts               the star scale's cut points on r* (null: round and clamp)
     */
    record Planting(double mu, double userBias, double personal, double directorQuality, double itemIdentity, double popularityQuality,
                    double popularityExponent, double popularityOffset, double popularityDecay, double biasSkew, double countSpread,
                    double countCompression, int countFloor, double floorPile, int countCap, double[] cuts) {
        static Planting of(SyntheticConfig.Profile p) {
            return switch (p) {
                case FEATURES -> new Planting(3.1, 0.3, 0.35, 0.3, 0.1, 0.05, 1, 5, 0, 0, 0.65, 0, 4, 0, 600, null);
                case REALISTIC -> new Planting(3.01, 0.4, 0.35, 0.05, 0.4, 0.27, 0.5, 0.01, 2.6, 0.15, 1.2, 0.15, 13, 6, 1000,
                        new double[] {1.65, 2.45, 3.47, 4.62});
            };
        }

        /**
         * An item's popularity from its rank among {@code items} (features: exactly 1 / (rank + 5) as the first generator computed it).
         */
        double popularity(int rank, int items) {
            double offset = popularityOffset >= 1 ? popularityOffset : popularityOffset * items;
            if (popularityExponent == 1 && popularityDecay == 0) return 1.0 / (rank + offset);
            return StrictMath.pow(rank + offset, -popularityExponent) * StrictMath.exp(-popularityDecay * rank / items);
        }

        /** The stars for a latent rating r*: rounded and clamped to 1–5, or (cuts given) 1 + the number of cut points ≤ r*. */
        int stars(double r) {
            if (cuts == null) return (int) Math.max(1, Math.min(5, StrictMath.rint(r)));
            int s = 1;
            for (double cut : cuts) if (r >= cut) s++;
            return s;
        }

        /** The cap for a catalogue of {@code items}: never below 4, never above half the catalogue. */
        int maxRatings(int items) {
            return Math.max(4, Math.min(countCap, items / 2));
        }
    }

    static final long START = Releases.startOfYear(2016), END = Releases.startOfYear(2021) + 180L * 86400, LAST = Releases.startOfYear(2022);
    public static final List<String> GENRES = List.of("Drama", "Comedy", "Action", "Thriller", "Romance", "Adventure", "Crime",
            "Sci-Fi", "Horror", "Children", "Fantasy", "Mystery", "Animation", "Documentary", "War", "Musical", "Western", "Film-Noir");
    public static final List<String> GENDERS = List.of("F", "M");
    public static final List<String> REGIONS = List.of("northeast", "mid-atlantic", "southeast", "great-lakes", "plains", "south",
            "mountain", "southwest", "pacific", "northwest");
    private static final String[] ADJECTIVES = {"Silent", "Crimson", "Last", "Broken", "Golden", "Hidden", "Midnight", "Lost", "Wild",
            "Frozen", "Burning", "Distant", "Electric", "Forgotten", "Hollow", "Iron", "Lonely", "Northern", "Paper", "Quiet", "Restless",
            "Secret", "Shattered", "Silver", "Stolen", "Strange", "Sudden", "Velvet", "Wandering", "Winter"};
    private static final String[] NOUNS = {"Harbor", "Garden", "Road", "Kingdom", "Letter", "River", "Mirror", "Summer", "Station",
            "Promise", "Island", "Machine", "Empire", "Frontier", "Circus", "Orchard", "Signal", "Lantern", "Voyage", "Witness",
            "Horizon", "Compass", "Canyon", "Theory", "Parade", "Echo", "Labyrinth", "Meadow", "Tide", "Whisper"};

    /** The generated dataset and the hidden truth behind it. */
    public record Generated(Dataset dataset, PlantedModel model) {}

    /** The planted parameters, for tests and oracles (never written to the dataset files). */
    public static final class PlantedModel {
        final SyntheticConfig config;
        final Planting planting;
        final double[] groupPrior;            // [G]
        final double[] pMale;                 // [G]
        final double[][] ageDist, occDist, regionDist; // [G][values]
        final double[][] genreTaste;          // τ [G][genres]
        final double[][] directorTaste;       // δ [G][directors]
        final int[] userGroup, userGender, userAge, userOcc, userRegion;
        final double[] userBias;
        final double[][] personal;            // ω [users][genres]
        final int[][] itemGenres;
        final int[] itemDirector, itemYear;
        final double[] itemBias;

        PlantedModel(SyntheticConfig c, int genres) {
            config = c;
            planting = Planting.of(c.profile());
            int g = c.groups();
            groupPrior = new double[g];
            pMale = new double[g];
            ageDist = new double[g][];
            occDist = new double[g][];
            regionDist = new double[g][];
            genreTaste = new double[g][genres];
            directorTaste = new double[g][c.directors()];
            userGroup = new int[c.users()];
            userGender = new int[c.users()];
            userAge = new int[c.users()];
            userOcc = new int[c.users()];
            userRegion = new int[c.users()];
            userBias = new double[c.users()];
            personal = new double[c.users()][genres];
            itemGenres = new int[c.items()][];
            itemDirector = new int[c.items()];
            itemYear = new int[c.items()];
            itemBias = new double[c.items()];
        }

        public int groups() { return config.groups(); }

        /** The hidden group of user index u. */
        public int group(int u) { return userGroup[u]; }

        /** Group g's taste for item i: A · mean genre taste + B · director taste. */
        public double groupTaste(int g, int i) {
            double s = 0;
            for (int k : itemGenres[i]) s += genreTaste[g][k];
            return config.genreWeight() * s / itemGenres[i].length + config.directorWeight() * directorTaste[g][itemDirector[i]];
        }

        /** E[r*] for (u, i) given the true group, without noise and rounding (or the realistic profile's cut points). */
        public double expected(int u, int i) {
            return expectedInGroup(u, i, userGroup[u]);
        }

        /** E[r*] for (u, i) if u were in group g (same biases and personal taste). */
        public double expectedInGroup(int u, int i, int g) {
            double p = 0;
            for (int k : itemGenres[i]) p += personal[u][k];
            return planting.mu() + userBias[u] + itemBias[i] + groupTaste(g, i) + planting.personal() * p / itemGenres[i].length;
        }

        /** P(group | the user's demographics) by Bayes' rule over the planted distributions. */
        public double[] demographicPosterior(int u) {
            double[] post = new double[groups()];
            double z = 0;
            for (int g = 0; g < post.length; g++) {
                post[g] = groupPrior[g] * (userGender[u] == 1 ? pMale[g] : 1 - pMale[g]) * ageDist[g][userAge[u]]
                        * occDist[g][userOcc[u]] * regionDist[g][userRegion[u]];
                z += post[g];
            }
            for (int g = 0; g < post.length; g++) post[g] /= z;
            return post;
        }

        /** Noise standard deviation. */
        public double noise() { return config.noise(); }
    }

    /** Generates the dataset in memory. */
    public static Generated generate(SyntheticConfig c) {
        int nG = c.groups(), nU = c.users(), nI = c.items(), nD = c.directors(), nK = GENRES.size();
        int nAge = MovieLens.AGE_BUCKETS.size(), nOcc = MovieLens.ML1M_OCCUPATIONS.size(), nReg = REGIONS.size();
        PlantedModel m = new PlantedModel(c, nK);
        Planting pl = m.planting;

        // Groups: uneven prior, demographic distributions, tastes.
        SplittableRandom rg = stream(c.seed(), 1);
        double z = 0;
        for (int g = 0; g < nG; g++) z += m.groupPrior[g] = 0.6 + 0.8 * rg.nextDouble();
        for (int g = 0; g < nG; g++) {
            m.groupPrior[g] /= z;
            m.pMale[g] = 0.15 + 0.7 * rg.nextDouble();
            int centre = rg.nextInt(nAge);
            m.ageDist[g] = new double[nAge];
            for (int a = 0; a < nAge; a++) m.ageDist[g][a] = StrictMath.exp(-Math.abs(a - centre));
            m.occDist[g] = new double[nOcc];
            Arrays.fill(m.occDist[g], 1);
            for (int f = 0; f < 3; f++) m.occDist[g][rg.nextInt(nOcc)] = 6;
            m.regionDist[g] = new double[nReg];
            Arrays.fill(m.regionDist[g], 1);
            m.regionDist[g][rg.nextInt(nReg)] = 3;
            normalize(m.ageDist[g]);
            normalize(m.occDist[g]);
            normalize(m.regionDist[g]);
            for (int k = 0; k < nK; k++) m.genreTaste[g][k] = gaussian(rg);
            for (int d = 0; d < nD; d++) m.directorTaste[g][d] = gaussian(rg);
        }

        // Items: director, genres, release, popularity, bias.
        SplittableRandom ri = stream(c.seed(), 2);
        double[] genrePop = new double[nK];
        for (int k = 0; k < nK; k++) genrePop[k] = 1.0 / (k + 2);
        double[] directorPop = new double[nD];
        for (int d = 0; d < nD; d++) directorPop[d] = 1.0 / StrictMath.pow(d + 1, 0.7);
        int[] home = new int[nD];
        for (int d = 0; d < nD; d++) home[d] = draw(ri, genrePop);
        long[] release = new long[nI];
        String[] titles = new String[nI];
        for (int i = 0; i < nI; i++) {
            int d = draw(ri, directorPop);
            m.itemDirector[i] = d;
            double u = ri.nextDouble();
            int count = u < 0.45 ? 1 : u < 0.80 ? 2 : 3;
            List<Integer> gs = new ArrayList<>();
            gs.add(ri.nextDouble() < 0.6 ? home[d] : draw(ri, genrePop));
            while (gs.size() < count) {
                int k = draw(ri, genrePop);
                if (!gs.contains(k)) gs.add(k);
            }
            m.itemGenres[i] = gs.stream().mapToInt(Integer::intValue).toArray();
            int age = (int) StrictMath.floor(-10 * StrictMath.log(1 - ri.nextDouble()));
            int year = Math.max(1940, 2021 - age);
            m.itemYear[i] = year;
            release[i] = Releases.startOfYear(year) + 86400L * ri.nextInt(365);
            titles[i] = "The " + ADJECTIVES[ri.nextInt(ADJECTIVES.length)] + " " + NOUNS[ri.nextInt(NOUNS.length)] + " (" + year + ")";
        }
        int[] rank = io.metarec.util.Shuffle.permutation(nI, ri);
        double[] popularity = new double[nI];
        for (int i = 0; i < nI; i++) {
            popularity[i] = pl.popularity(rank[i], nI) * (m.itemYear[i] >= 2020 ? 2 : 1);
        }
        double[] logPop = new double[nI];
        double meanLog = 0, varLog = 0;
        for (int i = 0; i < nI; i++) meanLog += logPop[i] = StrictMath.log(popularity[i]);
        meanLog /= nI;
        for (int i = 0; i < nI; i++) varLog += (logPop[i] - meanLog) * (logPop[i] - meanLog);
        double sdLog = StrictMath.sqrt(varLog / nI);
        // Item quality: the director's (a feature), the item's own identity η_i (no feature explains it) and a
        // popularity effect (popularity is no feature either). The features profile puts most of it in the director;
        // the realistic one most in identity and popularity, as in MovieLens.
        double[] directorQuality = new double[nD];
        for (int d = 0; d < nD; d++) directorQuality[d] = gaussian(ri);
        for (int i = 0; i < nI; i++)
            m.itemBias[i] = pl.directorQuality() * directorQuality[m.itemDirector[i]] + pl.itemIdentity() * skewed(gaussian(ri), pl.biasSkew())
                    + pl.popularityQuality() * (logPop[i] - meanLog) / sdLog;

        // Users: group, demographics, bias, personal taste.
        SplittableRandom ru = stream(c.seed(), 3);
        for (int u = 0; u < nU; u++) {
            int g = draw(ru, m.groupPrior);
            m.userGroup[u] = g;
            m.userGender[u] = ru.nextDouble() < m.pMale[g] ? 1 : 0;
            m.userAge[u] = draw(ru, m.ageDist[g]);
            m.userOcc[u] = draw(ru, m.occDist[g]);
            m.userRegion[u] = draw(ru, m.regionDist[g]);
            m.userBias[u] = pl.userBias() * skewed(gaussian(ru), pl.biasSkew());
            for (int k = 0; k < nK; k++) m.personal[u][k] = gaussian(ru);
        }

        // Per-group selection weights as Fenwick trees, copied per user for sampling without replacement.
        double[][] groupTrees = new double[nG][];
        for (int g = 0; g < nG; g++) {
            double[] w = new double[nI];
            for (int i = 0; i < nI; i++) w[i] = popularity[i] * StrictMath.exp(c.selection() * m.groupTaste(g, i));
            groupTrees[g] = Fenwick.build(w);
        }

        Dataset.Builder b = new Dataset.Builder("synthetic", DatasetFormat.GENERIC);
        FeatureTable.Builder uf = b.userFeatures().declare("gender", Field.Kind.CATEGORICAL, GENDERS)
                .declare("age", Field.Kind.CATEGORICAL, MovieLens.AGE_BUCKETS).declare("occupation", Field.Kind.CATEGORICAL, MovieLens.ML1M_OCCUPATIONS)
                .declare("region", Field.Kind.CATEGORICAL, REGIONS);
        for (int u = 0; u < nU; u++) {
            int idx = b.user(Integer.toString(u + 1));
            uf.set("gender", idx, GENDERS.get(m.userGender[u])).set("age", idx, MovieLens.AGE_BUCKETS.get(m.userAge[u]))
                    .set("occupation", idx, MovieLens.ML1M_OCCUPATIONS.get(m.userOcc[u])).set("region", idx, REGIONS.get(m.userRegion[u]));
        }
        FeatureTable.Builder itf = b.itemFeatures().declare("decade", Field.Kind.CATEGORICAL, null)
                .declare("director", Field.Kind.CATEGORICAL, null).declare("genres", Field.Kind.MULTI, GENRES);
        for (int i = 0; i < nI; i++) {
            int idx = b.item(Integer.toString(i + 1));
            b.title(idx, titles[i]).release(idx, release[i], ReleaseSource.DECLARED);
            List<String> gs = new ArrayList<>();
            for (int k : m.itemGenres[i]) gs.add(GENRES.get(k));
            itf.set("decade", idx, (m.itemYear[i] / 10 * 10) + "s").set("director", idx, String.format(Locale.ROOT, "director-%03d", m.itemDirector[i] + 1))
                    .set("genres", idx, gs);
        }

        // Ratings, user by user.
        SplittableRandom rr = stream(c.seed(), 4);
        int maxRatings = pl.maxRatings(nI);
        double[] tree = new double[nI + 1];
        int[] chosen = new int[maxRatings];
        for (int u = 0; u < nU; u++) {
            int g = m.userGroup[u];
            int n = ratingCount(pl, c.medianRatings(), maxRatings, rr);
            System.arraycopy(groupTrees[g], 0, tree, 0, tree.length);
            for (int k = 0; k < n; k++) {
                int i = Fenwick.sample(tree, rr.nextDouble() * Fenwick.total(tree));
                chosen[k] = i;
                Fenwick.add(tree, i, -Fenwick.weight(tree, i));
            }
            long start = START + (long) (rr.nextDouble() * (END - START));
            long span = (long) (-200 * 86400 * StrictMath.log(1 - rr.nextDouble())) + 3600;
            for (int k = 0; k < n; k++) {
                int i = chosen[k];
                double r = m.expected(u, i) + c.noise() * gaussian(rr);
                int rating = pl.stars(r);
                long from = Math.max(start, release[i]);
                long ts = from + (long) (rr.nextDouble() * Math.max(3600, Math.min(span, LAST - from)));
                b.interaction(u, i, rating, ts);
            }
        }
        return new Generated(b.build(), m);
    }

    /** Generates and writes the dataset into {@code target} atomically (see {@link DatasetDirectory}). */
    public static DatasetDirectory.Written write(SyntheticConfig c, Path target, boolean force) throws IOException {
        DatasetDirectory.checkTarget(target, force); // refuse before generating
        Generated gen = generate(c);
        return DatasetDirectory.write(target, force, dir -> {
            GenericLayout.write(gen.dataset(), dir);
            Files.writeString(dir.resolve("SYNTHETIC.txt"), describe(c), StandardCharsets.UTF_8);
        });
    }

    /** The SYNTHETIC.txt text: how to regenerate the dataset. */
    static String describe(SyntheticConfig c) {
        return String.format(Locale.ROOT, """
                Synthetic recommendation dataset written by metarec (generic layout; see docs/data.md, "Synthetic data").
                Regenerate with: metarec data synth --out DIR --users %d --items %d --seed %d --profile %s
                profile=%s users=%d items=%d seed=%d groups=%d directors=%d genreWeight=%s directorWeight=%s noise=%s selection=%s medianRatings=%s
                The hidden user groups are not part of the files.
                """, c.users(), c.items(), c.seed(), c.profile().label(), c.profile().label(), c.users(), c.items(), c.seed(), c.groups(),
                c.directors(), c.genreWeight(), c.directorWeight(), c.noise(), c.selection(), c.medianRatings());
    }

    /**
     * How many items a user rates: n = median · e^{σ g − c · max(g, 0)²}, g ~ N(0, 1), rounded; below the floor either
     * clamped to it or (floorPile > 0) floor + ⌊Exp(mean floorPile)⌋; at most maxRatings.
     */
    static int ratingCount(Planting pl, double median, int maxRatings, SplittableRandom rr) {
        double g = gaussian(rr);
        double raw = StrictMath.exp(StrictMath.log(median) + pl.countSpread() * g - pl.countCompression() * Math.max(g, 0) * Math.max(g, 0));
        int n = (int) StrictMath.round(raw);
        if (n < pl.countFloor())
            n = pl.floorPile() > 0 ? pl.countFloor() + (int) StrictMath.floor(-pl.floorPile() * StrictMath.log(1 - rr.nextDouble())) : pl.countFloor();
        return Math.max(Math.min(4, maxRatings), Math.min(maxRatings, n));
    }

    // ------------------------------------------------------------------ randomness helpers

    /** An independent stream per generation stage. */
    static SplittableRandom stream(long seed, int stage) {
        return new SplittableRandom(Seeds.derive(seed, stage));
    }

    /** N(0, 1) by Box–Muller on two uniforms (explicit, so the bits never depend on the JDK's nextGaussian). */
    static double gaussian(SplittableRandom r) {
        double u1 = 1 - r.nextDouble(), u2 = r.nextDouble();
        return StrictMath.sqrt(-2 * StrictMath.log(u1)) * StrictMath.cos(2 * Math.PI * u2);
    }

    /**
     * A left-skewed variate of mean 0 and variance 1 from g ~ N(0, 1): (g − κ (g² − 1)) / √(1 + 2κ²), skewness
     * −(6κ + 8κ³) / (1 + 2κ²)^{3/2}; g itself when κ = 0.
     */
    static double skewed(double g, double kappa) {
        return kappa == 0 ? g : (g - kappa * (g * g - 1)) / StrictMath.sqrt(1 + 2 * kappa * kappa);
    }

    /** An index drawn with probability ∝ w. */
    static int draw(SplittableRandom r, double[] w) {
        double total = 0;
        for (double x : w) total += x;
        double t = r.nextDouble() * total;
        for (int k = 0; k < w.length; k++) {
            t -= w[k];
            if (t < 0) return k;
        }
        return w.length - 1;
    }

    static void normalize(double[] p) {
        double s = 0;
        for (double x : p) s += x;
        for (int k = 0; k < p.length; k++) p[k] /= s;
    }

    /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
    /** A Fenwick (binary indexed) tree of non-negative weights, 1-based in tree[1..n]: O(log n) sampling with removal. */
    static final class Fenwick {
        private Fenwick() {}

        static double[] build(double[] w) {
            double[] t = new double[w.length + 1];
            for (int i = 0; i < w.length; i++) {
                t[i + 1] += w[i];
                int parent = (i + 1) + ((i + 1) & -(i + 1));
                if (parent <= w.length) t[parent] += t[i + 1];
            }
            return t;
        }

        static void add(double[] t, int i, double delta) {
            for (int k = i + 1; k < t.length; k += k & -k) t[k] += delta;
        }

        static double prefix(double[] t, int i) { // sum of w[0..i)
            double s = 0;
            for (int k = i; k > 0; k -= k & -k) s += t[k];
            return s;
        }

        static double weight(double[] t, int i) {
            return prefix(t, i + 1) - prefix(t, i);
        }

        static double total(double[] t) {
            return prefix(t, t.length - 1);
        }

        /** The index i with prefix(i) ≤ x < prefix(i + 1), skipping zero weights. */
        static int sample(double[] t, double x) {
            int n = t.length - 1, pos = 0;
            int step = Integer.highestOneBit(n);
            for (; step > 0; step >>= 1) {
                int next = pos + step;
                if (next <= n && t[next] <= x) {
                    pos = next;
                    x -= t[next];
                }
            }
            // pos items have cumulative weight ≤ x; item pos is the chosen one (clamp for rounding at the top end).
            int i = Math.min(pos, n - 1);
            while (i > 0 && weight(t, i) <= 0) i--;
            while (i < n - 1 && weight(t, i) <= 0) i++;
            return i;
        }
    }
}
