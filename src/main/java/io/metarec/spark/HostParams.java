package io.metarec.spark;

import io.metarec.autograd.Tensor;
import io.metarec.backend.Backend;
import io.metarec.nn.Params;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Parameters as plain host arrays, in name order: what travels between the driver and the
 * executors (a broadcast θ, a partition's gradient sum or parameters). Java-serializable.
 *
 * @param names  parameter names, in the {@link Params}' order
 * @param shapes the shape of each
 * @param values the values of each, row-major
 */
public record HostParams(String[] names, int[][] shapes, float[][] values) implements Serializable {

    /** A host copy of {@code p} (a download on a device backend). */
    public static HostParams of(Params p) {
        List<String> n = p.names();
        int[][] s = new int[n.size()][];
        float[][] v = new float[n.size()][];
        for (int i = 0; i < s.length; i++) {
            Tensor t = p.get(n.get(i));
            s[i] = t.shape();
            v[i] = t.toArray();
        }
        return new HostParams(n.toArray(String[]::new), s, v);
    }

    /** The parameters on {@code backend}. */
    public Params toParams(Backend backend) {
        List<Tensor> t = new ArrayList<>(names.length);
        for (int i = 0; i < names.length; i++) t.add(Tensor.of(backend, values[i], shapes[i]));
        return Params.of(Arrays.asList(names), t);
    }

    /** Number of scalars. */
    public long count() {
        long c = 0;
        for (float[] v : values) c += v.length;
        return c;
    }

    /** Bitwise equality of names, shapes and values (what the determinism tests compare). */
    public boolean sameBits(HostParams o) {
        if (!Arrays.equals(names, o.names) || names.length != o.names.length) return false;
        for (int i = 0; i < names.length; i++)
            if (!Arrays.equals(shapes[i], o.shapes[i]) || !Arrays.equals(values[i], o.values[i])) return false;
        return true;
    }
}
