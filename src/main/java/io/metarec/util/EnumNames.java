package io.metarec.util;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How enum-like values are spelled on the command line: lower case with dashes ({@code PER_TASK}
 * is {@code per-task}), read case-insensitively with {@code -} and {@code _} interchangeable, so
 * {@code per-task}, {@code per_task} and {@code PER_TASK} are the same value everywhere.
 */
public final class EnumNames {
    private EnumNames() {}

    /** The normal form of a spelling: blanks stripped, lower case, underscores as dashes. */
    public static String key(String s) {
        return s == null ? "" : s.strip().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The command-line label of a constant ({@code PER_TASK} → {@code per-task}). */
    public static String label(Enum<?> e) {
        return key(e.name());
    }

    /** Every label of an enum, in declaration order. */
    public static <E extends Enum<E>> List<String> labels(Class<E> type) {
        return Arrays.stream(type.getEnumConstants()).map(EnumNames::label).toList();
    }

    /**
     * The constant of {@code type} spelled {@code s}; otherwise an IllegalArgumentException
     * "unknown WHAT 's'; valid: a, b, c".
     */
    public static <E extends Enum<E>> E parse(Class<E> type, String s, String what) {
        String k = key(s);
        for (E e : type.getEnumConstants()) if (label(e).equals(k)) return e;
        throw new IllegalArgumentException("unknown " + what + " '" + s + "'; valid: " + String.join(", ", labels(type)));
    }
}
