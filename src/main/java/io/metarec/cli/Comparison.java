package io.metarec.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metarec.rec.train.Experiment;
import io.metarec.rec.train.RecConfig;
import io.metarec.rec.train.Recommender;
import io.metarec.rec.train.Report;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Trains several learners on one experiment and evaluates them with the baselines: what compare and demo run. */
final class Comparison {
    private Comparison() {}

    /** The report, the configuration as JSON, and the rows of the meta-learners (the pretrained model's global and fine-tuned rows are references). */
    record Result(Report report, ObjectNode config, List<String> learners) {}

    /** Trains each algorithm for each model family (in that order) and evaluates all with the baselines. */
    static Result run(Experiment e, RecConfig base, List<String> models, List<String> algos, boolean baselines, boolean catalogue, PrintStream out,
                      boolean quiet) {
        List<Recommender> recs = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = json.createObjectNode();
        config.set("base", json.valueToTree(base));
        ArrayNode trained = config.putArray("trained");
        List<String> learners = new ArrayList<>();
        for (String model : models)
            for (String algo : algos) {
                RecConfig c = base.withModel(model).withAlgo(algo);
                List<Recommender> made = e.recommenders(train(e, c, trained, out, quiet));
                if (c.kind() != io.metarec.meta.LearnerKind.PRETRAINED) for (Recommender r : made) learners.add(r.name());
                recs.addAll(made);
            }
        if (baselines) recs.addAll(baselines(e, config, out));
        out.println("evaluating " + recs.size() + " recommenders on " + e.split().tasks(io.metarec.rec.split.Scenario.WARM).size() + " + "
                + e.split().tasks(io.metarec.rec.split.Scenario.USER_COLD).size() + " + " + e.split().tasks(io.metarec.rec.split.Scenario.ITEM_COLD).size()
                + " + " + e.split().tasks(io.metarec.rec.split.Scenario.USER_ITEM_COLD).size() + " users…");
        Report r = e.evaluate(recs, catalogue, Report.Progress.NONE);
        config.put("split", e.split().description());
        config.put("dataset", e.data().name());
        return new Result(r, config, List.copyOf(learners));
    }

    /** Before any training: refuses the comparison if one of its learners cannot fit in the heap ({@link TrainCommand#memoryCheck}). */
    static void memoryCheck(Experiment e, RecConfig base, List<String> models, List<String> algos) {
        for (String model : models)
            for (String algo : algos) {
                RecConfig c = base.withModel(model).withAlgo(algo);
                TrainCommand.memoryCheck(model.equals("melu") ? algo : model + "-" + algo, c, e, e.newLearner(c));
            }
    }

    /** Trains {@code c} on the experiment with progress on stderr (unless quiet), prints one line about it and records it in {@code trained}. */
    static Experiment.Trained train(Experiment e, RecConfig c, ArrayNode trained, PrintStream out, boolean quiet) {
        String label = c.model().equals("melu") ? c.algo() : c.model() + "-" + c.algo();
        Experiment.Trained t;
        try (Progress p = new Progress(label, quiet)) {
            t = e.train(c, p);
        }
        out.printf(Locale.ROOT, "%s: %d epochs in %.0f s, best epoch %d (validation loss %.4f)%s%n", label, t.history().epochs().size(),
                t.seconds(), t.history().bestEpoch(), t.history().bestValidationLoss(), t.history().stoppedEarly() ? ", stopped early" : "");
        if (t.history().diverged()) out.println(label + ": note: " + TrainCommand.divergenceNote(t));
        ObjectNode o = trained.addObject();
        o.put("algo", c.algo());
        o.put("model", c.model());
        o.put("epochs", t.history().epochs().size());
        o.put("best_epoch", t.history().bestEpoch());
        o.put("validation_loss", t.history().bestValidationLoss());
        o.put("seconds", t.seconds());
        return t;
    }

    /** The experiment's baselines; prints and records in {@code config.baselines} what the fitted ones chose. */
    static List<Recommender> baselines(Experiment e, ObjectNode config, PrintStream out) {
        List<Recommender> recs = e.baselines();
        ObjectNode chosen = config.putObject("baselines");
        for (Recommender r : recs) {
            if (r.description().isEmpty()) continue;
            out.println(r.name() + ": " + r.description());
            chosen.put(r.name(), r.description());
        }
        return recs;
    }

    static void write(Result r, Path json, Path plot, List<String> chartMetrics, PrintStream out) throws IOException {
        if (json != null) {
            Report.writeJson(json, r.report().toJson(r.config()));
            out.println("results written to " + json);
        }
        if (plot != null) {
            Charts.comparison(r.report(), chartMetrics, plot);
            out.println("chart written to " + plot);
        }
    }
}
