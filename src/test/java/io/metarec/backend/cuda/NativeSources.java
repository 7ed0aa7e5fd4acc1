package io.metarec.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The kernel sources in native/, the committed PTX, and what can be read from them. */
final class NativeSources {
    private NativeSources() {}

    /** native/ of this checkout (tests run in the Maven base directory). */
    static Path nativeDir() {
        Path p = Path.of("native").toAbsolutePath();
        if (!Files.isDirectory(p)) throw new IllegalStateException("no native/ directory under " + Path.of("").toAbsolutePath());
        return p;
    }

    /** The committed PTX of a module, from the test classpath (the jar's resources). */
    static String ptx(String module) {
        return resourceText(Kernels.RESOURCE_DIR + module + ".ptx");
    }

    static String resourceText(String path) {
        try (InputStream in = NativeSources.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) throw new IllegalStateException("resource " + path + " is not on the classpath");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final Pattern ENTRY = Pattern.compile("\\.visible\\s+\\.entry\\s+(\\w+)\\s*\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile("\\.param\\s+(?:\\.align\\s+\\d+\\s+)?\\.(\\w+)\\s+\\w+(?:\\[(\\d+)])?");

    /**
     * Entry name → parameter kinds in the PTX: '8' a 64-bit value (pointer or unsigned long long),
     * 'I' a 32-bit integer, 'F' a float, "S<bytes>" a struct.
     */
    static Map<String, String> entries(String ptx) {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = ENTRY.matcher(ptx);
        while (m.find()) {
            StringBuilder kinds = new StringBuilder();
            Matcher p = PARAM.matcher(m.group(2));
            while (p.find()) {
                String type = p.group(1);
                if (p.group(2) != null) kinds.append('S').append(p.group(2));
                else if (type.endsWith("64")) kinds.append('8');
                else if (type.equals("f32")) kinds.append('F');
                else if (type.endsWith("32")) kinds.append('I');
                else throw new IllegalStateException("unexpected PTX parameter type ." + type + " in entry " + m.group(1));
            }
            out.put(m.group(1), kinds.toString());
        }
        return out;
    }

    /** Every entry of every committed module, with its parameter kinds. */
    static Map<String, String> allEntries() {
        Map<String, String> all = new LinkedHashMap<>();
        for (String module : Kernels.MODULES.keySet()) all.putAll(entries(ptx(module)));
        return all;
    }

    /** The inputs of the PTX build, as digest.cmake lists them: *.cu, *.cuh and nvcc-flags.txt, by name. */
    static List<Path> digestInputs() {
        try (Stream<Path> s = Files.list(nativeDir())) {
            return s.filter(p -> {
                String n = p.getFileName().toString();
                return n.endsWith(".cu") || n.endsWith(".cuh") || n.equals("nvcc-flags.txt");
            }).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The nvcc flags the PTX is built with (native/nvcc-flags.txt without comments). */
    static List<String> nvccFlags() {
        try {
            List<String> flags = new ArrayList<>();
            for (String line : Files.readAllLines(nativeDir().resolve("nvcc-flags.txt"))) {
                String t = line.strip();
                if (!t.isEmpty() && !t.startsWith("#")) flags.add(t);
            }
            return flags;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String sha256(Path file) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The first of {@code names} found on the PATH. */
    static Optional<Path> onPath(String... names) {
        String path = System.getenv("PATH");
        if (path == null) return Optional.empty();
        for (String name : names)
            for (String dir : path.split(java.io.File.pathSeparator)) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) return Optional.of(p);
            }
        return Optional.empty();
    }
}
