package io.metarec.rec.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * A UTF-8 comma-separated file read record by record with line numbers, for other packages'
 * file formats (split files, new-user rating files). Blank lines and, when asked, lines starting
 * with {@code #} are skipped; errors name the file, the line and its text.
 */
public final class CsvFile implements AutoCloseable {
    private final LineReader reader;
    private final boolean comments;

    private CsvFile(LineReader reader, boolean comments) {
        this.reader = reader;
        this.comments = comments;
    }

    /** Opens {@code file}; {@code whatItHolds} is shown when it is missing. */
    public static CsvFile open(Path file, String whatItHolds, boolean comments) throws IOException {
        return new CsvFile(LineReader.open(file, StandardCharsets.UTF_8, whatItHolds), comments);
    }

    /** The fields of the next record, or null at the end. */
    public List<String> next() throws IOException {
        String line;
        do {
            line = reader.next();
            if (line == null) return null;
        } while (comments && line.startsWith("#"));
        return Csv.parse(reader, line);
    }

    /** The 1-based line of the record last returned. */
    public long lineNumber() { return reader.lineNumber(); }

    public Path file() { return reader.file(); }

    /** An error about the record last returned, quoting its line. */
    public DataFormatException error(String problem) { return reader.error(problem); }

    /** A hint when the last line seems separated by something else than commas (or ""). */
    public String separatorHint(List<String> fields) {
        return fields.size() == 1 ? Csv.separatorHint(fields.get(0)) : "";
    }

    /** One record as a CSV line (quoting where needed), without the line break. */
    public static String line(List<String> fields) { return Csv.line(fields); }

    @Override public void close() throws IOException { reader.close(); }
}
