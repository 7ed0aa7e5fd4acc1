#!/usr/bin/env bash
# metarec vs PyTorch in one command (issue 10, "bench/compare.sh"):
#
#   bench/compare.sh [--quick] [--pairs N] [--out DIR]
#   bench/compare.sh --summary DIR        # re-print the table of an earlier run
#
# 1. builds bench/target/benchmarks.jar (offline Maven; MVN_OFFLINE= to allow downloads);
# 2. checks for PyTorch (Debian's python3-torch on OpenBLAS, /usr/bin/python3);
# 3. runs N >= 3 interleaved pairs, A = metarec's JMH benchmarks, B = bench/melu_torch.py
#    (A, B, A, B, ...), then the peak-memory runs at (100, 5), metarec's with the launcher's heap;
# 4. prints one table (bench/compare.py) ending in exactly two lines:
#    `targets met: X/Y` and `min ratio vs fastest PyTorch: R`.
# Full run: about 50 minutes on a 2-core machine; --quick (one thread, (20, 1) and (100, 1)): about 10.
# Raw results stay in DIR (default runs/compare-<UTC time>).
set -euo pipefail
cd "$(dirname "$0")/.."

export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
export PATH="$JAVA_HOME/bin:$PATH"
PY="${PYTHON:-/usr/bin/python3}"
[ -x "$PY" ] || PY=python3

quick=() pairs=3 out="runs/compare-$(date -u +%Y%m%dT%H%M%SZ)"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=(--quick) ;;
    --pairs) pairs="$2"; shift ;;
    --out) out="$2"; shift ;;
    --summary) exec "$PY" bench/compare.py summary --out "$2" ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "compare.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$pairs" -lt 3 ]; then echo "compare.sh: --pairs must be at least 3" >&2; exit 2; fi

echo "== build bench/target/benchmarks.jar" >&2
mvn -q -B -Dstyle.color=never ${MVN_OFFLINE--o} -f bench/pom.xml package -DskipTests >&2

no_torch=()
if ! "$PY" -c 'import torch' 2>/dev/null; then
  reason="PyTorch is not installed for $PY (apt-get install python3-torch python3-numpy libopenblas0-openmp)"
  echo "compare.sh: $reason: PyTorch columns will read n/a" >&2
  no_torch=(--no-torch "$reason")
elif command -v update-alternatives >/dev/null &&
     ! update-alternatives --query libblas.so.3-x86_64-linux-gnu 2>/dev/null | grep -q '^Value: .*openblas'; then
  echo "compare.sh: WARNING: libblas.so.3 is not OpenBLAS: PyTorch runs on reference BLAS, ~16x slower GEMM" >&2
fi

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load average $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -1)" >&2
# The memory runs get what `./metarec` gives its JVM (docs/cli.md, "Memory"): the heap (half the
# machine's memory, at most 2 GiB, not the JVM's own default of a quarter, which G1 then fills), its
# start (64 MiB, not the JVM's 64th of the memory) and G1's GC time ratio. What a user's job gets.
info=$(./metarec info 2>/dev/null || true)
heap=$(sed -n 's/^heap: *\([0-9]*\) MiB.*/\1/p' <<<"$info")
start=$(sed -n 's/^heap:.*, \([0-9]*\) MiB at start.*/\1/p' <<<"$info")
ratio=$(sed -n 's/^gc:.*; time ratio \([0-9]*\) .*/\1/p' <<<"$info")
heap_arg=()
if [ -n "$heap" ]; then heap_arg=(--heap-mib "$heap"); else echo "compare.sh: WARNING: no heap from ./metarec info: memory runs use the JVM's default heap" >&2; fi
if [ -n "$start" ]; then heap_arg+=(--initial-heap-mib "$start"); fi
if [ -n "$ratio" ]; then heap_arg+=(--gc-time-ratio "$ratio"); fi

"$PY" bench/compare.py run "${quick[@]}" --pairs "$pairs" --out "$out" "${no_torch[@]}" "${heap_arg[@]}"
