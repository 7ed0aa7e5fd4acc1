package io.metarec.autograd;

import io.metarec.backend.ShapeException;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reverse-mode differentiation over the recorded graph.
 *
 * <p>{@code grad(loss, wrt, createGraph=true)} runs every derivative rule with recording on, so the
 * returned gradients are graph tensors themselves and can be differentiated again (PyTorch's
 * {@code create_graph=True}); with {@code createGraph=false} nothing is recorded and the gradients
 * are constants. A {@code wrt} tensor the outputs do not depend on gets a zero gradient.
 */
public final class Autograd {
    private Autograd() {}

    /** d loss / d wrt for a one-element loss. */
    public static List<Tensor> grad(Tensor loss, List<Tensor> wrt, boolean createGraph) {
        return grad(List.of(loss), null, wrt, createGraph);
    }

    /**
     * Σᵢ ⟨seedᵢ, d outputᵢ / d wrt⟩ for each wrt tensor.
     *
     * @param seeds one per output, same shapes; null means 1 for one-element outputs
     */
    public static List<Tensor> grad(List<Tensor> outputs, List<Tensor> seeds, List<Tensor> wrt, boolean createGraph) {
        Gradient[] g = backward(outputs, seeds, wrt, createGraph, false);
        List<Tensor> out = new ArrayList<>(g.length);
        for (Gradient x : g) out.add(((Gradient.Dense) x).value());
        return out;
    }

    /**
     * d loss / d wrt as constants (no graph), where a leaf that the loss reads only through row
     * lookups ({@link Indexing#gatherRows}) gets its gradient as the touched rows ({@link RowSparse},
     * bitwise the dense one once densified) and every other tensor a dense one. A meta-gradient's
     * embedding tables so never become a zeroed full-size table per task.
     */
    public static List<Gradient> gradients(Tensor loss, List<Tensor> wrt) {
        return List.of(backward(List.of(loss), null, wrt, false, true));
    }

