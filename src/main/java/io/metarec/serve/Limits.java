package io.metarec.serve;

/**
 * What one request may ask for: a hostile or mistaken client gets a 400/413 instead of tying up
 * memory and cores (a batch of users costs one adaptation each; a body is read into memory).
 *
 * @param maxBodyBytes     request body size (413 beyond)
 * @param maxK             recommendations per user (k in 1..maxK)
 * @param maxRatings       ratings per user
 * @param maxBatchUsers    users per batch request
 */
public record Limits(int maxBodyBytes, int maxK, int maxRatings, int maxBatchUsers) {
    public static Limits defaults() {
        return new Limits(1 << 20, 1000, 1000, 256);
    }

    public Limits {
        if (maxBodyBytes < 1 || maxK < 1 || maxRatings < 1 || maxBatchUsers < 1)
            throw new IllegalArgumentException("limits must be positive");
    }
}
