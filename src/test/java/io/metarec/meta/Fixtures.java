package io.metarec.meta;

import io.metarec.autograd.Tensor;
import io.metarec.meta.sinusoid.SinusoidTasks;
import io.metarec.nn.Activation;
import io.metarec.nn.Init;
import io.metarec.nn.Params;
import io.metarec.optim.Sgd;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/** Small models, tasks and every learner, shared by the behaviour tests. */
final class Fixtures {
    private Fixtures() {}

    /** Every learner of the package, by the name the tests print. */
    enum Kind {
        MAML, FOMAML, REPTILE, METASGD, METALSTM, METALSTM_SECOND_ORDER, LEO, LEO_FIRST_ORDER, PRETRAINED;

        boolean batches() { return this != PRETRAINED; }

        /** Learners whose meta-gradient is the gradient of a query loss (all but Reptile's pseudo-gradient). */
        boolean queryGradient() { return this != REPTILE; }
    }

    /** A small sinusoid regressor, 1-8-8-1 with ReLU, initialised as PyTorch's nn.Linear. */
    static MlpRegression smallMlp() {
        return new MlpRegression(new int[] {1, 8, 8, 1}, Activation.RELU, LossKind.MSE, Init.TORCH_DEFAULT);
    }

    static LearnerConfig config(Kind kind) {
        LearnerConfig c = LearnerConfig.defaults().withInnerSteps(2).withInnerLr(0.01f).withSeed(7)
                .withExecution(LearnerConfig.Execution.PER_TASK);
        return switch (kind) {
            case FOMAML, METALSTM, LEO_FIRST_ORDER -> c.withOrder(Order.FIRST_ORDER);
            default -> c;
        };
    }

    static <D> MetaLearner<D> learner(Kind kind, MetaModel<D> model, LearnerConfig c) {
        return switch (kind) {
            case MAML, FOMAML -> new Maml<>(model, c);
            case REPTILE -> Reptile.withEpsilon(model, c, 0.1f);
            case METASGD -> new MetaSgd<>(model, c);
            case METALSTM, METALSTM_SECOND_ORDER -> new MetaLstm<>(model, c);
            case LEO, LEO_FIRST_ORDER -> new Leo<>(model, c, Leo.Options.defaults().withLatentDim(4), null);
            case PRETRAINED -> new Pretrained<>(model, c);
        };
    }

    static MetaLearner<Batch> learner(Kind kind) {
        return learner(kind, smallMlp(), config(kind));
    }

    static MetaLearner<Batch> learner(Kind kind, UnaryOperator<LearnerConfig> tweak) {
        return learner(kind, smallMlp(), tweak.apply(config(kind)));
    }

    /** Sinusoid tasks with support sizes cycling 10, 7, 4, … and query sizes 6, 9, … (ragged on purpose). */
    static List<Task<Batch>> raggedTasks(int count, long seed) {
        SinusoidTasks stream = new SinusoidTasks(seed);
        List<Task<Batch>> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            SinusoidTasks.Sinusoid f = stream.nextFunction();
            out.add(new Task<>(stream.sample(f, 10 - 3 * (i % 3)), stream.sample(f, 6 + 3 * (i % 2))));
        }
        return out;
    }

    static List<Task<Batch>> tasks(int count, long seed) {
        return new SinusoidTasks(seed).next(count, 10, 10);
    }

    /** A copy of the task with one support (or query) target replaced by {@code value}. */
    static Task<Batch> poisoned(Task<Batch> t, boolean support, float value) {
        Batch b = support ? t.support() : t.query();
        float[] y = b.targets().toArray();
        y[y.length / 2] = value;
        Batch p = new Batch(b.features(), Tensor.of(y, b.targets().shape()));
        return support ? new Task<>(p, t.query()) : new Task<>(t.support(), p);
    }

    /** Every tensor's values, for bitwise comparisons. */
    static List<float[]> values(Params p) {
        List<float[]> out = new ArrayList<>();
        for (Tensor t : p.tensors()) out.add(t.toArray());
        return out;
    }

    static double norm(float[] v) {
        double s = 0;
        for (float x : v) s += (double) x * x;
        return Math.sqrt(s);
    }

    /** ‖a − b‖ / ‖b‖ (‖a − b‖ when b is zero). */
    static double relativeError(float[] a, float[] b) {
        double d = 0, r = 0;
        for (int i = 0; i < a.length; i++) {
            d += (double) (a[i] - b[i]) * (a[i] - b[i]);
            r += (double) b[i] * b[i];
        }
        return r == 0 ? Math.sqrt(d) : Math.sqrt(d / r);
    }

    static Sgd sgd(float lr) {
        return new Sgd(lr);
    }
}
