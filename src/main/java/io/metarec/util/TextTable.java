package io.metarec.util;

import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table with aligned columns: numbers (and "–") right-aligned, text left-aligned,
 * two spaces between columns, a rule under the header.
 */
public final class TextTable {
    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();

    public TextTable(String... header) {
        this.header = List.of(header);
    }

    public TextTable row(Object... cells) {
        if (cells.length != header.size()) throw new IllegalArgumentException("row has " + cells.length + " cells, header " + header.size());
        List<String> r = new ArrayList<>();
        for (Object c : cells) r.add(String.valueOf(c));
        rows.add(r);
        return this;
    }

    /** The table, each line prefixed by {@code indent}, ending with a line break. */
    public String render(String indent) {
        int n = header.size();
        int[] width = new int[n];
        boolean[] right = new boolean[n];
        for (int c = 0; c < n; c++) {
            width[c] = header.get(c).length();
            right[c] = !rows.isEmpty();
            for (List<String> r : rows) {
                width[c] = Math.max(width[c], r.get(c).length());
                right[c] &= numeric(r.get(c));
            }
        }
        StringBuilder b = new StringBuilder();
        line(b, indent, header, width, right);
        int total = 0;
        for (int c = 0; c < n; c++) total += width[c] + (c > 0 ? 2 : 0);
        b.append(indent).append("─".repeat(total)).append('\n');
        for (List<String> r : rows) line(b, indent, r, width, right);
        return b.toString();
    }

    private static void line(StringBuilder b, String indent, List<String> cells, int[] width, boolean[] right) {
        StringBuilder l = new StringBuilder(indent);
        for (int c = 0; c < cells.size(); c++) {
            if (c > 0) l.append("  ");
            String s = cells.get(c);
            String pad = " ".repeat(width[c] - s.length());
            l.append(right[c] ? pad + s : s + pad);
        }
        b.append(l.toString().stripTrailing()).append('\n');
    }

    /** Numbers, percentages, "a / b" pairs, "x ± y" and dashes align right. */
    public static boolean numeric(String s) {
        return s.matches("[-+]?[0-9][0-9.,]*(%|[eE][-+]?[0-9]+)?( (/|±) [-+]?[0-9][0-9.,]*%?)?") || s.equals("–") || s.equals("-");
    }

    @Override public String toString() { return render(""); }
}
