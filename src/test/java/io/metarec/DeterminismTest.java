package io.metarec;

import io.metarec.autograd.Autograd;
import io.metarec.autograd.Functional;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Backend;
import io.metarec.backend.Backends;
import io.metarec.backend.Binary;
import io.metarec.backend.Distribution;
import io.metarec.backend.Indices;
import io.metarec.backend.cpu.ScalarBackend;
import io.metarec.backend.cpu.VectorBackend;
import io.metarec.backend.Unary;
import io.metarec.meta.LearnerConfig;
import io.metarec.meta.LossKind;
import io.metarec.meta.Maml;
import io.metarec.meta.Order;
import io.metarec.meta.Task;
import io.metarec.nn.Activation;
import io.metarec.nn.Init;
import io.metarec.nn.Mlp;
import io.metarec.nn.Params;
import io.metarec.optim.Adam;
import io.metarec.rec.model.Examples;
import io.metarec.rec.model.FieldSpec;
import io.metarec.rec.model.MeluModel;
import io.metarec.util.EnginePool;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Same seed ⇒ bitwise identical results on the CPU: seeded init of an Mlp, a few MAML meta-steps
 * (second-order meta-gradients from Autograd.grad(…, createGraph=true) in a plain inner loop) and
 * Adam updates — repeated, with 1 and 2 worker threads, and with the tasks of a meta-batch computed
 * in parallel on the worker pool and combined in task order.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.metarec.RestoresEngine.class)
class DeterminismTest {
    /** Layer sizes: a small net, and one wide enough that its products count as large GEMMs. */
    static final int[][] NETS = {{3, 32, 16, 1}, {96, 160, 64, 1}};
    static final int TASKS = 3, ROWS = 40, INNER_STEPS = 2, META_STEPS = 3;
    static final float INNER_LR = 0.01f;

    /** Everything a run produced: meta-losses, then every parameter after each meta-step. */
    static List<float[]> train(Backend be, int[] sizes, boolean parallelTasks) {
        Backends.use(be);
        Mlp mlp = new Mlp("mlp", sizes, Activation.TANH);
        Params theta = mlp.init(2024);
        Adam adam = new Adam(1e-3f);
        List<float[]> trace = new ArrayList<>();
        for (int step = 0; step < META_STEPS; step++) {
            Params th = theta.requiringGrad();
            List<List<Tensor>> perTask = new ArrayList<>();
            float[] losses = new float[TASKS];
            if (parallelTasks) {
                List<ForkJoinTask<List<Tensor>>> jobs = new ArrayList<>();
                for (int t = 0; t < TASKS; t++) {
                    int task = t, s = step;
                    jobs.add(EnginePool.pool().submit(() -> taskGradient(be, mlp, th, sizes[0], s, task, losses)));
                }
                for (var j : jobs) perTask.add(j.join());
            } else {
                for (int t = 0; t < TASKS; t++) perTask.add(taskGradient(be, mlp, th, sizes[0], step, t, losses));
            }
            List<Tensor> sum = perTask.get(0);
            for (int t = 1; t < TASKS; t++) { // fixed order: the sum does not depend on which thread finished first
                List<Tensor> next = new ArrayList<>();
                for (int i = 0; i < sum.size(); i++) next.add(sum.get(i).add(perTask.get(t).get(i)));
                sum = next;
            }
            List<Tensor> mean = new ArrayList<>();
            for (Tensor g : sum) mean.add(g.div(TASKS));
            theta = adam.step(theta, Params.of(theta.names(), mean));
            trace.add(losses);
            for (Tensor p : theta.tensors()) trace.add(p.toArray());
        }
        return trace;
    }

    /** One task's second-order MAML meta-gradient: INNER_STEPS SGD steps on the support set, then the query loss. */
    static List<Tensor> taskGradient(Backend be, Mlp mlp, Params theta, int in, int step, int task, float[] losses) {
        long stream = step * 100L + task;
        Tensor xs = Init.sample(Distribution.NORMAL, 7, "xs" + stream, 0, 1, ROWS, in).to(be);
        Tensor ys = Init.sample(Distribution.NORMAL, 7, "ys" + stream, 0, 1, ROWS, 1).to(be);
        Tensor xq = Init.sample(Distribution.NORMAL, 7, "xq" + stream, 0, 1, ROWS, in).to(be);
        Tensor yq = Init.sample(Distribution.NORMAL, 7, "yq" + stream, 0, 1, ROWS, 1).to(be);
        Params fast = theta;
        for (int s = 0; s < INNER_STEPS; s++) {
            Tensor loss = Functional.mse(mlp.forward(fast, xs), ys);
            List<Tensor> g = Autograd.grad(loss, fast.tensors(), true);
            List<Tensor> next = new ArrayList<>();
            for (int i = 0; i < g.size(); i++) next.add(fast.tensors().get(i).sub(g.get(i).mul(INNER_LR)));
            fast = Params.of(fast.names(), next);
        }
        Tensor q = Functional.mse(mlp.forward(fast, xq), yq);
        losses[task] = q.item();
        return Autograd.grad(q, theta.tensors(), false);
    }

