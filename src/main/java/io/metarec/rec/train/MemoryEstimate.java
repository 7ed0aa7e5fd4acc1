package io.metarec.rec.train;

import io.metarec.meta.MetaLearner;
import io.metarec.meta.Order;
import io.metarec.meta.Task;
import io.metarec.nn.Params;
import io.metarec.rec.model.Examples;

import java.util.List;
import java.util.Locale;

/**
 * The heap a meta-training job needs, estimated before its first step from what is known then: the
 * dataset in memory, the meta-parameters with the outer optimizer's state, and the autograd tapes of
 * the tasks that run at once. {@code train}, {@code compare} and {@code demo} refuse a job that cannot fit in the
 * JVM's heap (one line, exit 2) instead of running out of memory after hours of training.
 *
 * <pre>
 *   estimate   = JVM + data + state + concurrent × tape + partials                         (bytes)
 *   JVM        = 8 MiB                                   (the command line, pools, class metadata's heap side)
 *   data       = 112 · interactions + 1 KiB · (users + items)   (ratings, split, tasks, features)
 *   state      = 4 · metaParams · 8          (θ, Adam's two moments, the gradient sum, the step's
 *                                             temporaries, the best epoch's copy, the checkpoint)
 *   tape       = 4 · (k + 1) · (a · rows · width + b · dense) · order         (one task's autograd graph)
 *     a, b     = 4, 12 per task; 3, 3 stacked (one graph for the meta-batch, embeddings looked up once)
 *     k        = inner steps
 *     rows     = (k + 1) · support + query   (the largest training task; × (1 + negatives) for implicit feedback)
 *     width    = featureWidth + Σ hidden + 1 (+ 128 for the metric model's towers): what a row carries through the network
 *     dense    = meta-parameters outside the embedding tables (the fast weights every inner step makes)
 *     order    = 1 for second-order learners, ⅓ for first-order ones (FOMAML, Meta-LSTM)
 *   batch      = min(meta-batch, training tasks)
 *   concurrent = min(batch, stack · threads) when the tasks are stacked (--execution batched; stack =
 *                the tasks a stack holds, LearnerConfig.stackSize, resolved for the largest training
 *                support and query), else min(threads, batch)
 *   partials   = 4 · dense · (log₂ batch + concurrent)   (per-task gradient sums parked in the tree)
 * </pre>
 *
 * The tape grows with (k + 1)², not k + 1: stacked, the largest heap after a collection was 3.7×
 * as much per task with 5 inner steps as with 3, for 1.5× the rows. The coefficients were fitted to the smallest heap each of
 * a set of MAML and FOMAML runs on synthetic data completes in, and rounded up so that every run
 * completes in a heap of the estimate and runs out of memory in a third of it (docs/benchmarks.md,
 * "An estimate of a job's memory"; {@code cli.MemoryCheckProcessTest}). A job is refused only when
 * a third of the estimate, {@link #floor}, exceeds the heap: a job that fits is not refused.
 */
public record MemoryEstimate(long data, long state, long tape, int concurrent, boolean stacked, long partials, long metaParams, int rows, int width) {

    /** The JVM's own share of the heap: classes' mirrors, the command line, pools. */
    public static final long JVM = 8L << 20;
    /** Bytes per interaction: the rating arrays, the split, the user tasks' example tensors. */
    static final long PER_INTERACTION = 112;
    /** Bytes per user or item: ids, feature rows, vocabularies. */
    static final long PER_ENTITY = 1024;
    /** Copies of the meta-parameters alive at once (see the class comment). */
    static final int STATE_COPIES = 8;
    /** Floats of tape per row, unit of width and inner step: per task, stacked. */
    static final int TAPE_PER_VALUE = 4, TAPE_PER_VALUE_STACKED = 3;
    /** Copies of the dense parameters per inner step (fast weights, their gradients and their graph): per task, stacked. */
    static final int TAPE_PER_DENSE = 12, TAPE_PER_DENSE_STACKED = 3;
    /** The tape of a first-order learner, relative to a second-order one's (measured: 0.32 for FOMAML, stacked). */
    static final double FIRST_ORDER = 1.0 / 3;
    /** The estimate is at most this many times the heap a job needs: this share of it is surely needed. */
    static final double FLOOR_SHARE = 1.0 / 3;
    /** Set to 0, off, false or no to skip the check ({@code -Dmetarec.memory.verbose=true} still prints the estimate). */
    public static final String ENV = "METAREC_MEMORY_CHECK";

