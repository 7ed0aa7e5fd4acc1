package io.metarec.autograd;

import io.metarec.backend.Backend;
import io.metarec.backend.cpu.ScalarBackend;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tasks of a meta-batch run on their own threads (DESIGN §4) and may share part of the graph (θ's
 * leaves, a shared encoder's output, embedding lookups). Backward passes over a shared node from
 * several threads at once, each wanting the gradient of different inputs, must not disturb each
 * other; and graph recording is per thread.
 */
class AutogradConcurrencyTest {
    static final Backend BE = new ScalarBackend();

    /**
     * A race test, so it can only fail by chance: when Autograd kept the per-pass "which inputs need a
     * gradient" flags on the shared node, d/dx came back as zeros within the first few hundred
     * iterations in most runs on this 2-core machine.
     */
    @Test
    void concurrentBackwardPassesThroughASharedNode() throws Exception {
        float[] xs = new float[6 * 5], ws = new float[5 * 4];
        for (int i = 0; i < xs.length; i++) xs[i] = (float) Math.sin(i + 1);
        for (int i = 0; i < ws.length; i++) ws[i] = (float) Math.cos(i + 1);
        Tensor x = Tensor.of(BE, xs, 6, 5).requiringGrad(), w = Tensor.of(BE, ws, 5, 4).requiringGrad();
        Tensor h = x.matmul(w); // the shared node: one thread wants d/dx through it, the other d/dw

        float[] wantX = Autograd.grad(h.tanh().sum(), List.of(x), false).get(0).toArray();
        float[] wantW = Autograd.grad(h.square().sum(), List.of(w), false).get(0).toArray();
        assertFalse(Arrays.equals(wantX, new float[wantX.length]));

        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<String>> jobs = new ArrayList<>();
            jobs.add(pool.submit(() -> {
                for (int i = 0; i < 10_000; i++) {
                    float[] g = Autograd.grad(h.tanh().sum(), List.of(x), false).get(0).toArray();
                    if (!Arrays.equals(g, wantX)) return "d/dx wrong in iteration " + i + ": " + Arrays.toString(Arrays.copyOf(g, 4));
                }
                return null;
            }));
            jobs.add(pool.submit(() -> {
                for (int i = 0; i < 10_000; i++) {
                    float[] g = Autograd.grad(h.square().sum(), List.of(w), false).get(0).toArray();
                    if (!Arrays.equals(g, wantW)) return "d/dw wrong in iteration " + i + ": " + Arrays.toString(Arrays.copyOf(g, 4));
                }
                return null;
            }));
            for (Future<String> j : jobs) assertEquals(null, j.get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void gradModeIsPerThread() throws Exception {
        Tensor x = Tensor.of(BE, new float[] {1, 2}, 2).requiringGrad();
        try (var off = GradMode.disabled()) {
            assertFalse(x.mul(x).requiresGrad(), "no recording inside a disabled scope");
            Thread t = new Thread(() -> assertTrue(GradMode.isEnabled(), "another thread still records"));
            t.start();
            t.join();
            Tensor y = x.square().sum();
            assertFalse(y.requiresGrad());
            // grad with createGraph=true records even inside a no-grad scope, and restores the mode after
            Tensor g = Autograd.grad(x.square().sum(), List.of(x), true).get(0);
            assertFalse(g.requiresGrad(), "the loss was computed without recording: nothing to differentiate");
            assertFalse(GradMode.isEnabled(), "grad restores the caller's mode");
        }
        assertTrue(GradMode.isEnabled());
        Tensor g = Autograd.grad(x.square().sum(), List.of(x), true).get(0);
        assertTrue(g.requiresGrad(), "createGraph=true gives a differentiable gradient");
        assertArrayEquals(new float[] {2, 2}, Autograd.grad(g.sum(), List.of(x), false).get(0).toArray());
        assertFalse(Autograd.grad(x.square().sum(), List.of(x), false).get(0).requiresGrad(), "createGraph=false records nothing");
    }
}
