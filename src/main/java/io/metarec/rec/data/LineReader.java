package io.metarec.rec.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads a text file line by line, counting lines, so that every error can name the file, the line
 * and its text. Lines end at '\n' (a preceding '\r' is dropped). Each line is decoded on its own and
 * strictly, so bytes that are invalid in the file's encoding are an error on the right line (not a
 * replacement character). A UTF-8 byte-order mark at the start is skipped. Blank lines are skipped
 * by {@link #next()} but still counted. A line longer than {@link #MAX_LINE_BYTES} is an error.
 */
final class LineReader implements AutoCloseable {
    /**
     * The longest line read: 16 MiB. No supported format comes near it (a MovieLens line is under
     * 300 bytes; a generic feature cell with 100,000 values is 700 KB), and it bounds what one line
     * of a hostile or mistaken file (a binary, a file without newlines) can make the reader hold.
     */
    static final int MAX_LINE_BYTES = 16 << 20;
    private final Path file;
    private final InputStream in;
    private final Charset charset;
    private final CharsetDecoder decoder;
    private byte[] buf = new byte[256];
    private final byte[] chunk = new byte[1 << 16];
    private int chunkPos, chunkEnd;
    private long lineNumber;
    private String line;

    private LineReader(Path file, InputStream in, Charset charset) {
        this.file = file;
        this.in = in;
        this.charset = charset;
        this.decoder = charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    }

    /** Opens {@code file}; a missing file is a {@link DataFormatException} saying what it should hold. */
    static LineReader open(Path file, Charset charset, String whatItHolds) throws IOException {
        if (!Files.exists(file)) throw new DataFormatException(file, "missing (" + whatItHolds + ")");
        if (!Files.isRegularFile(file)) throw new DataFormatException(file, "not a regular file (" + whatItHolds + ")");
        try {
            return new LineReader(file, Files.newInputStream(file), charset);
        } catch (NoSuchFileException e) {
            throw new DataFormatException(file, "missing (" + whatItHolds + ")");
        }
    }

    Path file() { return file; }

    /** The next non-blank line, or null at the end of the file. */
    String next() throws IOException {
        while (true) {
            String s = readLine();
            if (s == null) {
                line = null;
                return null;
            }
            if (!s.isBlank()) {
                line = s;
                return s;
            }
        }
    }

    private String readLine() throws IOException {
        int n = 0;
        boolean eof = false;
        while (true) {
            if (chunkPos == chunkEnd) {
                chunkEnd = in.read(chunk);
                chunkPos = 0;
                if (chunkEnd <= 0) {
                    chunkEnd = 0;
                    eof = true;
                    break;
                }
            }
            int at = chunkPos;
            while (at < chunkEnd && chunk[at] != '\n') at++;
            int len = at - chunkPos;
            if (n + len > MAX_LINE_BYTES) throw tooLong(n, len);
            if (n + len > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, n + len));
            System.arraycopy(chunk, chunkPos, buf, n, len);
            n += len;
            chunkPos = at;
            if (at < chunkEnd) {
                chunkPos++; // the '\n'
                break;
            }
        }
        if (eof && n == 0) return null;
        lineNumber++;
        if (n > 0 && buf[n - 1] == '\r') n--;
        int start = 0;
        if (lineNumber == 1 && n >= 3 && buf[0] == (byte) 0xEF && buf[1] == (byte) 0xBB && buf[2] == (byte) 0xBF) start = 3;
        boolean ascii = true;
        for (int k = start; k < n && ascii; k++) ascii = buf[k] >= 0;
        if (ascii || charset.equals(StandardCharsets.ISO_8859_1)) return new String(buf, start, n - start, StandardCharsets.ISO_8859_1);
        try {
            return decoder.decode(ByteBuffer.wrap(buf, start, n - start)).toString();
        } catch (CharacterCodingException e) {
            line = new String(buf, start, n - start, charset); // with replacement characters, to show where
            throw error("bytes that are not valid " + charset.name() + " (save the file as " + charset.name() + ")");
        }
    }

    /** The start of an over-long line, quoted in the error (the line itself is never held whole). */
    private DataFormatException tooLong(int n, int len) {
        lineNumber++;
        int show = Math.min(DataFormatException.MAX_QUOTE, n + len);
        byte[] start = Arrays.copyOf(buf, show);
        System.arraycopy(chunk, chunkPos, start, Math.min(n, show), Math.max(0, show - n));
        line = new String(start, charset) + "…";
        return error("line longer than " + (MAX_LINE_BYTES >> 20) + " MiB, the longest a line may be (is this the right file, and are its lines separated by newlines?)");
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
