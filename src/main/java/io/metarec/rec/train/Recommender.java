package io.metarec.rec.train;

import io.metarec.rec.split.UserTask;

/**
 * Anything evaluated on a cold-start split: after seeing a user's support interactions it scores
 * items for that user — predicted ratings for explicit feedback, like-logits for implicit.
 * Meta-learners adapt to the support set; the baselines ignore it or use it in their own way.
 */
public interface Recommender {
    /** The name in tables and JSON ("maml", "global-mean", …). */
    String name();

    /** A scorer for the task's user, having seen the task's support interactions. Thread-safe. */
    Scorer adapt(UserTask task);

    /** What fitting it chose (hyper-parameters picked on validation, …), for logs; empty when nothing. */
    default String description() {
        return "";
    }

    /** Whether the scores are ratings (MAE / RMSE make sense) rather than only an order. */
    default boolean predictsRatings() {
        return true;
    }

    /** Scores for one user. */
    @FunctionalInterface
    interface Scorer {
        /** One score per item (catalogue indices). */
        float[] score(int[] items);

        /**
         * Keys that order a catalogue for this user (higher first): the scores, unless the
         * recommender ranks differently from how it predicts (see {@link RarityShrink}).
         */
        default float[] rank(int[] items) {
            return score(items);
        }
    }
}
