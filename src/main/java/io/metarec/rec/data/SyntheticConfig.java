package io.metarec.rec.data;

/**
 * Size, seed and the main knobs of the synthetic dataset's planted model (see {@link Synthetic}).
 *
 * @param users        number of users (default 6000)
 * @param items        number of items (default 3000)
 * @param seed         the random seed: the same seed gives byte-identical files
 * @param groups       hidden user groups with distinct tastes (default 8)
 * @param directors    director-like categorical values (default items / 10)
 * @param genreWeight  weight A of the group's genre taste in a rating (default 0.8)
 * @param directorWeight weight B of the group's director taste (default 0.5)
 * @param noise        standard deviation of the rating noise before rounding (default 0.55)
 * @param selection    λ: users pick items with probability ∝ popularity · exp(λ · group taste) (default 0.6)
 * @param medianRatings median ratings per user; counts are log-normal with σ 0.65 (default 45)
 */
public record SyntheticConfig(int users, int items, long seed, int groups, int directors, double genreWeight, double directorWeight,
                              double noise, double selection, double medianRatings) {

    public static final long DEFAULT_SEED = 42;

    public SyntheticConfig {
        if (users < 10) throw new IllegalArgumentException("--users must be at least 10, got " + users);
        if (items < 20) throw new IllegalArgumentException("--items must be at least 20, got " + items);
        if (users > 5_000_000 || items > 5_000_000) throw new IllegalArgumentException("at most 5,000,000 users and items");
        if (groups < 1 || groups > 100) throw new IllegalArgumentException("groups must be 1–100, got " + groups);
        if (directors < 1) throw new IllegalArgumentException("directors must be positive, got " + directors);
        if (!(noise >= 0) || !(selection >= 0) || !(genreWeight >= 0) || !(directorWeight >= 0) || !(medianRatings >= 1))
            throw new IllegalArgumentException("synthetic model weights must be non-negative and medianRatings ≥ 1");
    }

    /** 6000 users, 3000 items, seed 42 and the defaults above. */
    public static SyntheticConfig defaults() {
        return of(6000, 3000, DEFAULT_SEED);
    }

    /** The defaults for a given size and seed. */
    public static SyntheticConfig of(int users, int items, long seed) {
        return new SyntheticConfig(users, items, seed, 8, Math.max(1, items / 10), 0.8, 0.5, 0.55, 0.6, 45);
    }
}