    static void assertBitwise(List<float[]> a, List<float[]> b, String what) {
        assertEquals(a.size(), b.size(), what);
        for (int i = 0; i < a.size(); i++) {
            float[] x = a.get(i), y = b.get(i);
            assertEquals(x.length, y.length, what + ": entry " + i);
            for (int j = 0; j < x.length; j++)
                if (Float.floatToIntBits(x[j]) != Float.floatToIntBits(y[j]))
                    throw new AssertionError(what + ": entry " + i + " element " + j + ": " + x[j] + " vs " + y[j]);
        }
    }

    @Test
    void sameSeedSameBitsRunToRun() {
        for (Backend be : List.of(new ScalarBackend(), new VectorBackend())) {
            for (int[] net : NETS) {
                List<float[]> first = train(be, net, false), second = train(be, net, false);
                assertBitwise(first, second, be.name() + " " + java.util.Arrays.toString(net) + " run to run");
                // the run actually trained: the meta-loss changed and is finite
                assertTrue(Float.isFinite(first.get(0)[0]));
            }
        }
    }

    @Test
    void oneAndTwoThreadsGiveTheSameBits() {
        for (int[] net : NETS) {
            EnginePool.setThreads(1);
            List<float[]> one = train(new VectorBackend(), net, false);
            EnginePool.setThreads(2);
            List<float[]> two = train(new VectorBackend(), net, false);
            assertBitwise(one, two, java.util.Arrays.toString(net) + " with 1 vs 2 threads");
        }
    }

    @Test
    void tasksInParallelGiveTheSameBitsAsInSequence() {
        EnginePool.setThreads(2);
        for (Backend be : List.of(new ScalarBackend(), new VectorBackend())) {
            List<float[]> seq = train(be, NETS[0], false), par = train(be, NETS[0], true);
            assertBitwise(seq, par, be.name() + ": tasks in parallel vs in sequence");
        }
    }

    /**
     * The learner end to end: MeLU second-order MAML meta-steps (per task: the gradient tree; stacked)
     * with Adam leave bitwise the same parameters with 1, 2 and 4 engine threads. The director table
     * (2,500 × 32 floats) is large enough that the in-place gradient sums and Adam split over the pool.
     */
    @Test
    void meluMetaStepsGiveTheSameParametersWithOneTwoAndFourThreads() {
        List<FieldSpec> fields = List.of(
                new FieldSpec("rate", FieldSpec.Side.ITEM, 6, false),
                new FieldSpec("genre", FieldSpec.Side.ITEM, 25, true),
                new FieldSpec("director", FieldSpec.Side.ITEM, 2500, false),
                new FieldSpec("gender", FieldSpec.Side.USER, 2, false),
                new FieldSpec("zipcode", FieldSpec.Side.USER, 300, false));
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        List<Task<Examples>> tasks = new ArrayList<>();
        for (int t = 0; t < 22; t++) {
            int[] user = {r.nextInt(2), r.nextInt(300)};
            tasks.add(new Task<>(meluRows(r, 3 + r.nextInt(12), user), meluRows(r, 6, user)));
        }
        Backends.use(new VectorBackend());
        for (LearnerConfig.Execution ex : List.of(LearnerConfig.Execution.PER_TASK, LearnerConfig.Execution.BATCHED)) {
            List<float[]> first = null;
            for (int threads : new int[] {1, 2, 4}) {
                EnginePool.setThreads(threads);
                LearnerConfig cfg = LearnerConfig.defaults().withInnerSteps(2).withInnerLr(0.01f).withOuterLr(1e-2f)
                        .withOrder(Order.SECOND_ORDER).withAdaptedGroups(List.of("mlp")).withExecution(ex);
                Maml<Examples> maml = new Maml<>(new MeluModel(fields, 32, new int[] {32, 16}, LossKind.MSE, 3f), cfg);
                List<float[]> trace = new ArrayList<>();
                for (int step = 0; step < 3; step++) {
                    var result = maml.metaStep(tasks.subList(11 * (step % 2), 11 * (step % 2) + 11));
                    trace.add(new float[] {(float) result.loss()});
                }
                for (Tensor p : maml.metaParams().tensors()) trace.add(p.toArray());
                if (first == null) first = trace;
                else assertBitwise(first, trace, ex + ": 1 vs " + threads + " threads");
            }
            assertTrue(Float.isFinite(first.get(2)[0]) && first.get(0)[0] != first.get(2)[0], ex + ": it trained");
        }
    }

