package io.metarec.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metarec.cli.Main;
import io.metarec.rec.data.Synthetic;
import io.metarec.rec.data.SyntheticConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CLI on Spark, end to end (not in the default suite; {@code ./metarec test -Dtest=SparkCliChecks}):
 * {@code train --spark local[2]} writes a model that evaluates exactly as the one trained without
 * Spark, and {@code evaluate --spark local[2]} writes the single machine's JSON and a top-k CSV.
 */
class SparkCliChecks {
    @TempDir Path dir;

    @Test void trainAndEvaluateOnSparkGiveTheSingleMachinesResults() throws Exception {
        Path data = dir.resolve("data");
        Synthetic.write(SyntheticConfig.of(300, 200, 7), data, false);
        String[] small = {"--data", data.toString(), "--embedding-dim", "8", "--hidden", "16,16", "--epochs", "2", "--meta-batch", "16", "--quiet"};
        Path one = dir.resolve("one.metarec"), many = dir.resolve("many.metarec");
        assertEquals(0, Main.run(concat(small, "train", "-o", one.toString())));
        assertEquals(0, Main.run(concat(small, "train", "-o", many.toString(), "--spark", "local[2]", "--partitions", "3")));
        Path j1 = dir.resolve("one.json"), j2 = dir.resolve("many.json"), j3 = dir.resolve("spark.json"), csv = dir.resolve("top.csv");
        assertEquals(0, Main.run("evaluate", "--model", one.toString(), "--data", data.toString(), "--json", j1.toString()));
        assertEquals(0, Main.run("evaluate", "--model", many.toString(), "--data", data.toString(), "--json", j2.toString()));
        assertEquals(0, Main.run("evaluate", "--model", one.toString(), "--data", data.toString(), "--json", j3.toString(), "--spark", "local[2]",
                "--recommendations", csv.toString(), "--top-k", "3"));
        ObjectMapper m = new ObjectMapper();
        JsonNode a = m.readTree(j1.toFile()), b = m.readTree(j2.toFile());
        assertEquals(a.path("scenarios"), b.path("scenarios"), "the model trained on Spark evaluates as the single machine's");
        assertEquals(Files.readString(j1), Files.readString(j3), "evaluate --spark writes the single machine's JSON");
        var lines = Files.readAllLines(csv);
        assertEquals("scenario,recommender,user,rank,item,score", lines.get(0));
        int users = 0;
        for (var s : a.path("scenarios")) users += s.path("maml").path("users").asInt(0);
        assertTrue(lines.stream().skip(1).allMatch(l -> l.split(",").length == 6), "six columns");
        long listed = lines.stream().skip(1).map(l -> l.split(",")[0] + "," + l.split(",")[2]).distinct().count();
        assertEquals(users, listed, "a top-k list for every evaluated user of every scenario");
        assertTrue(lines.stream().skip(1).allMatch(l -> Integer.parseInt(l.split(",")[3]) <= 3), "at most k per user");
    }

    static String[] concat(String[] options, String... command) {
        String[] r = java.util.Arrays.copyOf(command, command.length + options.length);
        System.arraycopy(options, 0, r, command.length, options.length);
        return r;
    }
}
