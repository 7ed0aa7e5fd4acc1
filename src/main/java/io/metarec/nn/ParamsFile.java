package io.metarec.nn;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metarec.autograd.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
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
import java.util.List;

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

    public static Contents load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException(file + ": no such model file");
        byte[] all = Files.readAllBytes(file);
        if (all.length < MAGIC.length || !Arrays.equals(Arrays.copyOf(all, MAGIC.length), MAGIC))
            throw new IOException(file + ": not a metarec model file (it does not start with the METAREC signature)");
        if (all.length < MAGIC.length + 8 + 4 + 32) throw new IOException(file + ": truncated (" + all.length + " bytes)");
        ByteBuffer in = ByteBuffer.wrap(all);
        in.position(MAGIC.length);
        int version = in.getInt();
        if (version > VERSION)
            throw new IOException(file + ": model format version " + version + " is newer than this build reads (" + VERSION + "); upgrade metarec");
        if (version < 1) throw new IOException(file + ": invalid model format version " + version);
        byte[] expected = sha256(all, all.length - 32);
        if (!Arrays.equals(expected, Arrays.copyOfRange(all, all.length - 32, all.length)))
            throw new IOException(file + ": checksum mismatch: the file is truncated or corrupted (" + all.length + " bytes)");
        try {
            int headerLength = in.getInt();
            byte[] h = new byte[headerLength];
            in.get(h);
            ObjectNode header = (ObjectNode) JSON.readTree(h);
            int count = in.getInt();
            List<String> names = new ArrayList<>();
            List<Tensor> tensors = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int len = Short.toUnsignedInt(in.getShort());
                byte[] nb = new byte[len];
                in.get(nb);
                names.add(new String(nb, StandardCharsets.UTF_8)); // writeUTF is modified UTF-8; names are ASCII
                int rank = in.getInt();
                int[] shape = new int[rank];
                long n = 1;
                for (int d = 0; d < rank; d++) {
                    shape[d] = in.getInt();
                    n *= shape[d];
                }
                float[] v = new float[Math.toIntExact(n)];
                in.asFloatBuffer().get(v);
                in.position(in.position() + 4 * v.length);
                tensors.add(Tensor.of(v, shape));
            }
            if (in.position() != all.length - 32) throw new IOException(file + ": unexpected data after the tensors");
            return new Contents(header, Params.of(names, tensors));
        } catch (RuntimeException e) {
            throw new IOException(file + ": malformed model file (" + e + ")", e);
        }
    }

    private static byte[] sha256(byte[] data, int length) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(data, 0, length);
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
