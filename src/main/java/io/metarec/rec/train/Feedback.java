package io.metarec.rec.train;

import io.metarec.meta.LossKind;

import java.util.Locale;

/**
 * What the model learns from. EXPLICIT: the ratings themselves (MSE). IMPLICIT: whether the user
 * liked an item — ratings at or above {@code positiveThreshold} are positives (1), lower ratings
 * and {@code negatives} sampled unrated items per positive are negatives (0) — with BCE on logits.
 */
public record Feedback(Kind kind, float positiveThreshold, int negatives) implements java.io.Serializable {
    public enum Kind { EXPLICIT, IMPLICIT }

    public static final float DEFAULT_THRESHOLD = 4f;
    public static final int DEFAULT_NEGATIVES = 1;

    public Feedback {
        if (!Float.isFinite(positiveThreshold)) throw new IllegalArgumentException("positive threshold must be a number, got " + positiveThreshold);
        if (negatives < 0 || negatives > 100) throw new IllegalArgumentException("negatives per positive must be in 0..100, got " + negatives);
    }

    public static Feedback explicit() {
        return new Feedback(Kind.EXPLICIT, DEFAULT_THRESHOLD, 0);
    }

    public static Feedback implicit(float threshold, int negatives) {
        return new Feedback(Kind.IMPLICIT, threshold, negatives);
    }

    public boolean implicit() { return kind == Kind.IMPLICIT; }

    public LossKind loss() { return implicit() ? LossKind.BCE_WITH_LOGITS : LossKind.MSE; }

    /** Parses "explicit" / "implicit" (the threshold and negatives come from their own flags). */
    public static Kind parseKind(String s) {
        return switch (io.metarec.util.EnumNames.key(s)) {
            case "explicit" -> Kind.EXPLICIT;
            case "implicit" -> Kind.IMPLICIT;
            default -> throw new IllegalArgumentException("unknown feedback '" + s + "'; valid: explicit, implicit");
        };
    }

    public String label() { return kind.name().toLowerCase(Locale.ROOT); }
}
