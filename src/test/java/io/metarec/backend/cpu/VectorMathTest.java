package io.metarec.backend.cpu;

import io.metarec.backend.Unary;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * VectorMath's exp, sigmoid and tanh: within 2 ulps of the double-precision reference
 * (Unary.apply) over a dense sweep of their whole useful range plus special values, and every
 * vector lane bitwise equal to the scalar version (the vector backend's tail), at both widths.
 */
class VectorMathTest {
    static final int ULPS = 2;

    interface Scalar { float apply(float x); }

    static float[] inputs() {
        SplittableRandom r = new SplittableRandom(3);
        int n = 400_000;
        float[] x = new float[n + 16];
        for (int i = 0; i < n / 2; i++) x[i] = -120f + 240f * i / (n / 2f);             // dense and even over [−120, 120]
        for (int i = n / 2; i < n; i++) x[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-8, 3)));
        float[] special = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE,
                Float.MIN_NORMAL, 88.72283f, 88.72284f, -87.33655f, -103.97208f, -103.97209f, 0.625f, -0.625f, 0.62499994f};
        System.arraycopy(special, 0, x, n, special.length);
        return x;
    }

    static void check(String name, Unary ref, Scalar mine, UnaryOperator<FloatVector> vector) {
        float[] x = inputs();
        double worst = 0;
        for (float v : x) {
            float a = ref.apply(v, 0, 0), b = mine.apply(v);
            if (Float.floatToIntBits(a) == Float.floatToIntBits(b)) continue;
            boolean special = Float.isNaN(a) || Float.isNaN(b) || Float.isInfinite(a) || Float.isInfinite(b) || a == 0 && b == 0;
            double diff = Math.abs((double) a - b), ulps = diff / Math.ulp(a);
            if (!special && diff < Float.MIN_NORMAL) continue; // subnormal results: absolute error below the smallest normal
            if (special || ulps > ULPS) fail(name + "(" + v + "): reference " + a + ", VectorMath " + b + " (" + ulps + " ulps)");
            worst = Math.max(worst, ulps);
        }
        System.out.printf("VectorMath.%s: worst %.2f ulps over %d inputs%n", name, worst, x.length);
        for (VectorSpecies<Float> s : new VectorSpecies[] {FloatVector.SPECIES_256, FloatVector.SPECIES_512}) {
            for (int i = 0; i + s.length() <= x.length; i += s.length()) {
                float[] lanes = vector.apply(FloatVector.fromArray(s, x, i)).toArray();
                for (int j = 0; j < lanes.length; j++)
                    assertEquals(Float.floatToIntBits(mine.apply(x[i + j])), Float.floatToIntBits(lanes[j]),
                            name + ": lane " + j + " of " + s + " differs from the scalar version at x = " + x[i + j]);
            }
        }
    }

    @Test void exp() { check("exp", Unary.EXP, VectorMath::exp, VectorMath::exp); }

    @Test void sigmoid() { check("sigmoid", Unary.SIGMOID, VectorMath::sigmoid, VectorMath::sigmoid); }

    @Test void tanh() { check("tanh", Unary.TANH, VectorMath::tanh, VectorMath::tanh); }
}
