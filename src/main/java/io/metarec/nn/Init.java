package io.metarec.nn;

import io.metarec.autograd.Tensor;
import io.metarec.backend.Backend;
import io.metarec.backend.Backends;
import io.metarec.backend.Buffer;
import io.metarec.backend.Distribution;
import io.metarec.backend.Shapes;

/**
 * Weight initialisation from the counter-based generator: the tensor called {@code name} drawn
 * with seed {@code s} is the same on every backend and every run (its stream is a hash of the name).
 * Fans are taken from a [fanIn, fanOut] weight (our layout: y = x·W + b).
 */
public enum Init {
    /** He et al. 2015, N(0, 2 / fanIn): for ReLU layers. */
    HE_NORMAL,
    /** He uniform, U(±√(6 / fanIn)). */
    HE_UNIFORM,
    /** Glorot & Bengio 2010, N(0, 2 / (fanIn + fanOut)). */
    XAVIER_NORMAL,
    /** Glorot uniform, U(±√(6 / (fanIn + fanOut))). */
    XAVIER_UNIFORM,
    /** PyTorch's Linear default, U(±1/√fanIn), for weights and biases alike. */
    TORCH_DEFAULT,
    /** N(0, 1), PyTorch's Embedding default. */
    STANDARD_NORMAL,
    ZEROS;

    /** Draws a tensor of {@code shape} (rank 1 or 2; rank 1 takes fanIn from {@code fanIn}). */
    public Tensor draw(long seed, String name, int fanIn, int... shape) {
        int fanOut = shape.length >= 2 ? shape[shape.length - 1] : 1;
        return switch (this) {
            case HE_NORMAL -> sample(Distribution.NORMAL, seed, name, 0f, (float) Math.sqrt(2.0 / fanIn), shape);
            case HE_UNIFORM -> uniform(seed, name, Math.sqrt(6.0 / fanIn), shape);
            case XAVIER_NORMAL -> sample(Distribution.NORMAL, seed, name, 0f, (float) Math.sqrt(2.0 / (fanIn + fanOut)), shape);
            case XAVIER_UNIFORM -> uniform(seed, name, Math.sqrt(6.0 / (fanIn + fanOut)), shape);
            case TORCH_DEFAULT -> uniform(seed, name, 1.0 / Math.sqrt(fanIn), shape);
            case STANDARD_NORMAL -> sample(Distribution.NORMAL, seed, name, 0f, 1f, shape);
            case ZEROS -> Tensor.zeros(shape);
        };
    }

    private static Tensor uniform(long seed, String name, double bound, int[] shape) {
        return sample(Distribution.UNIFORM, seed, name, (float) -bound, (float) bound, shape);
    }

    /** Draws from the distribution on the default backend at (seed, stream of name). */
    public static Tensor sample(Distribution d, long seed, String name, float p1, float p2, int... shape) {
        Backend be = Backends.current();
        Buffer b = be.allocate(Shapes.size(shape));
        be.random(d, seed, stream(name), p1, p2, b);
        return Tensor.wrap(be, b, shape);
    }

    /** A 64-bit stream id for a name (FNV-1a), so each named tensor draws independent numbers. */
    public static long stream(String name) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < name.length(); i++) {
            h ^= name.charAt(i);
            h *= 0x100000001b3L;
        }
        return h;
    }
}
