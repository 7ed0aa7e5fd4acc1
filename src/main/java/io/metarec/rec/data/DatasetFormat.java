package io.metarec.rec.data;

/** The on-disk formats a dataset directory can hold, and the file that identifies each. */
public enum DatasetFormat {
    MOVIELENS_100K("MovieLens-100K", "u.data"),
    MOVIELENS_1M("MovieLens-1M", "ratings.dat"),
    GENERIC("generic", "interactions.csv");

    private final String label;
    private final String marker;

    DatasetFormat(String label, String marker) {
        this.label = label;
        this.marker = marker;
    }

    /** A human-readable name, e.g. "MovieLens-1M". */
    public String label() { return label; }

    /** The file whose presence identifies this format in a directory. */
    public String marker() { return marker; }
}
