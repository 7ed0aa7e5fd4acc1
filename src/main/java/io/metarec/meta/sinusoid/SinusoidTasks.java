package io.metarec.meta.sinusoid;

import io.metarec.autograd.Tensor;
import io.metarec.meta.Batch;
import io.metarec.meta.Task;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The sinusoid task distribution of Finn et al. 2017: y = A·sin(x − φ) with amplitude
 * A ~ U[0.1, 5], phase φ ~ U[0, π], inputs x ~ U[−5, 5]. A seeded stream: the same seed gives the
 * same tasks, in the same order, on every run.
 */
public final class SinusoidTasks {
    public static final double AMPLITUDE_MIN = 0.1, AMPLITUDE_MAX = 5.0, PHASE_MAX = Math.PI, X_MIN = -5.0, X_MAX = 5.0;

    /** One task's function. */
    public record Sinusoid(double amplitude, double phase) {
        public double at(double x) {
            return amplitude * Math.sin(x - phase);
        }
    }

    private final SplittableRandom random;

    public SinusoidTasks(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /** The next task's function. */
    public Sinusoid nextFunction() {
        double a = AMPLITUDE_MIN + (AMPLITUDE_MAX - AMPLITUDE_MIN) * random.nextDouble();
        double phase = PHASE_MAX * random.nextDouble();
        return new Sinusoid(a, phase);
    }

    /** The next task: {@code shots} support points and {@code queryPoints} query points of a new sinusoid. */
    public Task<Batch> next(int shots, int queryPoints) {
        if (shots < 1 || queryPoints < 1)
            throw new IllegalArgumentException("sinusoid tasks need at least one support and one query point, got " + shots + " and " + queryPoints);
        Sinusoid f = nextFunction();
        return new Task<>(sample(f, shots), sample(f, queryPoints));
    }

    /** The next {@code count} tasks. */
    public List<Task<Batch>> next(int count, int shots, int queryPoints) {
        List<Task<Batch>> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(next(shots, queryPoints));
        return out;
    }

    /** {@code n} points of f at x ~ U[−5, 5]: features [n, 1], targets [n, 1]. */
    public Batch sample(Sinusoid f, int n) {
        float[] x = new float[n], y = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (X_MIN + (X_MAX - X_MIN) * random.nextDouble());
            y[i] = (float) f.at(x[i]);
        }
        return new Batch(Tensor.of(x, n, 1), Tensor.of(y, n, 1));
    }
}
