package io.metarec.rec.data;

import java.nio.file.Path;

/**
 * A dataset file that cannot be read as documented: missing, empty, malformed, or referring to an
 * unknown user or item. The message names the file, the line (when there is one) and the offending
 * text. It is an {@link IllegalArgumentException} so the command line reports it as bad input
 * (exit code 2) in one line.
 */
public class DataFormatException extends IllegalArgumentException {
    /** Longest excerpt of an offending line quoted in a message. */
    static final int MAX_QUOTE = 160;

    private final Path file;
    private final long line;
    private final String text;

    /** A problem with a whole file (missing, empty, wrong header): {@code file: problem}. */
    public DataFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
        this.line = 0;
        this.text = null;
    }

    /** A problem on one line: {@code file line N: problem: "text"}. Lines count from 1. */
    public DataFormatException(Path file, long line, String text, String problem) {
        super(file + " line " + line + ": " + problem + (text == null ? "" : ": " + quote(text)));
        this.file = file;
        this.line = line;
        this.text = text;
    }

    /** The file at fault. */
    public Path file() { return file; }

    /** The 1-based line at fault, or 0 when the problem concerns the whole file. */
    public long line() { return line; }

    /** The offending line as read, or null. */
    public String text() { return text; }

    static String quote(String s) {
        String shown = s.length() > MAX_QUOTE ? s.substring(0, MAX_QUOTE) + "…" : s;
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < shown.length(); i++) {
            char c = shown.charAt(i);
            switch (c) {
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                case '"' -> b.append("\\\"");
                default -> {
                    if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", (int) c)); // NUL and other controls, visibly
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }
}
