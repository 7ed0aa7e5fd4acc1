package io.metarec.backend.cuda;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The host harness (native/harness/harness.cpp): compiled once per checkout into
 * target/cuda-harness/ with the machine's C++ compiler, started once per test JVM, and spoken to
 * over its stdin/stdout protocol. It runs the kernel bodies of native/*.cuh per emulated thread.
 */
final class KernelHarness {
    private static final List<String> FLAGS = List.of("-std=c++17", "-O2", "-ffp-contract=off", "-fno-strict-aliasing");
    private static KernelHarness shared;
    private static String unavailable;

    private final Process process;
    private final DataOutputStream out;
    private final DataInputStream in;

    private KernelHarness(Process process) {
        this.process = process;
        this.out = new DataOutputStream(new BufferedOutputStream(process.getOutputStream(), 1 << 16));
        this.in = new DataInputStream(new BufferedInputStream(process.getInputStream(), 1 << 16));
    }

    /** The running harness, or empty with {@link #unavailableReason()} set when no C++ compiler is found. */
    static synchronized Optional<KernelHarness> get() {
        if (shared != null) return Optional.of(shared);
        if (unavailable != null) return Optional.empty();
        Optional<Path> cxx = NativeSources.onPath("c++", "g++", "clang++");
        if (cxx.isEmpty()) {
            unavailable = "no C++ compiler (c++, g++ or clang++) on the PATH to build the kernel harness";
            return Optional.empty();
        }
        try {
            Path exe = build(cxx.get());
            ProcessBuilder pb = new ProcessBuilder(exe.toString()).redirectError(ProcessBuilder.Redirect.INHERIT);
            shared = new KernelHarness(pb.start());
            return Optional.of(shared);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static synchronized String unavailableReason() { return unavailable; }

    /** Compiles the harness unless an up-to-date binary exists (newer than every file of native/). */
    private static Path build(Path cxx) throws IOException {
        Path nat = NativeSources.nativeDir();
        Path dir = Path.of("target", "cuda-harness").toAbsolutePath();
        Path exe = dir.resolve("harness");
        List<Path> sources = new ArrayList<>(NativeSources.digestInputs());
        sources.add(nat.resolve("harness").resolve("harness.cpp"));
        if (Files.isExecutable(exe)) {
            long built = Files.getLastModifiedTime(exe).toMillis();
            boolean fresh = true;
            for (Path s : sources) fresh &= Files.getLastModifiedTime(s).toMillis() < built;
            if (fresh) return exe;
        }
        Files.createDirectories(dir);
        Path tmp = dir.resolve("harness.tmp");
        List<String> cmd = new ArrayList<>(List.of(cxx.toString()));
        cmd.addAll(FLAGS);
        cmd.addAll(List.of("-I", nat.toString(), "-o", tmp.toString(), nat.resolve("harness").resolve("harness.cpp").toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0)
                throw new IllegalStateException("building the kernel harness failed: " + String.join(" ", cmd) + "\n" + log);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        Files.move(tmp, exe, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return exe;
    }

    /** Kernel name → argument tags of its body ('P' pointer, 'I', 'F', 'L' u64, "S<bytes>"). */
    synchronized Map<String, String> list() {
        try {
            out.writeInt(Integer.reverseBytes(2));
            out.flush();
            int n = readInt();
            Map<String, String> m = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) m.put(readStr(), readStr());
            return m;
        } catch (IOException e) {
            throw new UncheckedIOException("kernel harness: " + e.getMessage(), e);
        }
    }

    /** Memory given to a launch: an id and its bytes (little-endian floats or ints). */
    record Memory(int id, byte[] bytes) {}

    /**
     * Runs a kernel over the grid, threads in ascending or descending order. Arguments: Memory,
     * Integer, Float, Long, int[] (struct). Returns every memory id's bytes afterwards.
     */
    synchronized Map<Integer, byte[]> launch(String kernel, CudaLaunch.Grid g, boolean reverse, Object[] args) {
        try {
            out.writeInt(Integer.reverseBytes(1));
            writeStr(kernel);
            for (int v : new int[] {g.gx(), g.gy(), g.gz(), g.bx(), g.by(), g.bz(), reverse ? 1 : 0, args.length})
                out.writeInt(Integer.reverseBytes(v));
            for (Object a : args) {
                if (a instanceof Memory m) {
                    out.writeByte('P');
                    out.writeInt(Integer.reverseBytes(m.id()));
                    out.writeLong(Long.reverseBytes(m.bytes().length));
                    out.write(m.bytes());
                } else if (a instanceof Integer v) {
                    out.writeByte('I');
                    out.writeInt(Integer.reverseBytes(v));
                } else if (a instanceof Float v) {
                    out.writeByte('F');
                    out.writeInt(Integer.reverseBytes(Float.floatToRawIntBits(v)));
                } else if (a instanceof Long v) {
                    out.writeByte('L');
                    out.writeLong(Long.reverseBytes(v));
                } else if (a instanceof int[] s) {
                    out.writeByte('S');
                    out.writeInt(Integer.reverseBytes(4 * s.length));
                    ByteBuffer bb = ByteBuffer.allocate(4 * s.length).order(ByteOrder.LITTLE_ENDIAN);
                    for (int v : s) bb.putInt(v);
                    out.write(bb.array());
                } else {
                    throw new IllegalArgumentException(kernel + ": unsupported argument " + a);
                }
            }
            out.flush();
            int status = readInt();
            if (status != 0) throw new IllegalStateException("kernel harness: " + readStr());
            int n = readInt();
            Map<Integer, byte[]> result = new HashMap<>();
            for (int i = 0; i < n; i++) {
                int id = readInt();
                long len = Long.reverseBytes(in.readLong());
                byte[] b = new byte[(int) len];
                in.readFully(b);
                result.put(id, b);
            }
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException("kernel harness (exit " + (process.isAlive() ? "-" : process.exitValue()) + "): " + e.getMessage(), e);
        }
    }

    private int readInt() throws IOException {
        return Integer.reverseBytes(in.readInt());
    }

    private String readStr() throws IOException {
        byte[] b = new byte[readInt()];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private void writeStr(String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(Integer.reverseBytes(b.length));
        out.write(b);
    }

}
