package io.metarec.cli;

import picocli.CommandLine.Option;

/** Running a command on Apache Spark (docs/spark.md): the master and the partitions. */
public final class SparkOptions {
    @Option(names = "--spark", arity = "0..1", fallbackValue = "", paramLabel = "MASTER",
            description = "run on Apache Spark: local[N] (N threads on this machine), spark://HOST:PORT, yarn, k8s://…; "
                    + "without a value, the master spark-submit set (see docs/spark.md)")
    String master;

    @Option(names = "--partitions", paramLabel = "N", description = "with --spark: partitions (default: Spark's default parallelism, its task slots)")
    Integer partitions;

    /** Whether the command runs on Spark. */
    boolean on() {
        return master != null;
    }

    /** Fails (exit 2) on options given without --spark, and when Spark's classes are not on the classpath. */
    void check(String... sparkOnly) {
        if (partitions != null && partitions < 1) throw new IllegalArgumentException("--partitions must be at least 1, got " + partitions);
        if (!on()) {
            if (partitions != null) throw new IllegalArgumentException("--partitions needs --spark");
            for (String o : sparkOnly) if (o != null) throw new IllegalArgumentException(o + " needs --spark");
            return;
        }
        try {
            Class.forName("org.apache.spark.SparkContext", false, SparkOptions.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalArgumentException("--spark: Apache Spark is not on the classpath; run through ./metarec (it adds Spark's jars) or spark-submit (docs/spark.md)");
        }
    }
}
