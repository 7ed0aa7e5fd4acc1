package io.metarec.cli;

import io.metarec.meta.LearnerConfig;
import io.metarec.meta.LearnerKind;
import io.metarec.optim.OuterOptimizer;
import io.metarec.rec.train.RecConfig;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Learner names come from LearnerKind everywhere; enum-like options accept any case and dashes or underscores. */
class OptionHygieneTest extends CapturedCli {

    @Test
    void helpListsTheLearnersThatRun() {
        for (String command : new String[] {"train", "compare", "demo", "sinusoid"}) {
            assertEquals(0, run(command, "--help"));
            String help = out.toString().replaceAll("\\s+", " ");
            for (LearnerKind k : LearnerKind.all())
                assertTrue(help.contains(k.cliName()), command + " --help misses " + k.cliName() + ":\n" + out);
            assertTrue(help.contains(String.join(", ", LearnerKind.names())), command + ": in table order:\n" + out);
        }
        assertEquals(0, run("train", "--help"));
        assertTrue(out.toString().contains("(default: " + LearnerKind.DEFAULT.cliName() + ")"), out.toString());
        assertEquals(0, run("demo", "--help"));
        assertTrue(out.toString().replaceAll("\\s+", "").contains("(default:" + String.join(",", LearnerKind.names(LearnerKind.QUICK)) + ")"),
                out.toString());
    }

    @Test
    void learnerNamesAreCaseInsensitiveAndStoredInOneSpelling() {
        assertEquals("metalstm", RecConfig.defaults().withAlgo("MetaLSTM").algo());
        assertEquals(LearnerKind.LEO, RecConfig.defaults().withAlgo(" leo ").kind());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RecConfig.defaults().withAlgo("magic"));
        assertTrue(e.getMessage().contains(String.join(", ", LearnerKind.names())), e.getMessage());
    }

    @Test
    void executionModesAcceptAnyCaseDashesAndUnderscores() {
        for (String s : new String[] {"per-task", "PER_TASK", "per_task", "Per-Task", " PER-TASK "})
            assertEquals(LearnerConfig.Execution.PER_TASK, RecOptions.execution(s), s);
        assertEquals(LearnerConfig.Execution.BATCHED, RecOptions.execution("BATCHED"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RecOptions.execution("threads"));
        assertTrue(e.getMessage().startsWith("--execution: ") && e.getMessage().contains("per-task, batched, auto"), e.getMessage());
    }

    @Test
    void outerOptimizerIsAdamUnlessAskedAndListedInTheHelp() {
        assertEquals(OuterOptimizer.ADAM, RecConfig.defaults().outerOptimizer());
        RecOptions o = new RecOptions();
        o.preset = "default";
        assertEquals(OuterOptimizer.ADAM, o.config(null).outerOptimizer());
        o.outerOptimizer = "Lazy_Adam";
        assertEquals(OuterOptimizer.LAZY_ADAM, o.config(null).outerOptimizer());
        assertEquals(OuterOptimizer.LAZY_ADAM, o.config(null).learnerConfig().outerOptimizer(), "the learner gets it");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RecOptions.outerOptimizer("sgd"));
        assertTrue(e.getMessage().startsWith("--outer-optimizer: ") && e.getMessage().contains("adam, lazy-adam"), e.getMessage());
        assertEquals(0, run("train", "--help"));
        assertTrue(out.toString().replaceAll("\\s+", " ").contains("--outer-optimizer=KIND adam, lazy-adam:"), out.toString());
    }

    @Test
    void stackSizeIsAutomaticUnlessAskedReachesTheLearnerAndIsChecked() {
        assertEquals(LearnerConfig.AUTO_STACK, RecConfig.defaults().stackSize());
        RecOptions o = new RecOptions();
        o.preset = "default";
        assertEquals(LearnerConfig.AUTO_STACK, o.config(null).learnerConfig().stackSize());
        o.stackSize = 4;
        assertEquals(4, o.config(null).stackSize());
        assertEquals(4, o.config(null).learnerConfig().stackSize(), "the learner gets it");
        o.stackSize = -1;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> o.config(null));
        assertTrue(e.getMessage().startsWith("--stack-size: ") && e.getMessage().contains("-1"), e.getMessage());
        assertEquals(2, run("train", "--data", "nowhere", "--stack-size", "-3"));
        assertTrue(err.toString().contains("--stack-size: stack size must be in 0..") && err.toString().lines().count() == 1, err.toString());
        // every option RecConfig checks is named the same way
        assertEquals(2, run("train", "--data", "nowhere", "--meta-batch", "0"));
        assertTrue(err.toString().contains("--meta-batch: meta-batch must be in 1..") && err.toString().lines().count() == 1, err.toString());
        assertEquals("--embedding-dim", RecOptions.flagOf("embeddingDim"));
        assertNull(RecOptions.flagOf("algo"), "train's --algo is not a RecOptions option: the message stays as it is");
        assertEquals(0, run("train", "--help"));
        assertTrue(out.toString().replaceAll("\\s+", " ").contains("--stack-size=N with batched execution"), out.toString());
    }

    @Test
    void sinusoidTakesTheSameSpellingsAsTrain() {
        for (String mode : new String[] {"per-task", "PER_TASK", "batched"}) {
            assertEquals(0, run("sinusoid", "--algo", "fomaml", "--iterations", "1", "--test-tasks", "2", "--meta-batch", "2", "--quiet",
                    "--execution", mode), mode + ": " + err);
        }
        assertEquals(2, run("sinusoid", "--algo", "fomaml", "--iterations", "1", "--quiet", "--execution", "sideways"));
        assertTrue(err.toString().contains("--execution") && err.toString().contains("per-task"), err.toString());
        assertEquals(2, run("sinusoid", "--algo", "MAML,nope", "--iterations", "1", "--quiet"));
        assertTrue(err.toString().contains("unknown algorithm 'nope'") && err.toString().contains("or all"), err.toString());
    }

    @Test
    void otherNamedValuesAreCaseInsensitiveToo() {
        assertEquals(io.metarec.rec.train.Feedback.Kind.IMPLICIT, io.metarec.rec.train.Feedback.parseKind("Implicit"));
        assertEquals(io.metarec.rec.data.SyntheticConfig.Profile.FEATURES, io.metarec.rec.data.SyntheticConfig.Profile.parse("FEATURES"));
        assertEquals("cpu-scalar", io.metarec.backend.Backends.select("CPU_SCALAR").name());
    }
}
