package io.metarec.util;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writing a file so that nobody ever sees half of it and an interrupted write never damages the
 * previous version: write a temporary file in the same directory, then rename it over the target
 * (atomically where the file system can). The one place this is done for models, splits, reports,
 * charts and datasets' files.
 *
 * <p>Temporary files are named {@code .NAME.<pid>-<random>.tmp} (directories
 * {@code .NAME.tmp-<pid>-<random>}); a process killed during a save leaves one behind, and the
 * next save of NAME removes those whose process is gone (and those of older versions, which carry
 * no process id). A temporary file of a live process is left alone.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Temporaries this process is writing now (another thread's save of the same target must not lose its file). */
    private static final Set<Path> IN_FLIGHT = ConcurrentHashMap.newKeySet();

    /** Writes what {@code writer} puts into the temporary file it is given. */
    @FunctionalInterface
    public interface Writer {
        void writeTo(Path temporary) throws IOException;
    }

    /** Creates the target's directory if needed, removes stale temporaries of it, writes a temporary sibling, renames it into place. */
    public static void write(Path target, Writer writer) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        String name = abs.getFileName().toString();
        removeStale(dir, name);
        Path tmp = Files.createTempFile(dir, "." + name + "." + PID + "-", ".tmp");
        IN_FLIGHT.add(tmp);
        try {
            writer.writeTo(tmp);
            move(tmp, abs);
        } finally {
            IN_FLIGHT.remove(tmp);
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * A new temporary directory beside {@code target} (for writing a directory whole, then renaming
     * it), after removing stale ones of the same target. Delete it with {@link #deleteTree} when done
     * and call {@link #finished}.
     */
    public static Path temporaryDirectory(Path target) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        Path dir = abs.getParent();
        String name = abs.getFileName().toString();
        removeStale(dir, name);
        Path tmp = Files.createTempDirectory(dir, "." + name + ".tmp-" + PID + "-");
        IN_FLIGHT.add(tmp);
        return tmp;
    }

    /** Marks a temporary directory of {@link #temporaryDirectory} as no longer in use by this process. */
    public static void finished(Path temporary) {
        IN_FLIGHT.remove(temporary);
    }

    private static final long PID = ProcessHandle.current().pid();
    /** After ".NAME.": a file "[pid-]random.tmp" or a directory "tmp-[pid-]random". */
    private static final Pattern TEMP_FILE = Pattern.compile("(?:(\\d+)-)?\\d+\\.tmp"), TEMP_DIR = Pattern.compile("tmp-(?:(\\d+)-)?\\d+");

    /**
     * Removes the temporaries of {@code name} in {@code dir} left by saves that cannot finish: those of
     * processes that are gone, and those without a process id (older versions). Best effort: a
     * temporary that cannot be removed is left.
     *
     * @return how many were removed
     */
    public static int removeStale(Path dir, String name) {
        String prefix = "." + name + ".";
        int removed = 0;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, p -> p.getFileName().toString().startsWith(prefix))) {
            for (Path p : s) {
                String rest = p.getFileName().toString().substring(prefix.length());
                boolean isDir = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
                Matcher m = (isDir ? TEMP_DIR : TEMP_FILE).matcher(rest);
                if (!m.matches() || IN_FLIGHT.contains(p.toAbsolutePath().normalize())) continue;
                if (m.group(1) != null) {
                    long pid = Long.parseLong(m.group(1));
                    if (pid == PID || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) continue;
                }
                try {
                    if (isDir) deleteTree(p);
                    else Files.deleteIfExists(p);
                    removed++;
                } catch (IOException e) {
                    // another process removed or holds it: leave it
                }
            }
        } catch (IOException | NumberFormatException e) {
            // an unreadable directory: the save itself will report it
        }
        return removed;
    }

    /** Renames {@code from} over {@code to}, atomically where supported. */
    public static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Deletes a directory and everything in it (links are removed, not followed). */
    public static void deleteTree(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null) throw exc;
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
