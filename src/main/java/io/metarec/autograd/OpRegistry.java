package io.metarec.autograd;

import java.util.ArrayList;
import java.util.List;

/** Every op the engine defines, for coverage tests and {@code metarec info}. */
public final class OpRegistry {
    private OpRegistry() {}

    /** Loads every op family, so that each op has registered itself. */
    private static void loadFamilies() {
        for (Class<?> c : new Class<?>[] {Elementwise.class, Reductions.class, ShapeOps.class, Linalg.class, Indexing.class}) {
            try {
                Class.forName(c.getName(), true, c.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** All primitive ops, differentiable ones and constants (masks, comparisons). */
    public static List<Op> primitives() {
        loadFamilies();
        return Op.defined();
    }

    /** Names of every op: primitives then composites. */
    public static List<String> names() {
        List<String> names = new ArrayList<>();
        for (Op op : primitives()) names.add(op.name);
        names.addAll(Functional.COMPOSITES);
        return names;
    }
}
