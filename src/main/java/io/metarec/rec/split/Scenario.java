package io.metarec.rec.split;

import java.util.ArrayList;
import java.util.List;

/**
 * Which part of a cold-start split an interaction belongs to (MeLU protocol): meta-training data,
 * held-out warm tasks, and the three cold-start scenarios. {@link #label()} is the name used in
 * split files and on the command line.
 */
public enum Scenario {
    /** Existing users × existing items: the meta-training tasks. */
    TRAIN("train"),
    /** Held-out tasks of existing users on existing items (users kept out of training). */
    WARM("warm"),
    /** New users × existing items. */
    USER_COLD("user-cold"),
    /** Existing users × new items. */
    ITEM_COLD("item-cold"),
    /** New users × new items. */
    USER_ITEM_COLD("user-item-cold");

    private final String label;

    Scenario(String label) {
        this.label = label;
    }

    public String label() { return label; }

    /** True for the scenarios a model is evaluated on (all but {@link #TRAIN}). */
    public boolean isEvaluation() { return this != TRAIN; }

    /** True when the scenario's users are new (not in training). */
    public boolean newUsers() { return this == USER_COLD || this == USER_ITEM_COLD; }

    /** True when the scenario's items are new. */
    public boolean newItems() { return this == ITEM_COLD || this == USER_ITEM_COLD; }

    /** The scenario with this label; an {@link IllegalArgumentException} listing the labels otherwise. */
    public static Scenario parse(String label) {
        for (Scenario s : values()) if (s.label.equals(label)) return s;
        throw new IllegalArgumentException("unknown scenario " + (label.isEmpty() ? "(empty)" : "'" + label + "'") + ", expected one of " + String.join(", ", labels()));
    }

    public static List<String> labels() {
        List<String> out = new ArrayList<>();
        for (Scenario s : values()) out.add(s.label);
        return out;
    }

    /** The evaluation scenarios, in table order. */
    public static List<Scenario> evaluation() {
        return List.of(WARM, USER_COLD, ITEM_COLD, USER_ITEM_COLD);
    }
}
