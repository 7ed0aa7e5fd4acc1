package io.metarec.verify;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** The PyTorch reference cases shipped inside the jar ({@code io/metarec/golden/}). */
public final class BundledReferences {
    public static final List<String> FILES = List.of(
            "ops.json", "maml_sinusoid_1step.json", "maml_sinusoid_5step.json", "metasgd_sinusoid.json", "melu_small.json");

    private BundledReferences() {}

    public static ReferenceFile load(String file) {
        String path = "/io/metarec/golden/" + file;
        try (InputStream in = BundledReferences.class.getResourceAsStream(path)) {
            if (in == null) throw new IllegalStateException("bundled reference " + path + " is missing from the jar");
            return ReferenceFile.parse("bundled:" + file, in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<ReferenceFile> all() {
        List<ReferenceFile> out = new ArrayList<>();
        for (String f : FILES) out.add(load(f));
        return out;
    }
}
