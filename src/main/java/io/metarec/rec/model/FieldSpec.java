package io.metarec.rec.model;

/**
 * One input field of a recommendation model: a user or item feature (gender, genres, …) with its
 * vocabulary size. Multi-valued fields (genres, actors) are mean-pooled (embedding bag).
 */
public record FieldSpec(String name, Side side, int vocab, boolean multiValued) {
    public enum Side { USER, ITEM }

    public FieldSpec {
        if (name == null || name.isBlank() || !name.matches("[A-Za-z0-9_\\-]+"))
            throw new IllegalArgumentException("field name must be letters, digits, '_' or '-', got '" + name + "'");
        if (vocab < 1) throw new IllegalArgumentException("field " + name + ": vocabulary size must be ≥ 1, got " + vocab);
    }

    /** The parameter name of this field's embedding table. */
    public String tableName() {
        return "emb." + side.name().toLowerCase(java.util.Locale.ROOT) + "." + name + ".weight";
    }
}
