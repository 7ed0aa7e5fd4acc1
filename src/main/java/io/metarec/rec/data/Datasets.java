package io.metarec.rec.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Loads a dataset directory in whichever supported format it holds. */
public final class Datasets {
    private Datasets() {}

    /**
     * The format of {@code dir}, recognised by its marker file: u.data (MovieLens-100K), ratings.dat
     * (MovieLens-1M) or interactions.csv (generic). None or several is an error naming what was looked for.
     */
    public static DatasetFormat detect(Path dir) {
        if (!Files.exists(dir)) throw new DataFormatException(dir, "no such directory");
        if (!Files.isDirectory(dir)) throw new DataFormatException(dir, "not a directory (a dataset is a directory of files)");
        List<DatasetFormat> found = new ArrayList<>();
        for (DatasetFormat f : DatasetFormat.values()) if (Files.isRegularFile(dir.resolve(f.marker()))) found.add(f);
        if (found.size() == 1) return found.get(0);
        StringBuilder looked = new StringBuilder();
        for (DatasetFormat f : DatasetFormat.values()) {
            if (!looked.isEmpty()) looked.append(", ");
            looked.append(f.marker()).append(" (").append(f.label()).append(')');
        }
        if (found.isEmpty())
            throw new DataFormatException(dir, "no dataset found: looked for " + looked
                    + "; MovieLens files are at grouplens.org/datasets/movielens, or create one with `metarec data synth --out DIR`");
        List<String> names = new ArrayList<>();
        for (DatasetFormat f : found) names.add(f.marker());
        throw new DataFormatException(dir, "holds several datasets (" + String.join(", ", names) + "); keep one per directory");
    }

    /** Detects the format of {@code dir} and reads it. */
    public static Dataset load(Path dir) throws IOException {
        return switch (detect(dir)) {
            case MOVIELENS_100K -> MovieLens.read100k(dir);
            case MOVIELENS_1M -> MovieLens.read1m(dir);
            case GENERIC -> GenericLayout.read(dir);
        };
    }
}
