package io.metarec.rec.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metarec.rec.eval.Summary;
import io.metarec.rec.split.Scenario;
import io.metarec.util.TextTable;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Results of several recommenders on the evaluation scenarios: scenario → recommender → metric →
 * mean ± 95% CI over users. Prints one table per scenario; writes JSON for machines:
 * <pre>
 * {"scenarios": {"user-cold": {"maml": {"mae": 0.78, "rmse": …, "ndcg@3": …, …, "users": 532,
 *                                       "ci95": {"mae": 0.01, …}}, …}, …},
 *  "config": {…}}
 * </pre>
 * A metric a recommender cannot produce (MAE of popularity) is absent from its JSON object.
 */
public record Report(Map<Scenario, Map<String, Map<String, Summary>>> results, List<String> metrics, Map<Scenario, Integer> users) {

    /** Called as each (scenario, recommender) cell is done. */
    @FunctionalInterface
    public interface Progress {
        void done(Scenario s, String recommender);

        Progress NONE = (s, r) -> {};
    }

    public Summary get(Scenario s, String recommender, String metric) {
        return results.get(s).get(recommender).get(metric);
    }

    /** One aligned table per scenario with the given metrics (mean ± CI). */
    public void print(PrintStream out, List<String> shown) {
        for (var e : results.entrySet()) {
            Scenario s = e.getKey();
            out.printf(Locale.ROOT, "%n%s — %d users%n", s.label(), users.get(s));
            List<String> header = new ArrayList<>();
            header.add("recommender");
            header.addAll(shown);
            TextTable t = new TextTable(header.toArray(new String[0]));
            for (var r : e.getValue().entrySet()) {
                List<Object> row = new ArrayList<>();
                row.add(r.getKey());
                for (String m : shown) {
                    Summary v = r.getValue().get(m);
                    row.add(v == null ? "–" : v.format(4));
                }
                t.row(row.toArray());
            }
            out.print(t.render(""));
        }
    }

    /** The JSON document (see the class comment), with {@code config} as given. */
    public ObjectNode toJson(ObjectNode config) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        ObjectNode sc = root.putObject("scenarios");
        for (var e : results.entrySet()) {
            ObjectNode s = sc.putObject(e.getKey().label());
            for (var r : e.getValue().entrySet()) {
                ObjectNode o = s.putObject(r.getKey());
                ObjectNode ci = json.createObjectNode();
                int users = 0;
                for (var m : r.getValue().entrySet()) {
                    Summary v = m.getValue();
                    if (v.n() == 0) continue;
                    o.put(m.getKey(), v.mean());
                    if (!Double.isNaN(v.ci95())) ci.put(m.getKey(), v.ci95());
                    users = Math.max(users, v.n());
                }
                o.put("users", users);
                o.set("ci95", ci);
            }
        }
        root.set("config", config);
        return root;
    }

    /** Writes JSON atomically (temp file, then rename). */
    public static void writeJson(Path file, ObjectNode doc) throws IOException {
        io.metarec.util.AtomicFiles.write(file, tmp -> new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), doc));
    }
}
