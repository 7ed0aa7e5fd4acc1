package io.metarec.rec.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Comma-separated values as RFC 4180 writes them, one record per line: a field may be quoted with
 * {@code "…"}, a quote inside a quoted field is doubled ({@code ""}). Quoted fields may not span
 * lines. Unquoted fields are trimmed of surrounding spaces.
 */
final class Csv {
    private Csv() {}

    /** The fields of one line; an unterminated quote is an error on that line. */
    static List<String> parse(LineReader r, String line) {
        List<String> out = new ArrayList<>();
        int i = 0, n = line.length();
        while (true) {
            while (i < n && line.charAt(i) == ' ') i++;
            if (i < n && line.charAt(i) == '"') {
                StringBuilder b = new StringBuilder();
                i++;
                while (true) {
                    if (i >= n) throw r.error("unterminated quoted field");
                    char c = line.charAt(i);
                    if (c == '"') {
                        if (i + 1 < n && line.charAt(i + 1) == '"') {
                            b.append('"');
                            i += 2;
                        } else {
                            i++;
                            break;
                        }
                    } else {
                        b.append(c);
                        i++;
                    }
                }
                while (i < n && line.charAt(i) == ' ') i++;
                if (i < n && line.charAt(i) != ',') throw r.error("text after the closing quote of a field");
                out.add(b.toString());
            } else {
                int start = i;
                while (i < n && line.charAt(i) != ',') {
                    if (line.charAt(i) == '"') throw r.error("a quote inside an unquoted field (quote the whole field and double the quote)");
                    i++;
                }
                out.add(line.substring(start, i).trim());
            }
            if (i >= n) return out;
            i++; // the comma
            if (i == n) {
                out.add("");
                return out;
            }
        }
    }

    /** One field as written: quoted when it holds a comma, a quote, a line break or surrounding spaces. */
    static String field(String s) {
        if (s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0)
            throw new IllegalArgumentException("a CSV field may not contain a line break: " + DataFormatException.quote(s));
        boolean quote = s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || (!s.isEmpty() && (s.charAt(0) == ' ' || s.charAt(s.length() - 1) == ' '));
        return quote ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }

    /** A record line (without the line break). */
    static String line(List<String> fields) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) b.append(',');
            b.append(field(fields.get(i)));
        }
        return b.toString();
    }

    /** A short hint when a header line looks separated by something else than commas. */
    static String separatorHint(String line) {
        if (line.indexOf(',') >= 0) return "";
        if (line.indexOf('\t') >= 0) return " (the line is tab-separated; this file must be comma-separated)";
        if (line.indexOf(';') >= 0) return " (the line is ';'-separated; this file must be comma-separated)";
        if (line.contains("::")) return " (the line is '::'-separated, like MovieLens-1M; this file must be comma-separated)";
        if (line.indexOf('|') >= 0) return " (the line is '|'-separated; this file must be comma-separated)";
        return "";
    }
}
