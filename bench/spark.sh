#!/usr/bin/env bash
# Meta-steps per second on Spark local[1] / local[2] against the plain trainer (bench/SparkBench.java;
# figures in docs/spark.md). Builds the jar, resolves Spark's jars once (target/spark.classpath, as
# the launcher does for --spark) and runs the benchmark with the JVM flags of ./metarec.
#   bench/spark.sh [--users N] [--items N] [--batches 32,256] [--steps N] [--warmup N] [--more-partitions 8,…]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/metarec" --version >/dev/null # builds target/metarec.jar when stale, finds the JDK
JAVA_HOME="${JAVA_HOME:-$(ls -d /usr/lib/jvm/*25* | head -1)}"
CP="$ROOT/target/spark.classpath"
if [ ! -s "$CP" ] || [ "$ROOT/pom.xml" -nt "$CP" ]; then
  mvn -q -B -f "$ROOT/pom.xml" dependency:build-classpath -Dmdep.includeScope=compile -Dmdep.outputFile="$CP" >/dev/null
fi
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}" # local mode: no warning about the host name
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED \
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED -Xmx8g ${METAREC_JAVA_OPTS:-} \
  -cp "$ROOT/target/metarec.jar:$(cat "$CP")" "$ROOT/bench/SparkBench.java" "$@"
