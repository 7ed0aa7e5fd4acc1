package io.metarec;

import io.metarec.backend.Backend;
import io.metarec.backend.Binary;
import io.metarec.backend.Broadcast;
import io.metarec.backend.Buffer;
import io.metarec.backend.Reduce;
import io.metarec.backend.Unary;
import io.metarec.backend.cpu.VectorBackend;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Run in fresh JVMs by {@link DeterminismTest}: calls every vector kernel on fixed inputs
 * {@code args[0]} times and prints, per kernel, a hash of the bits of the first and of the last
 * result. Under {@code -Xint} that is the Vector API's Java fallback; under {@code -Xbatch
 * -XX:-TieredCompilation} with 20,000 calls the last result comes from C2-compiled code with its
 * intrinsics. The two runs must print the same hashes.
 */
public final class JitWarmupProbe {
    static String bits(float[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) b[i] = Float.floatToIntBits(v[i]);
        return Integer.toHexString(Arrays.hashCode(b));
    }

    public static void main(String[] args) {
        Backend v = new VectorBackend();
        SplittableRandom r = new SplittableRandom(3);
        int n = 67; // four 512-bit vectors and a scalar tail
        float[] x = new float[n], y = new float[n], pos = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
            y[i] = (float) r.nextGaussian();
            pos[i] = Math.abs(x[i]) + 0.1f;
        }
        Buffer bx = v.upload(x), by = v.upload(y), bpos = v.upload(pos);
        Broadcast plan = Broadcast.of("probe", new int[] {n}, new int[] {n});
        List<String> names = new ArrayList<>();
        List<Supplier<float[]>> kernels = new ArrayList<>();
        for (Unary op : Unary.values()) {
            Buffer in = op == Unary.LOG || op == Unary.SQRT || op == Unary.POW ? bpos : bx;
            names.add("unary " + op);
            kernels.add(() -> {
                Buffer out = v.allocate(n);
                v.unary(op, in, out, 0.5f, 0.7f);
                return v.download(out);
            });
        }
        for (Binary op : Binary.values()) {
            names.add("binary " + op);
            kernels.add(() -> {
                Buffer out = v.allocate(n);
                v.binary(op, bx, by, out, plan);
                return v.download(out);
            });
        }
        for (Reduce op : Reduce.values()) {
            names.add("reduce " + op);
            kernels.add(() -> {
                Buffer out = v.allocate(1);
                v.reduce(op, bx, out, 1, n, 1);
                return v.download(out);
            });
        }
        int calls = Integer.parseInt(args[0]);
        for (int k = 0; k < kernels.size(); k++) {
            float[] first = kernels.get(k).get(), last = first;
            for (int it = 1; it < calls; it++) last = kernels.get(k).get();
            System.out.println(names.get(k) + " " + bits(first) + " " + bits(last));
        }
    }
}
