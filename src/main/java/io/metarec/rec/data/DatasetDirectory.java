package io.metarec.rec.data;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a dataset directory so that a reader never sees half of it: the files are written into a
 * temporary directory beside the target, which is then renamed into place. A target that exists and
 * is not empty is refused unless {@code force}; with {@code force} each written file replaces its
 * namesake by an atomic rename, other files are left alone, and a {@code split.csv} that no longer
 * matches the new data is removed.
 */
public final class DatasetDirectory {
    private DatasetDirectory() {}

    /** Fills a (temporary) directory with files. */
    @FunctionalInterface
    public interface Contents {
        void writeInto(Path dir) throws IOException;
    }

    /** What {@link #write} did: the files written, and a stale split file removed (or null). */
    public record Written(Path dir, List<String> files, Path removedSplit) {}

    /**
     * Refuses a target that {@link #write} would refuse: an existing file that is not a directory, a
     * non-empty directory without {@code force}, the root. Call it before long work.
     *
     * @return whether the target is a non-empty directory (whose dataset files a forced write replaces)
     */
    public static boolean checkTarget(Path target, boolean force) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        if (Files.exists(abs) && !Files.isDirectory(abs)) throw new IllegalArgumentException(target + " exists and is not a directory");
        boolean nonEmpty = Files.isDirectory(abs) && !isEmpty(abs);
        if (nonEmpty && !force) throw new IllegalArgumentException(target + " exists and is not empty (use --force to replace its dataset files)");
        if (abs.getParent() == null) throw new IllegalArgumentException("cannot write a dataset at " + target);
        return nonEmpty;
    }

    public static Written write(Path target, boolean force, Contents contents) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        boolean nonEmpty = checkTarget(target, force);
        Files.createDirectories(abs.getParent());
        Path tmp = io.metarec.util.AtomicFiles.temporaryDirectory(abs); // removes stale ones of killed writers first
        try {
            contents.writeInto(tmp);
            List<String> names = new ArrayList<>();
            try (DirectoryStream<Path> s = Files.newDirectoryStream(tmp)) {
                for (Path p : s) names.add(p.getFileName().toString());
            }
            names.sort(null);
            Path removedSplit = null;
            if (!nonEmpty) {
                if (Files.isDirectory(abs)) Files.delete(abs); // empty: replace it by the new directory
                move(tmp, abs);
            } else {
                for (String name : names) move(tmp.resolve(name), abs.resolve(name));
                Path split = abs.resolve(GenericLayout.SPLIT);
                if (!names.contains(GenericLayout.SPLIT) && Files.exists(split)) {
                    Files.delete(split);
                    removedSplit = split;
                }
                Files.delete(tmp);
            }
            return new Written(target, List.copyOf(names), removedSplit);
        } finally {
            if (Files.exists(tmp)) io.metarec.util.AtomicFiles.deleteTree(tmp);
            io.metarec.util.AtomicFiles.finished(tmp);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        io.metarec.util.AtomicFiles.move(from, to);
    }

    static boolean isEmpty(Path dir) throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            return !s.iterator().hasNext();
        }
    }
}
