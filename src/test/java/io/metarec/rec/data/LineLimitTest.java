package io.metarec.rec.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The line-length limit of {@link LineReader}: a line of exactly the limit is read, one byte more is an error naming file and line. */
class LineLimitTest {
    @TempDir Path tmp;

    Path fileWithLine(int length) throws IOException {
        Path f = tmp.resolve("f" + length + ".csv");
        try (OutputStream out = Files.newOutputStream(f)) {
            out.write("header\nshort\n".getBytes(StandardCharsets.UTF_8));
            byte[] block = new byte[1 << 20];
            Arrays.fill(block, (byte) 'a');
            for (int left = length; left > 0; left -= block.length) out.write(block, 0, Math.min(left, block.length));
            out.write("\nlast\n".getBytes(StandardCharsets.UTF_8));
        }
        return f;
    }

    @Test
    void aLineOfExactlyTheLimitIsReadAndOneByteMoreIsRefused() throws IOException {
        try (LineReader r = LineReader.open(fileWithLine(LineReader.MAX_LINE_BYTES), StandardCharsets.UTF_8, "a test file")) {
            assertEquals("header", r.next());
            assertEquals("short", r.next());
            assertEquals(LineReader.MAX_LINE_BYTES, r.next().length());
            assertEquals("last", r.next());
        }
        Path f = fileWithLine(LineReader.MAX_LINE_BYTES + 1);
        try (LineReader r = LineReader.open(f, StandardCharsets.UTF_8, "a test file")) {
            r.next();
            r.next();
            DataFormatException e = assertThrows(DataFormatException.class, r::next);
            assertEquals(3, e.line());
            assertEquals(f, e.file());
            assertTrue(e.getMessage().startsWith(f + " line 3: line longer than 16 MiB"), e.getMessage());
            assertTrue(e.getMessage().endsWith("aaaa…\""), "quotes the start of the line: " + e.getMessage());
            assertTrue(e.getMessage().length() < 400, e.getMessage());
        }
    }

    @Test
    void controlCharactersAreShownEscapedInQuotedLines() {
        assertEquals("\"a\\x00b\\tc\\x1b\"", DataFormatException.quote("a\u0000b\tc\u001b"));
    }

    @Test
    void aRatingOfAMillionDigitsIsRefusedQuickly() throws IOException {
        Path d = Fixtures.generic(tmp.resolve("g"));
        Fixtures.utf8(d.resolve("interactions.csv"), "user,item,rating\nalice,m1," + "7".repeat(1_000_000) + "x\n");
        long t = System.nanoTime();
        DataFormatException e = assertThrows(DataFormatException.class, () -> Datasets.load(d));
        assertTrue(e.getMessage().contains("is not a number"), e.getMessage());
        assertTrue(System.nanoTime() - t < 5e9, "the rating pattern must not backtrack quadratically");
    }
}
