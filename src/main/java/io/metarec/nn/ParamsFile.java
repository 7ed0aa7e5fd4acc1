package io.metarec.nn;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metarec.autograd.Tensor;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A saved model: a JSON header (format version, configuration, vocabularies — whatever the caller
 * needs to rebuild the model) and named float32 tensors, sealed by a SHA-256 checksum.
 *
 * <pre>
 *   "METAREC\0" | int32 version | int32 header length | header (UTF-8 JSON)
 *   | int32 tensor count | per tensor: UTF name, int32 rank, int32 dims…, float32 values…
 *   | 32-byte SHA-256 of everything above
 * </pre>
 * Big-endian (DataOutputStream). Saving is atomic: a temporary file in the same directory, flushed
 * to disk, then renamed over the target, so an interrupted save never leaves a half-written model
 * and never destroys the previous one. Loading names what is wrong with a truncated, corrupted,
 * foreign or newer file.
 */
public final class ParamsFile {
    public static final int VERSION = 1;
    /** Largest JSON header read: 256 MiB (the catalogue of a million items takes about 100 MB). */
    public static final int MAX_HEADER_BYTES = 256 << 20;
    /** Most tensors in a file (a model has a few dozen). */
    public static final int MAX_TENSORS = 100_000;
    /** Highest tensor rank read (models use 0..3). */
    public static final int MAX_RANK = 8;
    /** Most values in one tensor: what a Java array holds. */
    public static final long MAX_TENSOR_VALUES = Integer.MAX_VALUE - 8;
    private static final int TRAILER = 32;
    private static final byte[] MAGIC = "METAREC\0".getBytes(StandardCharsets.US_ASCII);
    private static final ObjectMapper JSON = new ObjectMapper();

    private ParamsFile() {}

    /** A loaded file: its header and its tensors. */
    public record Contents(ObjectNode header, Params params) {}

