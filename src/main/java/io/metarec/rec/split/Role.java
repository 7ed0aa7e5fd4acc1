package io.metarec.rec.split;

/** Within a user task: the ratings a learner adapts to (support) and the ones it is scored on (query). */
public enum Role {
    SUPPORT("support"), QUERY("query");

    private final String label;

    Role(String label) {
        this.label = label;
    }

    public String label() { return label; }

    public static Role parse(String label) {
        for (Role r : values()) if (r.label.equals(label)) return r;
        throw new IllegalArgumentException("unknown role " + (label.isEmpty() ? "(empty)" : "'" + label + "'") + ", expected support or query");
    }
}
