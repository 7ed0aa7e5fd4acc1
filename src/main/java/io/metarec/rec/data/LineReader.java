package io.metarec.rec.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads a text file line by line, counting lines, so that every error can name the file, the line
 * and its text. Decoding is strict (invalid bytes are an error, not a replacement character); a
 * UTF-8 byte-order mark at the start is skipped. Blank lines are skipped by {@link #next()} but
 * still counted.
 */
final class LineReader implements AutoCloseable {
    private final Path file;
    private final BufferedReader in;
    private long lineNumber;
    private String line;

    private LineReader(Path file, BufferedReader in) {
        this.file = file;
        this.in = in;
    }

    /** Opens {@code file}; a missing file is a {@link DataFormatException} saying what it should hold. */
    static LineReader open(Path file, Charset charset, String whatItHolds) throws IOException {
        if (!Files.exists(file)) throw new DataFormatException(file, "missing (" + whatItHolds + ")");
        if (!Files.isRegularFile(file)) throw new DataFormatException(file, "not a regular file (" + whatItHolds + ")");
        try {
            var decoder = charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
            return new LineReader(file, new BufferedReader(new InputStreamReader(Files.newInputStream(file), decoder), 1 << 16));
        } catch (NoSuchFileException e) {
            throw new DataFormatException(file, "missing (" + whatItHolds + ")");
        }
    }

    Path file() { return file; }

    /** The next non-blank line, or null at the end of the file. */
    String next() throws IOException {
        while (true) {
            String s;
            try {
                s = in.readLine();
            } catch (CharacterCodingException e) {
                throw new DataFormatException(file, lineNumber + 1, null, "bytes that are not valid in the expected encoding");
            }
            if (s == null) {
                line = null;
                return null;
            }
            lineNumber++;
            if (lineNumber == 1 && !s.isEmpty() && s.charAt(0) == '\uFEFF') s = s.substring(1);
            if (!s.isBlank()) {
                line = s;
                return s;
            }
        }
    }

    /** The 1-based number of the line last returned by {@link #next()}. */
    long lineNumber() { return lineNumber; }

    /** An error about the line last returned, quoting it. */
    DataFormatException error(String problem) {
        return new DataFormatException(file, lineNumber, line, problem);
    }

    @Override public void close() throws IOException {
        in.close();
    }
}
