package io.metarec.backend.cuda;

import io.metarec.backend.Backend;
import io.metarec.backend.Backends;
import io.metarec.backend.cpu.ScalarBackend;
import io.metarec.meta.LearnerConfig;
import io.metarec.meta.LossKind;
import io.metarec.meta.Maml;
import io.metarec.meta.Order;
import io.metarec.meta.Task;
import io.metarec.rec.model.Examples;
import io.metarec.rec.model.MeluModel;
import io.metarec.rec.model.RecModelsTestData;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The meta-learner on the CUDA backend (kernels run by the host harness, see EmulatedDevice):
 * second-order MAML on a MeLU-style model gives the CPU's losses, and each meta-step frees what it
 * allocated — device memory does not grow with the number of steps, stacked or per task.
 */
class LearnerOnEmulatedCudaTest {

    record Run(List<Double> losses, List<Integer> liveBlocks) {}

    static Run run(Backend be, CudaBackend cuda, LearnerConfig.Execution ex) {
        return run(be, cuda, ex, io.metarec.optim.OuterOptimizer.ADAM);
    }

    static Run run(Backend be, CudaBackend cuda, LearnerConfig.Execution ex, io.metarec.optim.OuterOptimizer outer) {
        Backend saved = Backends.current();
        try {
            Backends.use(be);
            List<Task<Examples>> pool = RecModelsTestData.tasks(8);
            var model = new MeluModel(RecModelsTestData.FIELDS, 8, new int[] {16, 16}, LossKind.MSE, 3f);
            var cfg = LearnerConfig.defaults().withInnerSteps(2).withInnerLr(0.01f).withOrder(Order.SECOND_ORDER)
                    .withAdaptedGroups(List.of("mlp")).withExecution(ex).withOuterOptimizer(outer);
            Maml<Examples> maml = new Maml<>(model, cfg);
            List<Double> losses = new ArrayList<>();
            List<Integer> live = new ArrayList<>();
            for (int s = 0; s < 5; s++) {
                losses.add(maml.metaStep(pool.subList(4 * (s % 2), 4 * (s % 2) + 4)).loss());
                if (cuda != null) live.add(cuda.heap().liveBlocks());
            }
            return new Run(losses, live);
        } finally {
            Backends.use(saved);
        }
    }

    @Test
    void mamlOnCudaMatchesTheCpuAndFreesEachStep() {
        var harness = KernelHarness.get();
        assumeTrue(harness.isPresent(), "no C++ compiler for the kernel harness");
        for (LearnerConfig.Execution ex : List.of(LearnerConfig.Execution.BATCHED, LearnerConfig.Execution.PER_TASK)) {
            CudaBackend cuda = new CudaBackend(new EmulatedDevice(harness.get(), 1, 3));
            Run cpu = run(new ScalarBackend(), null, ex), gpu = run(cuda, cuda, ex);
            for (int i = 0; i < cpu.losses().size(); i++)
                assertEquals(cpu.losses().get(i), gpu.losses().get(i), 1e-4 * Math.abs(cpu.losses().get(i)), ex + " step " + i);
            // After the first step (Adam's moments appear), the live block count is flat.
            for (int i = 2; i < gpu.liveBlocks().size(); i++)
                assertEquals(gpu.liveBlocks().get(1), gpu.liveBlocks().get(i), ex + ": device blocks after each step " + gpu.liveBlocks());
            assertTrue(gpu.liveBlocks().get(1) > 0);
        }
    }

    /** Lazy Adam writes its touched rows back into fresh parameters and moments that outlive the step's scope. */
    @Test
    void lazyAdamOnCudaMatchesTheCpuAndFreesEachStep() {
        var harness = KernelHarness.get();
        assumeTrue(harness.isPresent(), "no C++ compiler for the kernel harness");
        for (LearnerConfig.Execution ex : List.of(LearnerConfig.Execution.BATCHED, LearnerConfig.Execution.PER_TASK)) {
            CudaBackend cuda = new CudaBackend(new EmulatedDevice(harness.get(), 1, 3));
            Run cpu = run(new ScalarBackend(), null, ex, io.metarec.optim.OuterOptimizer.LAZY_ADAM);
            Run gpu = run(cuda, cuda, ex, io.metarec.optim.OuterOptimizer.LAZY_ADAM);
            for (int i = 0; i < cpu.losses().size(); i++)
                assertEquals(cpu.losses().get(i), gpu.losses().get(i), 1e-4 * Math.abs(cpu.losses().get(i)), ex + " step " + i);
            for (int i = 2; i < gpu.liveBlocks().size(); i++)
                assertEquals(gpu.liveBlocks().get(1), gpu.liveBlocks().get(i), ex + ": device blocks after each step " + gpu.liveBlocks());
        }
    }
}
