package io.metarec.rec.data;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsing and formatting of release times and years (all in UTC). */
public final class Releases {
    private Releases() {}

    private static final Pattern YEAR = Pattern.compile("\\d{4}");
    private static final Pattern DATE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");
    private static final Pattern INTEGER = Pattern.compile("-?\\d+");
    private static final Pattern TITLE_YEAR = Pattern.compile("\\((\\d{4})\\)\\s*$");
    /**
     * MovieLens-100K's release dates as the official u.item writes them: the day with or without a
     * leading zero ("01-Jan-1995", "4-Feb-1971"), an English month abbreviation, a 4-digit year.
     */
    private static final DateTimeFormatter ML100K_DATE = new java.time.format.DateTimeFormatterBuilder()
            .parseCaseInsensitive().appendPattern("d-MMM-uuuu").toFormatter(Locale.ENGLISH)
            .withResolverStyle(java.time.format.ResolverStyle.STRICT);
    /** Width of the MovieLens release-year buckets. */
    public static final int YEAR_BUCKET = 5;

    /** 1 January of {@code year}, 00:00 UTC, in Unix seconds. */
    public static long startOfYear(int year) {
        return LocalDate.of(year, 1, 1).atStartOfDay(ZoneOffset.UTC).toEpochSecond();
    }

    /** The UTC calendar year of a Unix time. */
    public static int yearOf(long seconds) {
        return Instant.ofEpochSecond(seconds).atZone(ZoneOffset.UTC).getYear();
    }

    /**
     * A {@code release} cell: a 4-digit year ("1995" → 1995-01-01), an ISO date ("1995-07-14"),
     * an ISO instant ("1995-07-14T12:00:00Z") or Unix seconds (any other integer). Null for an
     * empty cell; an {@link IllegalArgumentException} with the reason otherwise.
     */
    public static Long parseDeclared(String cell) {
        String s = cell.trim();
        if (s.isEmpty()) return null;
        try {
            if (YEAR.matcher(s).matches()) return startOfYear(Integer.parseInt(s));
            if (DATE.matcher(s).matches()) return LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toEpochSecond();
            if (INTEGER.matcher(s).matches()) return Long.parseLong(s);
            return Instant.parse(s).getEpochSecond();
        } catch (DateTimeParseException | NumberFormatException e) {
            throw new IllegalArgumentException("release must be a year (1995), a date (1995-07-14), an ISO instant or Unix seconds");
        }
    }

    /** The shortest {@code release} cell that {@link #parseDeclared} reads back as {@code seconds}. */
    public static String formatDeclared(long seconds) {
        var t = Instant.ofEpochSecond(seconds).atZone(ZoneOffset.UTC);
        if (t.toLocalTime().toSecondOfDay() != 0 || t.getYear() < 1000 || t.getYear() > 9999) return Long.toString(seconds);
        if (t.getDayOfYear() == 1) return String.format(Locale.ROOT, "%04d", t.getYear());
        return t.toLocalDate().toString();
    }

    /** MovieLens-100K's "01-Jan-1995" (or "4-Feb-1971") as Unix seconds at 00:00 UTC. */
    static long parseMl100kDate(String s) {
        return LocalDate.parse(s, ML100K_DATE).atStartOfDay(ZoneOffset.UTC).toEpochSecond();
    }

    /** The year in a trailing "(YYYY)" of a MovieLens title, or −1. */
    public static int titleYear(String title) {
        Matcher m = TITLE_YEAR.matcher(title);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** The {@value #YEAR_BUCKET}-year bucket of a year: 1997 → "1995-1999". */
    public static String yearBucket(int year) {
        int start = Math.floorDiv(year, YEAR_BUCKET) * YEAR_BUCKET;
        return start + "-" + (start + YEAR_BUCKET - 1);
    }
}