    /** n MeLU-style rows for one user: a rate, 1–2 genres, a director; ratings 1..5. */
    static Examples meluRows(java.util.SplittableRandom r, int n, int[] user) {
        int[] rate = new int[n], director = new int[n], og = new int[n + 1];
        List<Integer> genres = new ArrayList<>();
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            rate[i] = r.nextInt(6);
            director[i] = r.nextInt(2500);
            int first = r.nextInt(25);
            genres.add(first);
            if (r.nextBoolean()) genres.add((first + 1 + r.nextInt(24)) % 25);
            og[i + 1] = genres.size();
            y[i] = 1 + r.nextInt(5);
        }
        int[] gender = new int[n], zip = new int[n];
        java.util.Arrays.fill(gender, user[0]);
        java.util.Arrays.fill(zip, user[1]);
        List<Examples.FieldIds> f = List.of(
                new Examples.FieldIds(Indices.wrap(rate), null),
                new Examples.FieldIds(Indices.wrap(genres.stream().mapToInt(Integer::intValue).toArray()), Indices.wrap(og)),
                new Examples.FieldIds(Indices.wrap(director), null),
                new Examples.FieldIds(Indices.wrap(gender), null),
                new Examples.FieldIds(Indices.wrap(zip), null));
        return new Examples(f, Tensor.of(y, n, 1));
    }

    /**
     * Every vector kernel gives the same bits interpreted and C2-compiled. The Vector API's lanewise
     * transcendentals (and, by its spec, reduceLanes(ADD)) may differ between the Java fallback and
     * the compiled intrinsics, which once made meta-losses change in the 7th digit from one run to
     * the next, depending on when the JIT kicked in. Fresh JVMs: {@code -Xint} for the fallback,
     * {@code -Xbatch -XX:-TieredCompilation} so that C2 has compiled the kernels by the last call.
     */
    @Test
    void kernelResultsDoNotDependOnTheJit() throws Exception {
        List<String> interpreted = probe("1", "-Xint"), compiled = probe("20000", "-Xbatch", "-XX:-TieredCompilation");
        assertEquals(interpreted.size(), compiled.size(), "probe output:\n" + interpreted + "\n" + compiled);
        for (int k = 0; k < compiled.size(); k++) {
            String[] i = interpreted.get(k).split(" "), c = compiled.get(k).split(" ");
            assertEquals(c[2], c[3], c[0] + " " + c[1] + ": first and last call differ (compiled run)");
            assertEquals(i[2], c[3], c[0] + " " + c[1] + ": interpreted and C2-compiled results differ");
        }
        assertTrue(compiled.size() >= Unary.values().length + Binary.values().length, "every kernel probed: " + compiled);
    }

    static List<String> probe(String calls, String... jvmFlags) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector"));
        cmd.addAll(List.of(jvmFlags));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), JitWarmupProbe.class.getName(), calls));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "probe timed out");
        assertEquals(0, p.exitValue(), out);
        List<String> lines = new ArrayList<>();
        for (String l : out.split("\n")) if (l.startsWith("unary ") || l.startsWith("binary ") || l.startsWith("reduce ")) lines.add(l.trim());
        return lines;
    }

    @Test
    void seededInitIsTheSameOnBothCpuBackends() {
        Backends.use(new ScalarBackend());
        Params a = new Mlp("mlp", NETS[1], Activation.RELU).init(11);
        Backends.use(new VectorBackend());
        Params b = new Mlp("mlp", NETS[1], Activation.RELU).init(11);
        List<float[]> x = new ArrayList<>(), y = new ArrayList<>();
        for (Tensor t : a.tensors()) x.add(t.toArray());
        for (Tensor t : b.tensors()) y.add(t.toArray());
        assertBitwise(x, y, "Mlp.init(11) on cpu-scalar vs cpu");
    }
}