    private static Gradient[] backward(List<Tensor> outputs, List<Tensor> seeds, List<Tensor> wrt, boolean createGraph, boolean rowSparse) {
        if (seeds != null && seeds.size() != outputs.size())
            throw new ShapeException("grad: " + outputs.size() + " outputs but " + seeds.size() + " seeds");
        Map<Tensor, Integer> wrtIndex = new IdentityHashMap<>();
        for (int i = 0; i < wrt.size(); i++) wrtIndex.putIfAbsent(wrt.get(i), i);

        List<Tensor> order = new ArrayList<>();        // post-order: inputs before the tensors made from them
        Map<Tensor, Boolean> needed = new IdentityHashMap<>(); // does a wrt tensor lie upstream (or is it one)?
        for (Tensor out : outputs) visit(out, wrtIndex, needed, order);

        Map<Tensor, Tensor> grads = new IdentityHashMap<>();
        // Gradients of row lookups, held back per table and scattered in one go (see Indexing.scatterAll).
        Map<Tensor, Lookups> lookups = new IdentityHashMap<>();
        try (var mode = GradMode.set(createGraph)) {
            for (int i = 0; i < outputs.size(); i++) {
                Tensor out = outputs.get(i);
                Tensor seed = seeds == null ? null : seeds.get(i);
                if (seed == null) {
                    if (out.size() != 1)
                        throw new ShapeException("grad: output " + i + " has shape " + out.shapeString()
                                + "; a non-scalar output needs a seed (the gradient of some scalar with respect to it)");
                    seed = Tensor.full(out.backend(), 1f, out.shapeRef());
                } else if (!Arrays.equals(seed.shapeRef(), out.shapeRef())) {
                    throw new ShapeException("grad: seed " + i + " has shape " + seed.shapeString()
                            + " but its output has shape " + out.shapeString());
                }
                accumulate(grads, out, seed);
            }

            Tensor[] result = new Tensor[wrt.size()];
            RowSparse[] rows = new RowSparse[wrt.size()];
            for (int k = order.size() - 1; k >= 0; k--) {
                Tensor t = order.get(k);
                Tensor g = grads.remove(t);
                Lookups pending = lookups.remove(t);
                if (pending != null && g == null && rowSparse && t.node() == null && wrtIndex.containsKey(t)) {
                    // A leaf table reached only through lookups: its gradient ends here, as touched rows.
                    rows[wrtIndex.get(t)] = Indexing.scatterAllSparse(pending.grads, pending.nodes);
                    continue;
                }
                if (pending != null) {
                    Tensor s = Indexing.scatterAll(pending.grads, pending.nodes);
                    g = g == null ? s : Elementwise.add(g, s);
                }
                if (g == null) continue;
                Integer w = wrtIndex.get(t);
                if (w != null) result[w] = g;
                Node node = t.node();
                if (node == null) continue;
                boolean[] needs = new boolean[node.arity()];
                boolean any = false;
                for (int i = 0; i < needs.length; i++) any |= needs[i] = Boolean.TRUE.equals(needed.get(node.input(i)));
                if (!any) continue;
                if (Indexing.isGather(node)) {
                    lookups.computeIfAbsent(node.input(0), x -> new Lookups()).add(Indexing.lookupGradient(g, node), node);
                    continue;
                }
                Tensor[] in = node.op.rule.backward(g, node.withNeeds(needs));
                for (int i = 0; i < needs.length; i++) {
                    if (!needs[i] || in[i] == null) continue;
                    Tensor x = node.input(i);
                    if (!Arrays.equals(in[i].shapeRef(), x.shapeRef()))
                        throw new IllegalStateException("rule of " + node.op + " returned a gradient of shape " + in[i].shapeString()
                                + " for input " + i + " of shape " + x.shapeString());
                    accumulate(grads, x, in[i]);
                }
            }
            Gradient[] out = new Gradient[wrt.size()];
            for (int i = 0; i < wrt.size(); i++) {
                int first = wrtIndex.get(wrt.get(i));
                Tensor g = result[first];
                // Unused: zeros, never a crash. Listed twice: the same gradient twice.
                out[i] = rows[first] != null ? rows[first]
                        : new Gradient.Dense(g != null ? g : Tensor.zeros(wrt.get(i).backend(), wrt.get(i).shapeRef()));
            }
            return out;
        }
    }

    /** Pending lookup gradients into one table. */
    private static final class Lookups {
        final List<Tensor> grads = new ArrayList<>();
        final List<Node> nodes = new ArrayList<>();

        void add(Tensor g, Node n) {
            grads.add(g);
            nodes.add(n);
        }
    }

    private static void accumulate(Map<Tensor, Tensor> grads, Tensor t, Tensor g) {
        grads.merge(t, g, Elementwise::add);
    }

    /** Iterative DFS (graphs of long inner loops are deep): post-order and the "needed" flags. */
    private static void visit(Tensor root, Map<Tensor, Integer> wrt, Map<Tensor, Boolean> needed, List<Tensor> order) {
        if (needed.containsKey(root)) return;
        ArrayDeque<Tensor> stack = new ArrayDeque<>();
        ArrayDeque<Integer> next = new ArrayDeque<>();
        stack.push(root);
        next.push(0);
        needed.put(root, Boolean.FALSE); // placeholder: "seen"
        while (!stack.isEmpty()) {
            Tensor t = stack.peek();
            Node node = t.node();
            int i = next.pop();
            if (node != null && i < node.arity()) {
                next.push(i + 1);
                Tensor child = node.input(i);
                if (!needed.containsKey(child)) {
                    needed.put(child, Boolean.FALSE);
                    stack.push(child);
                    next.push(0);
                }
                continue;
            }
            stack.pop();
            boolean need = wrt.containsKey(t);
            if (node != null) for (int j = 0; j < node.arity(); j++) need |= needed.get(node.input(j));
            needed.put(t, need);
            order.add(t);
        }
    }
}