    public static void save(Path file, ObjectNode header, Params params) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(MAGIC);
            out.writeInt(VERSION);
            byte[] h = JSON.writeValueAsBytes(header);
            out.writeInt(h.length);
            out.write(h);
            out.writeInt(params.size());
            for (String name : params.names()) {
                Tensor t = params.get(name);
                out.writeUTF(name);
                out.writeInt(t.rank());
                for (int d : t.shape()) out.writeInt(d);
                ByteBuffer buf = ByteBuffer.allocate(4 * t.size());
                buf.asFloatBuffer().put(t.toArray());
                out.write(buf.array());
            }
        }
        byte[] body = bytes.toByteArray();
        byte[] sum = sha256(body, body.length);
        io.metarec.util.AtomicFiles.write(file, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(ByteBuffer.wrap(body));
                ch.write(ByteBuffer.wrap(sum));
                ch.force(true); // on disk before the rename makes it the model
            }
        });
    }

    /**
     * Reads a model file. Nothing is trusted before it is checked: the signature and version come
     * first, then the file's size against the heap, then the checksum (streamed, so a file of any
     * size costs a fixed buffer), and every declared length, rank and shape is checked against the
     * bytes that remain and the limits above before anything of that size is allocated. A loaded
     * file therefore costs memory in proportion to its size, whatever its contents declare.
     * Every error is an IOException whose one-line message names the file.
     */
    public static Contents load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException(file + ": no such model file");
        long size = Files.size(file);
        byte[] start;
        try (InputStream in = Files.newInputStream(file)) {
            start = in.readNBytes(MAGIC.length + 4);
        }
        if (start.length < MAGIC.length || !Arrays.equals(Arrays.copyOf(start, MAGIC.length), MAGIC))
            throw new IOException(file + ": not a metarec model file (it does not start with the METAREC signature)");
        if (size < MAGIC.length + 4 + 4 + 4 + TRAILER) throw new IOException(file + ": truncated (" + size + " bytes)");
        int version = ByteBuffer.wrap(start, MAGIC.length, 4).getInt();
        if (version > VERSION)
            throw new IOException(file + ": model format version " + version + " is newer than this build reads (" + VERSION + "); upgrade metarec");
        if (version < 1) throw new IOException(file + ": invalid model format version " + version);
        long heap = Runtime.getRuntime().maxMemory();
        if (size > heap)
            throw new IOException(file + ": " + mib(size) + " is more than this JVM's whole heap (" + mib(heap)
                    + "); a model of this size needs a larger heap, e.g. METAREC_JAVA_OPTS=-Xmx" + Math.max(1, 2 * size >> 30) + "g");
        verifyChecksum(file, size);
        try (DataInputStream data = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            Body in = new Body(file, data, size - TRAILER);
            in.skip(MAGIC.length + 4);
            int headerLength = in.readInt("the header length");
            if (headerLength < 2 || headerLength > MAX_HEADER_BYTES)
                throw in.malformed("header length " + headerLength + " is outside 2.." + MAX_HEADER_BYTES);
            byte[] h = in.readBytes(headerLength, "the header");
            JsonNode parsed;
            try {
                parsed = JSON.readTree(h);
            } catch (JsonProcessingException e) {
                throw in.malformed("the header is not valid JSON (" + e.getOriginalMessage() + ")");
            }
            if (!(parsed instanceof ObjectNode header)) throw in.malformed("the header is not a JSON object");
            int count = in.readInt("the tensor count");
            // Every tensor takes at least a name length (2 bytes) and a rank (4 bytes).
            if (count < 0 || count > MAX_TENSORS || count > in.left / 6)
                throw in.malformed("tensor count " + count + " is impossible in the " + in.left + " bytes that remain (limit " + MAX_TENSORS + ")");
            List<String> names = new ArrayList<>();
            List<Tensor> tensors = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < count; i++) {
                int len = in.readUnsignedShort("the name of tensor " + i);
                String name = new String(in.readBytes(len, "the name of tensor " + i), StandardCharsets.UTF_8); // writeUTF is modified UTF-8; names are ASCII
                if (name.isEmpty()) throw in.malformed("tensor " + i + " has an empty name");
                if (!seen.add(name)) throw in.malformed("tensor '" + shown(name) + "' appears twice");
                int rank = in.readInt("the rank of tensor '" + shown(name) + "'");
                if (rank < 0 || rank > MAX_RANK) throw in.malformed("tensor '" + shown(name) + "' has rank " + rank + " (0.." + MAX_RANK + " allowed)");
                int[] shape = new int[rank];
                long n = 1;
                for (int d = 0; d < rank; d++) {
                    shape[d] = in.readInt("the shape of tensor '" + shown(name) + "'");
                    if (shape[d] < 0) throw in.malformed("tensor '" + shown(name) + "' has a negative dimension " + shape[d]);
                    long cap = Long.MAX_VALUE / 8; // the product saturates here; it is compared with the bytes left below
                    n = shape[d] == 0 ? 0 : n > cap / shape[d] ? cap : n * shape[d];
                }
                if (4 * n > in.left || n > MAX_TENSOR_VALUES)
                    throw in.malformed("tensor '" + shown(name) + "' declares shape " + Arrays.toString(shape)
                            + (n < Long.MAX_VALUE / 8 ? " (" + n + " values)" : "") + " but only " + in.left + " bytes remain before the checksum");
                tensors.add(Tensor.of(in.readFloats((int) n), shape));
                names.add(name);
            }
            if (in.left != 0) throw in.malformed(in.left + " bytes of unexpected data after the tensors");
            return new Contents(header, Params.of(names, tensors));
        } catch (OutOfMemoryError e) {
            // Only a genuine model larger than the free heap gets here: declared sizes were checked against the file.
            throw new IOException(file + ": not enough memory to load this " + mib(size) + " model (heap " + mib(heap)
                    + "); give the JVM more, e.g. METAREC_JAVA_OPTS=-Xmx" + Math.max(1, 2 * size >> 30) + "g");
        }
    }

    /** Streams the file through SHA-256 and compares with its last 32 bytes. */
    private static void verifyChecksum(Path file, long size) throws IOException {
        MessageDigest md = sha256();
        byte[] buf = new byte[1 << 16];
        byte[] stored = new byte[TRAILER];
        try (InputStream in = Files.newInputStream(file)) {
            long body = size - TRAILER;
            for (long done = 0; done < body; ) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, body - done));
                if (n < 0) throw new IOException(file + ": truncated while reading (the file changed?)");
                md.update(buf, 0, n);
                done += n;
            }
            if (in.readNBytes(stored, 0, TRAILER) != TRAILER) throw new IOException(file + ": truncated while reading (the file changed?)");
        }
        if (!Arrays.equals(md.digest(), stored))
            throw new IOException(file + ": checksum mismatch: the file is truncated or corrupted (" + size + " bytes)");
    }

    /** A name as read from a file, for a message: control characters escaped, at most 80 characters. */
    private static String shown(String name) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < name.length() && b.length() < 80; i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", (int) c));
            else b.append(c);
        }
        return b.length() < name.length() ? b + "…" : b.toString();
    }

    private static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    /** The body of a model file read with a count of the bytes left before the checksum. */
    private static final class Body {
        final Path file;
        final DataInputStream in;
        long left;

        Body(Path file, DataInputStream in, long left) {
            this.file = file;
            this.in = in;
            this.left = left;
        }

        IOException malformed(String problem) {
            // One line whatever the file holds: names and parser messages quote its bytes.
            return new IOException(file + ": malformed model file: " + problem.replaceAll("\\p{Cntrl}", "?"));
        }

        private void need(long n, String what) throws IOException {
            if (n > left) throw malformed(what + " needs " + n + " bytes but only " + left + " remain before the checksum");
            left -= n;
        }

        void skip(int n) throws IOException {
            need(n, "the preamble");
            in.skipNBytes(n);
        }

        int readInt(String what) throws IOException {
            need(4, what);
            return in.readInt();
        }

        int readUnsignedShort(String what) throws IOException {
            need(2, what);
            return in.readUnsignedShort();
        }

        byte[] readBytes(int n, String what) throws IOException {
            need(n, what);
            byte[] b = new byte[n];
            in.readFully(b);
            return b;
        }

        float[] readFloats(int n) throws IOException {
            float[] v = new float[n]; // n was checked against the bytes left
            left -= 4L * n;
            byte[] chunk = new byte[4 * Math.min(n, 1 << 14)];
            for (int done = 0; done < n; ) {
                int k = Math.min(n - done, chunk.length / 4);
                in.readFully(chunk, 0, 4 * k);
                ByteBuffer.wrap(chunk, 0, 4 * k).asFloatBuffer().get(v, done, k);
                done += k;
            }
            return v;
        }
    }

    private static byte[] sha256(byte[] data, int length) {
        MessageDigest md = sha256();
        md.update(data, 0, length);
        return md.digest();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