    /** The estimate for meta-training {@code learner} (as {@code c} configures it) on {@code e} with {@code threads} workers. */
    public static MemoryEstimate of(RecConfig c, Experiment e, MetaLearner<Examples> learner, int threads) {
        Params meta = learner.metaParams();
        long all = meta.count();
        List<String> groups = learner.model().embeddingGroups();
        long dense = meta.filter(n -> groups.stream().noneMatch(g -> Params.inGroup(n, g))).count();
        int support = 0, query = 0;
        for (Task<Examples> t : e.trainTasks()) {
            support = Math.max(support, t.support().rows());
            query = Math.max(query, t.query().rows());
        }
        int k = c.innerSteps();
        long rows = (long) (k + 1) * support + query;
        if (c.feedback().implicit()) rows *= 1 + c.feedback().negatives();
        int width = learner.model().featureWidth() + c.hidden().stream().mapToInt(Integer::intValue).sum() + 1;
        if (c.model().equals("metric")) width += 128; // two towers, each with a 64-wide layer
        boolean stacked = learner.batched(); // c's execution, AUTO resolved against the backend
        double order = c.kind().order() == Order.FIRST_ORDER ? FIRST_ORDER : 1.0;
        double a = stacked ? TAPE_PER_VALUE_STACKED : TAPE_PER_VALUE, b = stacked ? TAPE_PER_DENSE_STACKED : TAPE_PER_DENSE;
        long tape = (long) (4.0 * order * (k + 1) * (a * rows * width + b * dense));
        int batch = Math.max(1, Math.min(c.metaBatch(), e.trainTasks().size())); // a meta-batch is at most the training tasks
        int concurrent = (int) Math.min(batch, (long) learner.stackSize(batch, support, query) * Math.max(1, threads)); // a stack of one per task
        long partials = 4L * dense * (32 - Integer.numberOfLeadingZeros(batch) + concurrent);
        long data = PER_INTERACTION * e.data().interactions().size() + PER_ENTITY * ((long) e.data().numUsers() + e.data().numItems());
        return new MemoryEstimate(data, 4L * all * STATE_COPIES, tape, concurrent, stacked, partials, all, (int) Math.min(Integer.MAX_VALUE, rows), width);
    }

    /** The estimated peak heap, in bytes. */
    public long bytes() {
        return JVM + data + state + concurrent * tape + partials;
    }

    /** What the job surely needs: the part of the estimate no run has come in under. */
    public long floor() {
        return (long) (bytes() * FLOOR_SHARE);
    }

    /** Whether the check is on: {@value #ENV} unset or anything but 0, off, false, no. */
    public static boolean checkEnabled() {
        String v = System.getenv(ENV);
        return v == null || !List.of("0", "off", "false", "no").contains(v.trim().toLowerCase(Locale.ROOT));
    }

    /**
     * Refuses (IllegalArgumentException: exit 2, one line) a job that cannot fit in {@code maxHeap}
     * bytes; {@code what} names the job in the message ("this job", "maml", "metric-fomaml").
     */
    public void check(String what, long maxHeap) {
        if (floor() <= maxHeap || !checkEnabled()) return;
        String lower = concurrent * tape + partials < data + state ? "the model's size (--embedding-dim, --hidden)"
                : stacked ? "--meta-batch or --stack-size (the tasks are stacked)" : "the worker threads (METAREC_THREADS) or --hidden";
        long gib = (bytes() + (1L << 30) - 1) >> 30;
        throw new IllegalArgumentException(String.format(Locale.ROOT,
                "%s needs at least %s of heap (estimate %s: data %s, %,d meta-parameters with Adam's state %s, %d task%s at once × %s of autograd tape), "
                        + "the JVM has %s; run with METAREC_JAVA_OPTS=-Xmx%dg, or lower %s (%s=off skips this check)",
                what, size(floor()), size(bytes()), size(data), metaParams, size(state), concurrent, concurrent == 1 ? "" : "s",
                size(tape), size(maxHeap), gib, lower, ENV));
    }

    /** One line for {@code -Dmetarec.memory.verbose=true}: the estimate and its parts. */
    public String describe() {
        return String.format(Locale.ROOT, "memory estimate %s (floor %s): JVM %s, data %s, state %s (%,d meta-parameters), %d × tape %s (%d rows × width %d), partials %s; heap %s",
                size(bytes()), size(floor()), size(JVM), size(data), size(state), metaParams, concurrent, size(tape), rows, width, size(partials),
                size(Runtime.getRuntime().maxMemory()));
    }

    /** 1.4 GiB, 120 MiB, 64 KiB. */
    public static String size(long bytes) {
        if (bytes >= 1L << 30) return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
        if (bytes >= 1L << 20) return String.format(Locale.ROOT, "%.0f MiB", bytes / (double) (1L << 20));
        return String.format(Locale.ROOT, "%.0f KiB", bytes / 1024.0);
    }
}
