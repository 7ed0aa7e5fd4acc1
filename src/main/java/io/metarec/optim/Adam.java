package io.metarec.optim;

import io.metarec.autograd.GradMode;
import io.metarec.autograd.Gradient;
import io.metarec.autograd.RowSparse;
import io.metarec.autograd.Tensor;
import io.metarec.backend.Backend;
import io.metarec.backend.Buffer;
import io.metarec.backend.Fused;
import io.metarec.backend.Indices;
import io.metarec.nn.Params;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Adam (Kingma &amp; Ba 2015), as PyTorch's: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
 * p ← p − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε); weight decay adds wd·p to g (L2).
 * Each tensor's update is one {@link Backend#adamStep} (a single kernel on CUDA).
 *
 * <p>Exact (the default): every element steps every time, a row-sparse gradient counting as zero
 * outside its rows, so untouched rows still decay their moments and move. Lazy (PyTorch's
 * SparseAdam): for a row-sparse gradient ({@link RowSparse}, an embedding table's touched rows)
 * only the touched rows step; the other rows keep their values and their moments as they were, as
 * if that step had not happened for them. The bias corrections use the optimizer's step count t
 * for every row (as SparseAdam's per-parameter count), not the times the row was touched; weight
 * decay applies to the touched rows only. Dense gradients step exactly in both modes.
 */
public final class Adam implements Optimizer {
    private final float lr, beta1, beta2, eps, weightDecay;
    private final boolean lazy;
    private final Map<String, Tensor> m = new HashMap<>(), v = new HashMap<>();
    /**
     * Parameters whose moments someone else may hold: handed out by {@link #state} or taken in by
     * {@link #restore}. Their next step leaves them intact (fresh moments); every other step lets the
     * backend write the moments in place ({@link Backend#adamStep(Buffer, Buffer, Buffer, Buffer, boolean,
     * Fused.AdamCoefficients) reuseMoments}), so a state once read never changes.
     */
    private final Set<String> shared = new HashSet<>();
    private int t;

    public Adam(float lr, float beta1, float beta2, float eps, float weightDecay) {
        this(lr, beta1, beta2, eps, weightDecay, false);
    }

    /** @param lazy step only the touched rows of a row-sparse gradient (see the class comment) */
    public Adam(float lr, float beta1, float beta2, float eps, float weightDecay, boolean lazy) {
        if (!(lr > 0)) throw new IllegalArgumentException("Adam: learning rate must be positive, got " + lr);
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1))
            throw new IllegalArgumentException("Adam: betas must be in [0, 1), got " + beta1 + ", " + beta2);
        if (!(eps > 0)) throw new IllegalArgumentException("Adam: eps must be positive, got " + eps);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("Adam: weight decay must be non-negative, got " + weightDecay);
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.lazy = lazy;
    }

    public Adam(float lr) {
        this(lr, 0.9f, 0.999f, 1e-8f, 0f);
    }

    /** PyTorch's defaults (β 0.9, 0.999, ε 1e-8, no weight decay), exact or lazy. */
    public static Adam withDefaults(float lr, boolean lazy) {
        return new Adam(lr, 0.9f, 0.999f, 1e-8f, 0f, lazy);
    }

    /** Whether row-sparse gradients step only their rows. */
    public boolean lazy() { return lazy; }

    /** Steps taken so far. */
    public int steps() { return t; }

    @Override public synchronized State state() {
        java.util.LinkedHashMap<String, Tensor> tensors = new java.util.LinkedHashMap<>();
        for (String name : new java.util.TreeSet<>(m.keySet())) {
            tensors.put("m." + name, m.get(name));
            tensors.put("v." + name, v.get(name));
        }
        shared.addAll(m.keySet());
        return new State(KIND, t, Params.of(tensors));
    }

    @Override public synchronized void restore(State s) {
        if (!KIND.equals(s.kind())) throw new IllegalArgumentException("Adam: cannot restore the state of a '" + s.kind() + "' optimizer");
        if (s.steps() < 0 || s.steps() > Integer.MAX_VALUE) throw new IllegalArgumentException("Adam: step count " + s.steps() + " out of range");
        Map<String, Tensor> nm = new HashMap<>(), nv = new HashMap<>();
        for (String key : s.tensors().names()) {
            if (key.startsWith("m.")) nm.put(key.substring(2), s.tensors().get(key));
            else if (key.startsWith("v.")) nv.put(key.substring(2), s.tensors().get(key));
            else throw new IllegalArgumentException("Adam: unknown state tensor '" + key + "'");
        }
        if (!nm.keySet().equals(nv.keySet())) throw new IllegalArgumentException("Adam: first and second moments name different parameters");
        for (String name : nm.keySet())
            if (!java.util.Arrays.equals(nm.get(name).shape(), nv.get(name).shape()))
                throw new IllegalArgumentException("Adam: the moments of '" + name + "' differ in shape");
        m.clear();
        v.clear();
        m.putAll(nm);
        v.putAll(nv);
        shared.clear();
        shared.addAll(nm.keySet());
        t = (int) s.steps();
    }

    static final String KIND = "adam";

    @Override public synchronized Params step(Params params, Params grads) {
        t++;
        Fused.AdamCoefficients c = Fused.AdamCoefficients.of(lr, beta1, beta2, eps, weightDecay, t);
        try (var off = GradMode.disabled()) {
            return params.map((name, p) -> {
                if (!grads.contains(name)) return p;
                return dense(name, p, Gradients.forParam("Adam", name, p, grads.get(name)), c);
            });
        }
    }

    /** Exact: every row steps, a row-sparse gradient zero outside its rows ({@link Backend#adamStepRows}). Lazy: the touched rows step alone. */
    @Override public synchronized Params step(Params params, Map<String, Gradient> grads) {
        t++;
        Fused.AdamCoefficients c = Fused.AdamCoefficients.of(lr, beta1, beta2, eps, weightDecay, t);
        try (var off = GradMode.disabled()) {
            return params.map((name, p) -> {
                Gradient g = grads.get(name);
                if (g == null) return p;
                if (!Arrays.equals(p.shape(), g.shape()))
                    throw new IllegalArgumentException("Adam: gradient of '" + name + "' has shape " + Arrays.toString(g.shape())
                            + ", the parameter " + p.shapeString());
                if (!(g instanceof RowSparse s)) return dense(name, p, g.toDense().detach(), c);
                return lazy ? rows(name, p, s, c) : exactRows(name, p, s, c);
            });
        }
    }

    private Tensor dense(String name, Tensor p, Tensor g, Fused.AdamCoefficients c) {
        Backend be = p.backend();
        Tensor mi = m.get(name), vi = v.get(name);
        boolean own = !shared.remove(name);
        Fused.AdamResult r = be.adamStep(p.buffer(), g.buffer(), mi == null ? null : mi.buffer(), vi == null ? null : vi.buffer(), own, c);
        return adopt(name, p, mi, vi, r);
    }

    /** Keeps a step's moments (freeing the old ones where the new ones are elsewhere) and returns its parameters. */
    private Tensor adopt(String name, Tensor p, Tensor mi, Tensor vi, Fused.AdamResult r) {
        Backend be = p.backend();
        if (mi != null && r.m() != mi.buffer()) { // a state handed out is a host copy on a device: nothing reads these
            be.release(mi.buffer());
            be.release(vi.buffer());
        }
        m.put(name, Tensor.wrap(be, r.m(), p.shape()));
        v.put(name, Tensor.wrap(be, r.v(), p.shape()));
        return Tensor.wrap(be, r.param(), p.shape());
    }

    /** The exact step of a row-sparse gradient: bitwise {@link #dense} of its densified form. */
    private Tensor exactRows(String name, Tensor p, RowSparse g, Fused.AdamCoefficients c) {
        Backend be = p.backend();
        Tensor mi = m.get(name), vi = v.get(name);
        boolean own = !shared.remove(name);
        Fused.AdamResult r = be.adamStepRows(p.buffer(), p.dim(1), g.rowIds(), g.block().buffer(), mi == null ? null : mi.buffer(),
                vi == null ? null : vi.buffer(), own, c);
        return adopt(name, p, mi, vi, r);
    }

    /** The lazy step: the touched rows gathered, stepped by the same kernel, written back into copies ({@link Backend#withRows}). */
    private Tensor rows(String name, Tensor p, RowSparse g, Fused.AdamCoefficients c) {
        Indices ids = g.rowIds();
        if (ids.length() == 0) return p;
        Backend be = p.backend();
        int rows = p.dim(0), cols = p.dim(1);
        Tensor mi = m.get(name), vi = v.get(name);
        Buffer pr = gather(be, p.buffer(), cols, ids), mr = mi == null ? null : gather(be, mi.buffer(), cols, ids);
        Buffer vr = vi == null ? null : gather(be, vi.buffer(), cols, ids);
        // Never stepped: zero moments, and the rows take the first step's form (m = (1−β₁)g), as the exact step would.
        Fused.AdamResult r = be.adamStep(pr, g.block().buffer(), mr, vr, true, c); // mr, vr: this step's own gathered copies
        Buffer zeros = mi == null ? be.zeros(rows * cols) : null;
        Buffer np = be.withRows(p.buffer(), cols, ids, r.param());
        Buffer nm = be.withRows(mi == null ? zeros : mi.buffer(), cols, ids, r.m());
        Buffer nv = be.withRows(vi == null ? zeros : vi.buffer(), cols, ids, r.v());
        Set<Buffer> done = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>()); // r.m() may be mr itself
        for (Buffer b : new Buffer[] {pr, mr, vr, r.param(), r.m(), r.v(), zeros}) if (b != null && done.add(b)) be.release(b);
        if (mi != null) {
            be.release(mi.buffer());
            be.release(vi.buffer());
        }
        m.put(name, Tensor.wrap(be, nm, p.shape()));
        v.put(name, Tensor.wrap(be, nv, p.shape()));
        return Tensor.wrap(be, np, p.shape());
    }

    private static Buffer gather(Backend be, Buffer table, int cols, Indices ids) {
        Buffer out = be.allocate(ids.length() * cols);
        if (cols > 0) be.gatherRows(table, cols, ids, out);
        return out;
    }
}
