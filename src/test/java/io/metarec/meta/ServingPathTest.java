package io.metarec.meta;

import io.metarec.autograd.GradMode;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Indices;
import io.metarec.backend.cpu.HostScopes;
import io.metarec.nn.Params;
import io.metarec.rec.model.CatalogueScorer;
import io.metarec.rec.model.Examples;
import io.metarec.rec.model.FieldSpec;
import io.metarec.rec.model.MeluModel;
import io.metarec.rec.model.RecModelsTestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The serving path records no graph it does not need: adapting at evaluation builds only each
 * inner step's first-order graph of the support loss (every step starts from fresh leaves, no
 * chain through earlier steps, no second-order graph), scoring records nothing, and the catalogue
 * scorer (the items' side embedded once) gives the same scores; all bitwise equal to the recorded
 * path (the inner loop as meta-training runs it, the head with recording on).
 */
class ServingPathTest {
    static final int ITEMS = 30, USERS = 12, STEPS = 3;
    /** How far the catalogue scorer may differ from the full rows: its first layer sums in another order (scores ~1–5). */
    static final float ROUNDING = 1e-5f;

    /** A MeLU model with identities and the closed-form fold-in, watched: what the head sees. */
    static final class Watched implements MetaModel<Examples> {
        final MeluModel inner = new MeluModel(RecModelsTestData.FIELDS, 8, new int[] {16, 16}, LossKind.MSE, 3f,
                new MeluModel.Identity(ITEMS, USERS, null, 2f));
        List<String> adapted = List.of();
        /**
         * Head calls after the first that saw an adapted parameter with a recorded history: a chain
         * through earlier steps (the first step's may carry the closed-form fit's graph, which its
         * gradient goes through).
         */
        int chained;
        /** Head calls with graph recording on. */
        int recording;
        int calls;

        @Override public Params init(long seed) { return inner.init(seed); }
        @Override public List<String> embeddingGroups() { return inner.embeddingGroups(); }
        @Override public int examples(Examples d) { return inner.examples(d); }
        @Override public int featureWidth() { return inner.featureWidth(); }
        @Override public Batch embed(Params p, Examples d) { return inner.embed(p, d); }
        @Override public Batch embedStack(Params p, List<Examples> d) { return inner.embedStack(p, d); }
        @Override public Params fitInClosedForm(Params p, Batch s, Params fast) { return inner.fitInClosedForm(p, s, fast); }
        @Override public java.util.Set<String> fittedInClosedForm() { return inner.fittedInClosedForm(); }
        @Override public LossKind loss() { return inner.loss(); }
        @Override public Tensor supportLoss(Tensor pred, Tensor target, Tensor mask) { return inner.supportLoss(pred, target, mask); }

        @Override public Tensor head(Params p, Tensor features) {
            calls++;
            if (GradMode.isEnabled()) recording++;
            if (calls > 1) for (String n : adapted) if (p.contains(n) && p.get(n).node() != null) { chained++; break; }
            return inner.head(p, features);
        }

        void reset() {
            chained = recording = calls = 0;
        }
    }

    static MetaLearner<Examples> learner(String kind, MetaModel<Examples> model) {
        LearnerConfig c = LearnerConfig.defaults().withInnerSteps(STEPS).withInnerLr(0.05f).withAdaptedGroups(List.of("mlp", MeluModel.PERSONAL))
                .withExecution(LearnerConfig.Execution.PER_TASK);
        return switch (kind) {
            case "maml" -> new Maml<>(model, c);
            case "fomaml" -> new Maml<>(model, c.withOrder(Order.FIRST_ORDER));
            case "lslr" -> new Maml<>(model, c, null, true);
            case "metasgd" -> new MetaSgd<>(model, c);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"maml", "fomaml", "lslr", "metasgd"})
    void evaluationAdaptsWithoutAChainAndAsTheRecordedPath(String kind) {
        Watched model = new Watched();
        MetaLearner<Examples> learner = learner(kind, model);
        List<Task<Examples>> tasks = RecModelsTestData.tasks(6);
        learner.metaStep(tasks.subList(0, 3)); // away from the initialisation (the output layer starts at zero)
        learner.metaStep(tasks.subList(3, 6));
        model.adapted = List.copyOf(learner.adaptedNames());
        Examples support = tasks.get(1).support(), query = tasks.get(1).query();

        // The recorded path: the same inner loop as inside a meta-step (meta-step ≥ 0), first order.
        model.reset();
        Params m = learner.metaParams();
        SupportSet s = new SupportSet(model, m, model.embed(m, support), null, new int[] {0}, learner.metaSteps());
        Params recorded = learner.adapt(m, s, m.filter(learner.adaptedNames()::contains).requiringGrad(), STEPS, false,
                new Guard(learner.name(), new int[] {0})).fast();
        assertTrue(model.chained > 0, "the recorded path chains the steps (the reference this test compares with)");
        for (String n : recorded.names()) assertNotNull(recorded.get(n).node(), n + " has the recorded history of its steps");

        model.reset();
        Params adapted = learner.adaptTo(support, STEPS);
        assertEquals(STEPS, model.calls);
        assertEquals(0, model.chained, "an evaluation step saw fast weights carrying earlier steps' graph");
        for (String n : recorded.names())
            assertArrayEquals(recorded.get(n).toArray(), adapted.get(n).toArray(), 0f, n + ": adapted as on the recorded path, bitwise");
        for (String n : adapted.names()) assertNull(adapted.get(n).node(), n);

        // Scoring records nothing, and gives what the head gives with recording on.
        model.reset();
        Tensor scores = learner.predict(adapted, query);
        assertEquals(0, model.recording);
        assertNull(scores.node());
        assertTrue(GradMode.isEnabled(), "the scope restored the mode");
        Params leaves = adapted.requiringGrad();
        Tensor recordedScores = model.inner.head(leaves, model.inner.embed(leaves, query).features());
        assertNotNull(recordedScores.node());
        assertArrayEquals(recordedScores.toArray(), scores.toArray(), 0f);
    }

    /**
     * The catalogue's item side embedded once and the user's share of the first layer computed
     * once: the scores of embedding every row per request, up to float rounding, nothing recorded.
     */
    @ParameterizedTest
    @ValueSource(strings = {"plain", "identity", "fold"})
    void catalogueScorerGivesThePredictionsOfTheFullRows(String variant) {
        MeluModel.Identity id = switch (variant) {
            case "identity" -> new MeluModel.Identity(ITEMS, USERS, null);
            case "fold" -> new MeluModel.Identity(ITEMS, USERS, null, 2f);
            default -> null;
        };
        MeluModel model = new MeluModel(RecModelsTestData.FIELDS, 8, new int[] {16, 16}, LossKind.MSE, 3f, id);
        List<String> groups = id == null ? List.of("mlp") : List.of("mlp", MeluModel.PERSONAL);
        Maml<Examples> maml = new Maml<>(model, LearnerConfig.defaults().withInnerSteps(STEPS).withInnerLr(0.05f).withAdaptedGroups(groups)
                .withExecution(LearnerConfig.Execution.PER_TASK));
        List<Task<Examples>> tasks = RecModelsTestData.tasks(8);
        maml.metaStep(tasks.subList(0, 4));
        Examples catalogue = Examples.concat(List.of(tasks.get(4).query(), tasks.get(5).query(), tasks.get(6).query(), tasks.get(6).support()));
        CatalogueScorer scorer = CatalogueScorer.of(maml, catalogue);
        assertNotNull(scorer);
        for (int u = 0; u < 8; u++) {
            Examples support = tasks.get(u).support();
            Params adapted = maml.adaptTo(support, STEPS);
            assertTrue(scorer.validFor(adapted));
            Tensor fast = scorer.score(adapted, firstRow(support));
            assertNull(fast.node());
            float[] full = maml.predict(adapted, paired(catalogue, support)).toArray();
            assertArrayEquals(full, fast.toArray(), ROUNDING, "user " + u);
        }
        // Parameters with other embeddings: not this catalogue's.
        Params other = maml.modelParams().map((n, t) -> n.startsWith("emb.") ? Tensor.of(t.toArray(), t.shape()) : t);
        assertFalse(scorer.validFor(other));
        assertThrows(IllegalArgumentException.class, () -> scorer.score(other, firstRow(tasks.get(0).support())));
        // A learner that adapts the embeddings gets no scorer.
        assertNull(CatalogueScorer.of(new Maml<>(model, LearnerConfig.defaults().withAdaptedGroups(List.of("mlp", "emb"))), catalogue));
    }

    /** A MeLU model with identities after one meta-step, 12 users' tasks, a catalogue of three queries' items and its scorer. */
    record Served(Maml<Examples> maml, List<Task<Examples>> tasks, Examples catalogue, CatalogueScorer scorer) {}

    static Served served() {
        MeluModel model = new MeluModel(RecModelsTestData.FIELDS, 8, new int[] {16, 16}, LossKind.MSE, 3f, new MeluModel.Identity(ITEMS, USERS, null, 2f));
        Maml<Examples> maml = new Maml<>(model, LearnerConfig.defaults().withInnerSteps(STEPS).withInnerLr(0.05f)
                .withAdaptedGroups(List.of("mlp", MeluModel.PERSONAL)).withExecution(LearnerConfig.Execution.PER_TASK));
        List<Task<Examples>> tasks = RecModelsTestData.tasks(12);
        maml.metaStep(tasks.subList(0, 4));
        Examples catalogue = Examples.concat(List.of(tasks.get(4).query(), tasks.get(5).query(), tasks.get(6).query()));
        CatalogueScorer scorer = CatalogueScorer.of(maml, catalogue);
        return new Served(maml, tasks, catalogue, scorer);
    }

    /** Requests on several threads at once: every score as the full rows give it. */
    @org.junit.jupiter.api.Test
    void concurrentRequestsShareTheScorerSafely() throws Exception {
        Served served = served();
        Maml<Examples> maml = served.maml();
        List<Task<Examples>> tasks = served.tasks();
        Examples catalogue = served.catalogue();
        CatalogueScorer scorer = served.scorer();
        List<float[]> expected = new ArrayList<>();
        List<Params> adapted = new ArrayList<>();
        for (Task<Examples> t : tasks) {
            Params a = maml.adaptTo(t.support(), STEPS);
            adapted.add(a);
            expected.add(maml.predict(a, paired(catalogue, t.support())).toArray());
        }
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                final int start = w;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 60; i++) {
                        int u = (start * 7 + i) % tasks.size();
                        assertArrayEquals(expected.get(u), scorer.score(adapted.get(u), firstRow(tasks.get(u).support())).toArray(), ROUNDING, "user " + u);
                    }
                    return null;
                }));
            }
            for (var f : done) f.get();
        } finally {
            pool.shutdown();
        }
    }

    /**
     * A server recycles its requests' arrays (HostScopes.preferRecycling): requests on virtual
     * threads, each adapting and scoring inside its own scope, give the bits of the same requests
     * with recycling off, one after another.
     */
    @org.junit.jupiter.api.Test
    void requestsInRecyclingScopesOnVirtualThreadsGiveTheSameBits() throws Exception {
        Served served = served();
        List<Task<Examples>> tasks = served.tasks();
        java.util.function.IntFunction<float[]> request = u -> { // what a served request does (Recommendations.topK)
            try (var scope = served.maml().backend().openScope()) {
                Params a = served.maml().adaptTo(tasks.get(u).support(), STEPS);
                return served.scorer().score(a, firstRow(tasks.get(u).support())).toArray();
            }
        };
        HostScopes.Mode before = HostScopes.mode();
        try {
            HostScopes.setMode(HostScopes.Mode.OFF);
            List<float[]> expected = new ArrayList<>();
            for (int u = 0; u < tasks.size(); u++) expected.add(request.apply(u));
            HostScopes.setMode(HostScopes.Mode.RECYCLE);
            try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                List<java.util.concurrent.Future<?>> done = new ArrayList<>();
                for (int i = 0; i < 120; i++) {
                    final int u = (i * 5) % tasks.size();
                    done.add(threads.submit(() -> {
                        assertArrayEquals(expected.get(u), request.apply(u), 0f, "user " + u);
                        return null;
                    }));
                }
                for (var f : done) f.get();
            }
        } finally {
            HostScopes.setMode(before);
        }
    }

    /** The rows of {@code catalogue} with the user side (fields, identity) of {@code user}'s first row. */
    static Examples paired(Examples catalogue, Examples user) {
        int n = catalogue.rows();
        List<Examples.FieldIds> fields = new ArrayList<>();
        for (int f = 0; f < RecModelsTestData.FIELDS.size(); f++) {
            FieldSpec spec = RecModelsTestData.FIELDS.get(f);
            if (spec.side() == FieldSpec.Side.ITEM) {
                fields.add(catalogue.fields().get(f));
            } else {
                assertNull(user.fields().get(f).offsets(), "the fixtures' user fields are single-valued");
                int[] ids = new int[n];
                java.util.Arrays.fill(ids, user.fields().get(f).ids().get(0));
                fields.add(new Examples.FieldIds(Indices.wrap(ids), null));
            }
        }
        int[] users = new int[n];
        java.util.Arrays.fill(users, user.identities(FieldSpec.Side.USER).get(0));
        return new Examples(fields, catalogue.identities(FieldSpec.Side.ITEM), Indices.wrap(users), Tensor.zeros(n, 1));
    }

    /** Row 0 of {@code e}. */
    static Examples firstRow(Examples e) {
        List<Examples.FieldIds> fields = new ArrayList<>();
        for (Examples.FieldIds f : e.fields()) {
            if (f.offsets() == null) fields.add(new Examples.FieldIds(Indices.wrap(new int[] {f.ids().get(0)}), null));
            else {
                int from = f.offsets().get(0), to = f.offsets().get(1);
                int[] ids = new int[to - from];
                for (int i = from; i < to; i++) ids[i - from] = f.ids().get(i);
                fields.add(new Examples.FieldIds(Indices.wrap(ids), Indices.wrap(new int[] {0, ids.length})));
            }
        }
        return new Examples(fields, Indices.wrap(new int[] {e.identities(FieldSpec.Side.ITEM).get(0)}),
                Indices.wrap(new int[] {e.identities(FieldSpec.Side.USER).get(0)}), Tensor.zeros(1, 1));
    }
}
