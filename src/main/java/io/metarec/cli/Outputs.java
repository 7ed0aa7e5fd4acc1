package io.metarec.cli;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Output paths checked before any work, so a long run never fails at its end because of where it
 * writes: each failure is one line naming the flag and the path (an IllegalArgumentException: exit
 * code 2). Writes themselves stay atomic ({@link io.metarec.util.AtomicFiles}).
 */
final class Outputs {
    private Outputs() {}

    /**
     * A file that will be written (replaced whole if it exists): not a directory nor a device, and
     * its folder is a writable directory or can be created in one.
     */
    static void file(String flag, Path file) {
        Path abs = file.toAbsolutePath().normalize();
        if (Files.isDirectory(abs)) throw new IllegalArgumentException(flag + ": " + file + " is a directory; give a file name");
        if (Files.exists(abs) && !Files.isRegularFile(abs))
            throw new IllegalArgumentException(flag + ": " + file + " exists and is not a regular file");
        if (Files.isSymbolicLink(abs) && !Files.exists(abs))
            throw new IllegalArgumentException(flag + ": " + file + " is a broken symbolic link");
        writableFolder(flag, file, abs.getParent());
    }

    /** The same, refusing an existing file unless {@code force} (what {@code train -o} does). */
    static void newFile(String flag, Path file, boolean force) {
        file(flag, file);
        if (!force && Files.exists(file.toAbsolutePath().normalize(), LinkOption.NOFOLLOW_LINKS))
            throw new IllegalArgumentException(flag + ": " + file + " exists (use --force to replace it, or give another file)");
    }

    /** A directory that will be created or written into: not an existing file, and creatable or writable. */
    static void directory(String flag, Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        if (Files.exists(abs) && !Files.isDirectory(abs)) throw new IllegalArgumentException(flag + ": " + dir + " exists and is not a directory");
        if (Files.isDirectory(abs)) {
            if (!Files.isWritable(abs)) throw new IllegalArgumentException(flag + ": cannot write into " + dir + " (not writable)");
        } else {
            writableFolder(flag, dir, abs.getParent());
        }
    }

    /** {@code folder} exists as a writable directory, or its nearest existing ancestor is one (so it can be created). */
    private static void writableFolder(String flag, Path shown, Path folder) {
        if (folder == null) throw new IllegalArgumentException(flag + ": cannot write " + shown);
        Path existing = folder;
        while (existing != null && !Files.exists(existing)) existing = existing.getParent();
        if (existing == null) throw new IllegalArgumentException(flag + ": cannot write " + shown + " (no existing folder above it)");
        if (!Files.isDirectory(existing))
            throw new IllegalArgumentException(flag + ": cannot write " + shown + ": " + existing + " is not a directory");
        if (!Files.isWritable(existing))
            throw new IllegalArgumentException(flag + ": cannot write " + shown + ": " + existing + " is not writable");
    }
}
