package io.metarec.rec.data;

import java.util.Locale;

/**
 * Size, seed, profile and the main knobs of the synthetic dataset's planted model (see {@link Synthetic}).
 *
 * @param users        number of users (default 6000)
 * @param items        number of items (default 3000)
 * @param seed         the random seed: the same seed gives byte-identical files
 * @param profile      which planted model: {@link Profile#REALISTIC} (default) or {@link Profile#FEATURES}
 * @param groups       hidden user groups with distinct tastes (default 8)
 * @param directors    director-like categorical values (default items / 10)
 * @param genreWeight  weight A of the group's genre taste in a rating (default 0.8)
 * @param directorWeight weight B of the group's director taste (default 0.5)
 * @param noise        standard deviation of the rating noise before rounding (default 0.55 features, 0.72 realistic)
 * @param selection    λ: users pick items with probability ∝ popularity · exp(λ · group taste) (default 0.6)
 * @param medianRatings median of the log-normal body of the ratings-per-user distribution (default 45 features, 68 realistic)
 */
public record SyntheticConfig(int users, int items, long seed, Profile profile, int groups, int directors, double genreWeight,
                              double directorWeight, double noise, double selection, double medianRatings) {

    public static final long DEFAULT_SEED = 42;

    /**
     * The planted model. Both share the hidden user groups, demographics and group tastes; they differ in
     * what an item's and a user's own identity carry (see docs/data.md, "Synthetic data").
     */
    public enum Profile {
        /**
         * Calibrated to MovieLens-100K (the default): items carry a quality of their own that no feature explains,
         * linked to their popularity; users a bias and a personal taste demographics do not predict; ratings
         * per user heavy-tailed with a pile at the sign-up minimum.
         */
        REALISTIC,
        /**
         * The first generator: an item's quality is mostly its director's (a feature), so feature-only models
         * do nearly as well as the item mean; counts log-normal around 45 ratings per user.
         */
        FEATURES;

        /** The name on the command line and in SYNTHETIC.txt. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The profile called {@code name} (case-insensitive). */
        public static Profile parse(String name) {
            for (Profile p : values()) if (p.label().equals(io.metarec.util.EnumNames.key(name))) return p;
            throw new IllegalArgumentException("unknown synthetic profile '" + name + "', expected: realistic or features");
        }
    }

    public SyntheticConfig {
        if (users < 10) throw new IllegalArgumentException("--users must be at least 10, got " + users);
        if (items < 20) throw new IllegalArgumentException("--items must be at least 20, got " + items);
        if (users > 5_000_000 || items > 5_000_000) throw new IllegalArgumentException("at most 5,000,000 users and items");
        if (profile == null) throw new IllegalArgumentException("a synthetic profile is required");
        if (groups < 1 || groups > 100) throw new IllegalArgumentException("groups must be 1–100, got " + groups);
        if (directors < 1) throw new IllegalArgumentException("directors must be positive, got " + directors);
        if (!(noise >= 0) || !(selection >= 0) || !(genreWeight >= 0) || !(directorWeight >= 0) || !(medianRatings >= 1))
            throw new IllegalArgumentException("synthetic model weights must be non-negative and medianRatings ≥ 1");
    }

    /** 6000 users, 3000 items, seed 42, the realistic profile and its defaults. */
    public static SyntheticConfig defaults() {
        return of(6000, 3000, DEFAULT_SEED);
    }

    /** The realistic profile's defaults for a given size and seed. */
    public static SyntheticConfig of(int users, int items, long seed) {
        return of(users, items, seed, Profile.REALISTIC);
    }

    /** A profile's defaults for a given size and seed. */
    public static SyntheticConfig of(int users, int items, long seed, Profile profile) {
        int directors = Math.max(1, items / 10);
        return switch (profile) {
            case REALISTIC -> new SyntheticConfig(users, items, seed, profile, 8, directors, 0.8, 0.5, 0.72, 0.6, 68);
            case FEATURES -> new SyntheticConfig(users, items, seed, profile, 8, directors, 0.8, 0.5, 0.55, 0.6, 45);
        };
    }
}
