#!/usr/bin/env python3
"""Interleaved A/B runs of one JMH benchmark from two benchmark jars (A = before, B = after).

    bench/ab.py --a old.jar --b new.jar --pairs 3 --out DIR -- MeluMamlBench -p support=20,100 ...

Runs A, B, A, B, ... (each a whole JMH invocation writing DIR/a1.json, DIR/b1.json, ...), so slow
drifts in the machine's load hit both sides alike, then prints per parameter combination the median
over iterations of each run and, per pair, the ratio B / A:
  * steps per CPU-second, from the benchmark's `steps` and `cpuSeconds` secondary results
    (MeluMamlBench's CpuClock: process CPU time), which holds still on a shared machine;
  * wall-clock ops/s, the JMH score, which does not (report it for thread scaling only).
Re-summarise earlier runs without running anything: --summary-only.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

JAVA = os.path.join(os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64"), "bin", "java")


def run(jar, args, out):
    cmd = [JAVA, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-jar", jar,
           *args, "-rf", "json", "-rff", out]
    print(" ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def load(path):
    """{params tuple: (median steps per CPU-second, median ops/s)} of one run."""
    out = {}
    for r in json.load(open(path)):
        key = tuple(sorted(r["params"].items()))
        wall = [x for fork in r["primaryMetric"]["rawData"] for x in fork]
        sec = r.get("secondaryMetrics", {})
        per_cpu = None
        if "steps" in sec and "cpuSeconds" in sec:
            steps = [x for fork in sec["steps"]["rawData"] for x in fork]
            cpu = [x for fork in sec["cpuSeconds"]["rawData"] for x in fork]
            per_cpu = statistics.median(s / c for s, c in zip(steps, cpu) if c > 0)
        out[key] = (per_cpu, statistics.median(wall))
    return out


def summary(directory, pairs):
    runs = [(load(os.path.join(directory, f"a{i}.json")), load(os.path.join(directory, f"b{i}.json"))) for i in range(1, pairs + 1)]
    keys = sorted(runs[0][0].keys())
    varying = [k for k, _ in keys[0] if len({dict(key)[k] for key in keys}) > 1]
    print("| " + " | ".join(varying) + " | A steps/cpu-s | B steps/cpu-s | B/A per pair (cpu-s) | median | A ops/s | B ops/s | B/A (wall) |")
    print("|" + "---|" * (len(varying) + 7))
    for key in keys:
        d = dict(key)
        a = [r[0][key] for r in runs]
        b = [r[1][key] for r in runs]
        ratios = [y[0] / x[0] for x, y in zip(a, b) if x[0] and y[0]]
        wall = [y[1] / x[1] for x, y in zip(a, b)]
        fmt = lambda xs: "/".join(f"{v:.1f}" for v in xs)
        print("| " + " | ".join(str(d[k]) for k in varying)
              + f" | {fmt(x[0] for x in a)} | {fmt(y[0] for y in b)} | {'/'.join(f'{r:.2f}' for r in ratios)}"
              + f" | **{statistics.median(ratios):.2f}** | {fmt(x[1] for x in a)} | {fmt(y[1] for y in b)}"
              + f" | {statistics.median(wall):.2f} |")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--a", required=True, help="benchmark jar before")
    p.add_argument("--b", required=True, help="benchmark jar after")
    p.add_argument("--pairs", type=int, default=3)
    p.add_argument("--out", required=True)
    p.add_argument("--summary-only", action="store_true")
    p.add_argument("jmh", nargs=argparse.REMAINDER, help="after --: the JMH arguments")
    a = p.parse_args()
    jmh = a.jmh[1:] if a.jmh[:1] == ["--"] else a.jmh
    os.makedirs(a.out, exist_ok=True)
    if not a.summary_only:
        for i in range(1, a.pairs + 1):
            run(a.a, jmh, os.path.join(a.out, f"a{i}.json"))
            run(a.b, jmh, os.path.join(a.out, f"b{i}.json"))
    summary(a.out, a.pairs)


if __name__ == "__main__":
    main()
