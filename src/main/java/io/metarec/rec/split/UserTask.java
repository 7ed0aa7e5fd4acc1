package io.metarec.rec.split;

import java.util.Arrays;

/**
 * One user's task in one scenario: the support interactions (to adapt on) and the query
 * interactions (to score), as indices into the dataset's {@link io.metarec.rec.data.Interactions},
 * each ascending. Accessors return copies.
 */
public record UserTask(int user, Scenario scenario, int[] support, int[] query) {

    public UserTask {
        if (scenario == null) throw new IllegalArgumentException("a task needs a scenario");
        support = support.clone();
        query = query.clone();
    }

    @Override public int[] support() { return support.clone(); }

    @Override public int[] query() { return query.clone(); }

    public int supportSize() { return support.length; }

    public int querySize() { return query.length; }

    /** Support then query. */
    public int[] all() {
        int[] a = Arrays.copyOf(support, support.length + query.length);
        System.arraycopy(query, 0, a, support.length, query.length);
        return a;
    }

    public int size() { return support.length + query.length; }

    @Override public boolean equals(Object o) {
        return o instanceof UserTask t && t.user == user && t.scenario == scenario && Arrays.equals(t.support, support) && Arrays.equals(t.query, query);
    }

    @Override public int hashCode() {
        return ((user * 31 + scenario.hashCode()) * 31 + Arrays.hashCode(support)) * 31 + Arrays.hashCode(query);
    }

    @Override public String toString() {
        return "UserTask[user=" + user + ", " + scenario.label() + ", support=" + Arrays.toString(support) + ", query=" + Arrays.toString(query) + "]";
    }
}
