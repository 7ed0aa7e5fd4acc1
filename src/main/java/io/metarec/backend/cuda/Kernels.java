package io.metarec.backend.cuda;

import io.metarec.backend.Binary;
import io.metarec.backend.Reduce;
import io.metarec.backend.Unary;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernel entry points the Java side launches, by PTX module. Module {@code m} is the resource
 * {@code io/metarec/cuda/m.ptx}, compiled from {@code native/m.cu}; an entry missing from it makes
 * the backend unavailable with a reason (and KernelCatalogTest fails the build), so the two sides
 * cannot drift apart silently.
 */
final class Kernels {
    private Kernels() {}

    /** Where the PTX modules live on the classpath. */
    static final String RESOURCE_DIR = "io/metarec/cuda/";

    static final String EXPAND = "expand";
    static final String WHERE = "where_select";
    static final String COPY2D = "copy2d";
    static final String TRANSPOSE = "transpose";
    static final String GATHER_ROWS = "gather_rows";
    static final String SCATTER_ADD_ROWS = "scatter_add_rows";
    static final String SEGMENT_MEAN = "segment_mean";
    static final String SEGMENT_EXPAND_MEAN = "segment_expand_mean";
    static final String RANDOM_UNIFORM = "random_uniform";
    static final String RANDOM_NORMAL = "random_normal";
    static final String ADAM_STEP = "adam_step";
    static final String SGD_STEP = "sgd_step";

    private static final Map<Unary, String> UNARY = new EnumMap<>(Unary.class);
    private static final Map<Binary, String> BINARY = new EnumMap<>(Binary.class);
    private static final Map<Binary, String> BINARY_BCAST = new EnumMap<>(Binary.class);
    private static final Map<Reduce, String> REDUCE_ROWS = new EnumMap<>(Reduce.class);
    private static final Map<Reduce, String> REDUCE_COLS = new EnumMap<>(Reduce.class);
    private static final String[] GEMM = new String[GemmTile.values().length * 4];

    /** Module name → its entries. */
    static final Map<String, List<String>> MODULES;

    static {
        for (Unary op : Unary.values()) UNARY.put(op, "unary_" + op.name());
        for (Binary op : Binary.values()) {
            BINARY.put(op, "binary_" + op.name());
            BINARY_BCAST.put(op, "binary_bcast_" + op.name());
        }
        for (Reduce op : Reduce.values()) {
            REDUCE_ROWS.put(op, "reduce_rows_" + op.name());
            REDUCE_COLS.put(op, "reduce_cols_" + op.name());
        }
        for (GemmTile t : GemmTile.values())
            for (int f = 0; f < 4; f++)
                GEMM[t.ordinal() * 4 + f] = "gemm_" + t.kernelPrefix + "_" + ((f & 2) != 0 ? "t" : "n") + ((f & 1) != 0 ? "t" : "n");

        Map<String, List<String>> m = new LinkedHashMap<>();
        List<String> elementwise = new ArrayList<>(UNARY.values());
        elementwise.addAll(BINARY.values());
        elementwise.addAll(BINARY_BCAST.values());
        elementwise.addAll(List.of(EXPAND, WHERE, COPY2D, TRANSPOSE));
        m.put("elementwise", elementwise);
        List<String> reduce = new ArrayList<>(REDUCE_ROWS.values());
        reduce.addAll(REDUCE_COLS.values());
        m.put("reduce", reduce);
        m.put("indexing", List.of(GATHER_ROWS, SCATTER_ADD_ROWS, SEGMENT_MEAN, SEGMENT_EXPAND_MEAN));
        m.put("random", List.of(RANDOM_UNIFORM, RANDOM_NORMAL));
        m.put("optim", List.of(ADAM_STEP, SGD_STEP));
        m.put("gemm", List.of(GEMM));
        for (var e : m.entrySet()) e.setValue(List.copyOf(e.getValue()));
        MODULES = Collections.unmodifiableMap(m);
    }

    static String unary(Unary op) { return UNARY.get(op); }

    /** The kernel for operands that are contiguous arrays of the output's size. */
    static String binary(Binary op) { return BINARY.get(op); }

    /** The kernel that walks a four-dimensional broadcast plan. */
    static String binaryBroadcast(Binary op) { return BINARY_BCAST.get(op); }

    static String reduceRows(Reduce op) { return REDUCE_ROWS.get(op); }

    static String reduceCols(Reduce op) { return REDUCE_COLS.get(op); }

    static String gemm(GemmTile tile, boolean ta, boolean tb) {
        return GEMM[tile.ordinal() * 4 + (ta ? 2 : 0) + (tb ? 1 : 0)];
    }

    /** Every entry of every module. */
    static List<String> all() {
        List<String> all = new ArrayList<>();
        MODULES.values().forEach(all::addAll);
        return all;
    }
}
