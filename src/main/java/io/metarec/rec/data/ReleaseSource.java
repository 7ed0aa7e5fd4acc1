package io.metarec.rec.data;

/**
 * Where an item's release time came from, in order of precedence (the first that gives a value wins):
 * a declared {@code release} column, a MovieLens release date or title year, the item's first
 * interaction, or nothing.
 */
public enum ReleaseSource {
    /** The {@code release} column of an items file (generic layout, or an extra items.csv beside MovieLens files). */
    DECLARED,
    /** MovieLens-100K's release date column (d-MMM-yyyy, day with or without a leading zero), at 00:00 UTC. */
    RELEASE_DATE,
    /** The "(YYYY)" at the end of a MovieLens title, as 1 January of that year, 00:00 UTC. */
    TITLE_YEAR,
    /** The earliest timestamp among the item's interactions. */
    FIRST_INTERACTION,
    /** No release time: no declared value, no MovieLens date or year, no timestamped interaction. */
    NONE
}
