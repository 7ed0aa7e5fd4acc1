package io.metarec.bench;

import io.metarec.backend.Backends;
import io.metarec.meta.LearnerConfig;
import io.metarec.meta.Maml;
import io.metarec.nn.Params;
import io.metarec.rec.model.CatalogueScorer;
import io.metarec.rec.model.Examples;
import io.metarec.util.EnginePool;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The serving request of DESIGN.md §7 and issue 10: a new user with 10 ratings, adapted in 5 inner
 * steps (MeLU's local update: the MLP), then the whole catalogue of 3,706 items (ML-1M's) scored and
 * the top 10 picked. One request per invocation; JMH's sample mode gives the latency distribution
 * (p50, p99). Model, vocabularies and row layout are {@link MeluWorkload}'s, so the PyTorch twins
 * in {@code bench/melu_torch.py serve} do the same work. {@link #request} embeds every catalogue row
 * per request (twin: {@code --catalogue per-request}). {@link #requestCached} is the request as
 * {@code serve} computes it (twin: {@code --catalogue cached}, the default, which keeps the items'
 * embeddings likewise): the catalogue's item side embedded once per model ({@link CatalogueScorer}),
 * only the user's row per request, whose share of the first layer is computed once; the same
 * scores up to float rounding (checked at set-up). {@code bench/compare.sh} times {@link #requestCached}.
 * Host memory is recycled between requests as in {@code serve} (unless {@code -Dmetarec.hostScopes}
 * says otherwise).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Threads(1)
@Warmup(iterations = 6, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ServeBench {
    static final int CATALOGUE = 3706, RATINGS = 10, STEPS = 5, K = 10, USERS = 64;

    @Param({"cpu"}) String backend;

    private Maml<Examples> maml;
    private final List<Examples> supports = new ArrayList<>();
    private final List<Examples> catalogues = new ArrayList<>();
    private final List<Examples> userRows = new ArrayList<>();
    private CatalogueScorer scorer;
    private int next;

    @Setup(Level.Trial)
    public void setup() {
        Backends.use(Backends.select(backend));
        Backends.preferRecycledHostMemory(); // as the server does (RecommendServer.start)
        EnginePool.setThreads(1);
        LearnerConfig cfg = LearnerConfig.defaults().withInnerSteps(STEPS).withInnerLr(5e-3f).withAdaptedGroups(List.of("mlp"));
        maml = new Maml<>(MeluWorkload.model(), cfg);
        // The catalogue: one fixed row per item (its features); a request pairs it with the user's ids.
        SplittableRandom r = new SplittableRandom(1);
        int[][] items = MeluWorkload.itemRows(r, CATALOGUE);
        for (int u = 0; u < USERS; u++) {
            int[] user = MeluWorkload.user(r);
            supports.add(MeluWorkload.rows(r, RATINGS, user));
            catalogues.add(MeluWorkload.rowsOf(items, user));
            userRows.add(MeluWorkload.rowsOf(new int[][] {items[0]}, user));
        }
        scorer = CatalogueScorer.of(maml, MeluWorkload.rowsOf(items, MeluWorkload.user(r)));
        for (int u = 0; u < 4; u++) {
            Params fast = maml.adaptTo(supports.get(u), STEPS);
            float[] full = maml.predict(fast, catalogues.get(u)).toArray(), cached = scorer.score(fast, userRows.get(u)).toArray();
            for (int i = 0; i < full.length; i++)
                if (!(Math.abs(full[i] - cached[i]) <= 1e-5f * Math.max(1f, Math.abs(full[i]))))
                    throw new IllegalStateException("the catalogue scorer's score " + cached[i] + " differs from the full row's " + full[i] + " (item " + i + ")");
        }
        next = 0;
        MeluMamlBench.CpuClock.resetPeakRss();
    }

    /** One request: adapt to the user's ratings, score the catalogue, return the best item's index. */
    @Benchmark
    public int request() {
        int u = next++ % USERS;
        try (var scope = Backends.current().openScope()) {
            Params fast = maml.adaptTo(supports.get(u), STEPS);
            float[] scores = maml.predict(fast, catalogues.get(u)).toArray();
            return topK(scores, K)[0];
        }
    }

    /** The same request with the catalogue's item side embedded once (what {@code serve} does). */
    @Benchmark
    public int requestCached() {
        int u = next++ % USERS;
        try (var scope = Backends.current().openScope()) {
            Params fast = maml.adaptTo(supports.get(u), STEPS);
            float[] scores = scorer.score(fast, userRows.get(u)).toArray();
            return topK(scores, K)[0];
        }
    }

    /** Indices of the k largest scores, best first (a partial selection, as torch.topk). */
    static int[] topK(float[] s, int k) {
        int[] best = new int[k];
        java.util.Arrays.fill(best, -1);
        for (int i = 0; i < s.length; i++) {
            if (best[k - 1] >= 0 && s[i] <= s[best[k - 1]]) continue;
            int j = k - 1;
            while (j > 0 && (best[j - 1] < 0 || s[i] > s[best[j - 1]])) { best[j] = best[j - 1]; j--; }
            best[j] = i;
        }
        return best;
    }
}
