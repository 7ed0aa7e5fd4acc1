#!/usr/bin/env python3
"""metarec vs PyTorch, interleaved, one table: the runner and summariser behind bench/compare.sh.

    bench/compare.py run [--quick] [--pairs 3] [--out DIR] [--no-torch REASON]
    bench/compare.py summary --out DIR          # re-print the table of an earlier run

A pair is A = the JMH runs (bench/target/benchmarks.jar, through ab.py's `run`) then B = the
PyTorch reference (bench/melu_torch.py, /usr/bin/python3), so slow drifts in the machine's load hit
both sides alike. Speeds are meta-steps per process CPU-second (one thread: holds still on a shared
machine); two-thread rows use wall-clock steps/s, since per CPU-second a second thread cannot show
as a gain. Each figure is the median over pairs of each run's median; `best ÷ best` is per pair
(best metarec mode ÷ fastest PyTorch variant), shown as median (min–max).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ab  # noqa: E402  (bench/ab.py: JMH invocation and per-run medians)

HERE = os.path.dirname(os.path.abspath(__file__))
JAR = os.path.join(HERE, "target", "benchmarks.jar")
TORCH = ["/usr/bin/python3", os.path.join(HERE, "melu_torch.py")]

# ---------------------------------------------------------------------------- constants
# Matmul floors, GFLOP per meta-step (meta-batch 32, query 10, second order), and the FMA peak of one
# core. Source: issue 10 ("What was measured"), from PyTorch's profiler (melu_torch.py's
# matmul_gflop, which each PyTorch row here re-measures) and ../shared/reference/RESULTS.md
# ("FP32 peak: 116.7 GFLOP/s per core", measured with limits.c on this 2-core Zen 4 VM).
PEAK_GFLOPS_PER_CORE = 116.7
MATMUL_GFLOP = {(20, 1): 0.213, (20, 5): 0.908, (100, 1): 0.908, (100, 5): 4.383}
# Sinusoid MAML (meta-batch 25, 1-40-40-1): 10 MFLOP per step, RESULTS.md ("Key numbers").
SINUSOID_GFLOP = 0.010


def matmul_gflop(support, inner, meta_batch):
    """Matmul FLOPs are per task, so the floor scales with the meta-batch."""
    return MATMUL_GFLOP[(support, inner)] * meta_batch / 32


# Targets (issue 10, "Targets"): one thread, every MeLU configuration, at least
# min(3 × fastest PyTorch, 60% of the matmul roofline); two threads at least 1.7× one thread at
# meta-batch >= 32; serving p99 < 2 ms and p50 >= 2× faster than PyTorch; peak RSS at (100, 5) no
# more than PyTorch's.
TORCH_FACTOR, ROOFLINE_SHARE, TWO_THREAD_GAIN = 3.0, 0.60, 1.7
# The small meta-batch of the fixed-cost measurement (stacked (20, 1), beside meta-batch 32; no row of its own).
OVERHEAD_META_BATCH = 8

# ---------------------------------------------------------------------------- the plan
JMH_COMMON = ["-p", "order=2", "-p", "backend=cpu", "-p", "execution=PER_TASK,BATCHED"]


def plan(quick):
    """(name, JMH args) and (name, meta-batch, melu_torch.py args) run in each pair, and the
    memory stage (run once, after the pairs): the (100, 5) step on its own in fresh processes."""
    # Warm-up: per-task mode needs ~8 CPU-seconds of JIT warm-up (issue 10); 2 s iterations.
    if quick:
        timing = ["-wi", "6", "-w", "2", "-i", "3", "-r", "2"]
        jmh = [("melu", ["MeluMamlBench", "-p", "support=20,100", "-p", "inner=1", "-p", "threads=1",
                         "-p", "metaBatch=32", *JMH_COMMON, *timing])]
        torch = [(f"maml-{impl}", 32, ["maml", "--impl", impl, "--support", "20", "100", "--inner", "1",
                                       "--order", "2", "--threads", "1", "--reps", "5"])
                 for impl in ("loop", "batched")]
        mem_timing = ["-wi", "2", "-w", "2", "-i", "1", "-r", "2"]
        mem_reps = "2"
    else:
        timing = ["-wi", "8", "-w", "2", "-i", "5", "-r", "2"]
        jmh = [("melu", ["MeluMamlBench", "-p", "support=20,100", "-p", "inner=1,5", "-p", "threads=1,2",
                         "-p", "metaBatch=32", *JMH_COMMON, *timing]),
               ("melu128", ["MeluMamlBench", "-p", "support=20", "-p", "inner=1", "-p", "threads=1",
                            "-p", "metaBatch=128", *JMH_COMMON, *timing]),
               ("sinusoid", ["SinusoidMamlBench", "-p", "threads=1", "-p", "backend=cpu",
                             "-p", "execution=PER_TASK,BATCHED", *timing])]
        torch = [(f"maml-{impl}", 32, ["maml", "--impl", impl, "--support", "20", "100", "--inner", "1", "5",
                                       "--order", "2", "--threads", "1", "2"]) for impl in ("loop", "batched")]
        torch += [(f"maml128-{impl}", 128, ["maml", "--impl", impl, "--meta-batch", "128", "--support", "20",
                                            "--inner", "1", "--order", "2", "--threads", "1"])
                  for impl in ("loop", "batched")]
        torch += [("sinusoid", 25, ["sinusoid", "--threads", "1"])]
        mem_timing = ["-wi", "4", "-w", "2", "-i", "2", "-r", "2"]
        mem_reps = "3"
    # The stacked (20, 1) step at meta-batch 8 beside the pair's meta-batch 32: a line through the two
    # step times, t(T) = f + c·T, gives the fixed cost per step f (issue 10: under 10% of the step).
    jmh += [("overhead", ["MeluMamlBench", "-p", "support=20", "-p", "inner=1", "-p", "threads=1",
                          "-p", f"metaBatch={OVERHEAD_META_BATCH}", "-p", "order=2", "-p", "backend=cpu", "-p", "execution=BATCHED",
                          # the stacked step warms up in a few seconds; --quick keeps its 10-minute budget
                          *(["-wi", "3", "-w", "2", "-i", "3", "-r", "2"] if quick else timing)])]
    mem_jmh = ["MeluMamlBench", "-p", "support=100", "-p", "inner=5", "-p", "threads=1", "-p", "metaBatch=32",
               *JMH_COMMON, *mem_timing]
    mem_torch = [(f"mem-{impl}", ["maml", "--impl", impl, "--support", "100", "--inner", "5", "--order", "2",
                                  "--threads", "1", "--reps", mem_reps]) for impl in ("loop", "batched")]
    return jmh, torch, mem_jmh, mem_torch


def serve_plan(quick):
    """The serving request (ServeBench / melu_torch.py serve), run in every pair: JMH args, PyTorch args."""
    timing = ["-wi", "6", "-w", "2", "-i", "3" if quick else "5", "-r", "2"]
    # The request as `metarec serve` computes it (the catalogue's item side embedded once per model)
    # beside its PyTorch twin keeping the items' embeddings the same way (--catalogue cached). Runs
    # before 2026-12-04 timed ServeBench.request, every row embedded per request on both sides.
    return ["ServeBench.requestCached$", *timing], ["serve", "--requests", "1000" if quick else "3000", "--warmup-s", "5",
                                                    "--catalogue", "cached"]


def run_torch(args, path):
    print("/usr/bin/python3 bench/melu_torch.py " + " ".join(args), file=sys.stderr, flush=True)
    with open(path, "w") as f:
        subprocess.run(TORCH + args, check=True, stdout=f)


def run_all(a):
    jmh, torch, mem_jmh, mem_torch = plan(a.quick)
    os.makedirs(a.out, exist_ok=True)
    json.dump({"quick": a.quick, "pairs": a.pairs, "no_torch": a.no_torch, "heap_mib": a.heap_mib,
               "initial_heap_mib": a.initial_heap_mib, "gc_time_ratio": a.gc_time_ratio},
              open(os.path.join(a.out, "meta.json"), "w"))
    # The memory runs' JVM gets what the launcher gives a job: its maximum heap and G1's time ratio.
    launcher = ([f"-Xmx{a.heap_mib}m"] if a.heap_mib else []) + ([f"-Xms{a.initial_heap_mib}m"] if a.initial_heap_mib else []) \
        + ([f"-XX:GCTimeRatio={a.gc_time_ratio}"] if a.gc_time_ratio else [])
    if launcher:
        mem_jmh = [*mem_jmh, "-jvmArgsAppend", " ".join(launcher)]
    for i in range(1, a.pairs + 1):
        print(f"== pair {i}/{a.pairs}: A = metarec (JMH)", file=sys.stderr, flush=True)
        serve_jmh, serve_torch = serve_plan(a.quick)
        for name, args in jmh:
            ab.run(JAR, args, os.path.join(a.out, f"a{i}-{name}.json"))
        ab.run(JAR, serve_jmh, os.path.join(a.out, f"a{i}-serve.json"))
        if not a.no_torch:
            print(f"== pair {i}/{a.pairs}: B = PyTorch", file=sys.stderr, flush=True)
            for name, _, args in torch:
                run_torch(args, os.path.join(a.out, f"b{i}-{name}.md"))
            run_torch(serve_torch, os.path.join(a.out, f"b{i}-serve.md"))
    print("== memory: (100, 5) in fresh processes", file=sys.stderr, flush=True)
    ab.run(JAR, mem_jmh, os.path.join(a.out, "mem-a.json"))
    if not a.no_torch:
        for name, args in mem_torch:
            run_torch(args, os.path.join(a.out, f"{name}.md"))
    with open("/proc/loadavg") as f:
        print(f"== load average at the end: {' '.join(f.read().split()[:3])}; raw results in {a.out}",
              file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- loading
def load_jmh(path):
    """{(bench, execution, support, inner, threads, metaBatch): (steps/cpu-s, wall ops/s, peak RSS MiB)}."""
    out = {}
    per_run = ab.load(path)  # medians of steps/cpu-s and ops/s (ab.py)
    for r in json.load(open(path)):
        p = r["params"]
        rss = r.get("secondaryMetrics", {}).get("peakRssMiB")
        peak = max(x for fork in rss["rawData"] for x in fork) if rss else None
        cpu, wall = per_run[tuple(sorted(p.items()))]
        bench = r["benchmark"].split(".")[-2]
        key = (bench, p["execution"], int(p.get("support", 0)), int(p.get("inner", 0)), int(p["threads"]),
               int(p.get("metaBatch", 25)))
        out[key] = (cpu, wall, peak)
    return out


def load_torch(path, meta_batch):
    """{(bench, impl, support, inner, threads, meta_batch): (steps/cpu-s, wall steps/s, peak RSS MiB, GFLOP)}."""
    out = {}
    for line in open(path):
        c = [x.strip() for x in line.strip().strip("|").split("|")]
        if not c or c[0] not in ("loop", "batched"):
            continue
        if len(c) == 15:  # maml: impl emb support inner order threads | 9 figures
            key = ("MeluMamlBench", c[0], int(c[2]), int(c[3]), int(c[5]), meta_batch)
        else:  # sinusoid: impl threads | 9 figures
            key = ("SinusoidMamlBench", c[0], 0, 0, int(c[1]), 25)
        wall, gflop, cpu, rss = float(c[-9]), float(c[-5]), float(c[-2]), float(c[-1])
        out[key] = (cpu, wall, rss, gflop)
    return out


def load_serving(out_dir, i, torch_ok):
    """(metarec p50, p99), (PyTorch p50, p99) in ms for pair i; None where a run is missing (an older run)."""
    a = b = None
    path = os.path.join(out_dir, f"a{i}-serve.json")
    if os.path.exists(path):
        pct = json.load(open(path))[0]["primaryMetric"]["scorePercentiles"]
        a = (pct["50.0"], pct["99.0"])
    path = os.path.join(out_dir, f"b{i}-serve.md")
    if torch_ok and os.path.exists(path):
        for line in open(path):
            c = [x.strip() for x in line.strip().strip("|").split("|")]
            if len(c) == 6 and c[0].isdigit():
                b = (float(c[1]), float(c[3]))
    return a, b


def load(out_dir):
    meta = json.load(open(os.path.join(out_dir, "meta.json")))
    jmh, torch, _, mem_torch = plan(meta["quick"])
    pairs = []
    for i in range(1, meta["pairs"] + 1):
        a, b = {}, {}
        for name, _ in jmh:
            path = os.path.join(out_dir, f"a{i}-{name}.json")
            if name != "overhead" or os.path.exists(path):  # runs before 2026-12-03 17:00 UTC had no overhead run
                a.update(load_jmh(path))
        if not meta["no_torch"]:
            for name, mb, _ in torch:
                b.update(load_torch(os.path.join(out_dir, f"b{i}-{name}.md"), mb))
        pairs.append((a, b))
    mem_a = load_jmh(os.path.join(out_dir, "mem-a.json"))
    mem_b = {} if meta["no_torch"] else {
        name: load_torch(os.path.join(out_dir, f"{name}.md"), 32) for name, _ in mem_torch}
    return meta, pairs, mem_a, mem_b


# ---------------------------------------------------------------------------- the table
def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, spec=".1f"):
    return "n/a" if x is None else format(x, spec)


def summary(out_dir):
    meta, pairs, mem_a, mem_b = load(out_dir)
    torch_ok = not meta["no_torch"]
    rows, checked, met, ratios, unchecked = [], 0, 0, [], []

    def verdict(ok, what):
        nonlocal checked, met
        if ok is None:
            unchecked.append(what)
            return "not checkable"
        checked += 1
        met += ok
        return "**yes**" if ok else "no"

    speed_keys = sorted({(k[0], k[2], k[3], k[4], k[5]) for a, _ in pairs for k in a if k[5] != OVERHEAD_META_BATCH},
                        key=lambda k: (k[0] != "MeluMamlBench", k[4], k[3], k[1], k[2]))
    for bench, support, inner, threads, mb in speed_keys:
        melu = bench == "MeluMamlBench"
        col = 0 if threads == 1 else 1  # 1 thread: steps/cpu-s; 2 threads: wall steps/s
        unit = "steps/cpu-s" if threads == 1 else "wall steps/s"
        fig = lambda side, ex, th=threads, c=col: [
            side_of(p, side).get((bench, ex, support, inner, th, mb), (None,) * 4)[c] for p in pairs]
        per_task, stacked = fig("a", "PER_TASK"), fig("a", "BATCHED")
        loop, batched = fig("b", "loop"), fig("b", "batched")
        best_a, best_b = best(per_task, stacked), best(loop, batched)
        pr = [x / y for x, y in zip(best_a, best_b) if x and y]
        bb = f"{statistics.median(pr):.2f} ({min(pr):.2f}–{max(pr):.2f})" if pr else "n/a"
        gflop = matmul_gflop(support, inner, mb) if melu else SINUSOID_GFLOP
        share = med(best_a) * gflop / (PEAK_GFLOPS_PER_CORE * threads) if med(best_a) else None
        if melu:
            name = f"MeLU ({support}, {inner}), meta-batch {mb}, {threads} thread{'s' if threads > 1 else ''}"
        else:
            name = f"sinusoid MAML, meta-batch 25, {threads} thread"
        if melu and threads == 1:
            floor = ROOFLINE_SHARE * PEAK_GFLOPS_PER_CORE / gflop
            fastest = med(best_b)
            tgt = min(TORCH_FACTOR * fastest, floor) if fastest else None
            target = (f"≥ {tgt:.1f} = min(3 × {fastest:.1f}, 60% roofline {floor:.1f})" if tgt
                      else f"≥ min(3 × PyTorch n/a, 60% roofline {floor:.1f})")
            a = med(best_a)
            ok = (a >= tgt) if tgt else (True if a and a >= floor else None)
            ok_s = verdict(ok, name + " (needs PyTorch)")
            if pr:
                ratios.append(statistics.median(pr))
        elif melu and threads == 2:
            one = best(fig("a", "PER_TASK", 1, 1), fig("a", "BATCHED", 1, 1))  # same runs, 1 thread, wall
            gain = [x / y for x, y in zip(best_a, one) if x and y]
            g = statistics.median(gain) if gain else None
            target = f"≥ 1.7 × 1 thread (wall): {fmt(g, '.2f')}×"
            ok_s = verdict(g >= TWO_THREAD_GAIN if g else None, name)
        else:
            target, ok_s = "— (none in issue 10)", "—"
            if pr:
                ratios.append(statistics.median(pr))
        rows.append([name + f" [{unit}]", fmt(med(per_task)), fmt(med(stacked)), fmt(med(loop)), fmt(med(batched)),
                     bb, f"{100 * share:.0f}%" if share else "n/a", target, ok_s])

    # Serving: one request at a time, one thread; latency in ms (lower is better), so the speed ratio
    # is PyTorch's p50 ÷ metarec's.
    serving = [load_serving(out_dir, i, torch_ok) for i in range(1, meta["pairs"] + 1)]
    sa = [a for a, _ in serving if a]
    sb = [b for _, b in serving if b]
    sr = [b[0] / a[0] for a, b in serving if a and b]
    a50, a99 = med([x[0] for x in sa]), med([x[1] for x in sa])
    b50, b99 = med([x[0] for x in sb]), med([x[1] for x in sb])
    if a50 is None:
        ok = None
    elif b50 is None:
        ok = False if a99 >= 2 else None
    else:
        ok = a99 < 2 and a50 <= b50 / 2
    if sr:
        ratios.append(statistics.median(sr))
    pair_fmt = lambda p50, p99: "n/a" if p50 is None else f"{p50:.2f} / {p99:.2f}"
    rows.append(["serving p50 / p99 ms (adapt to 10 ratings, 5 steps, score 3,706 items, their embeddings kept; 1 thread)",
                 pair_fmt(a50, a99), "—", pair_fmt(b50, b99), "—",
                 f"{statistics.median(sr):.2f} ({min(sr):.2f}–{max(sr):.2f})" if sr else "n/a", "n/a",
                 "p99 < 2 ms, p50 ≤ ½ PyTorch's", verdict(ok, "serving (no ServeBench run, or PyTorch missing)")])

    # Fixed cost per stacked step: from the (20, 1) stacked step's CPU time at meta-batch 8 and 32 in
    # each pair, f = (32·t8 − 8·t32) / 24 (the line through both), as a share of the meta-batch-32 step.
    shares, fixed_ms = [], []
    for a, _ in pairs:
        small, s32 = (a.get(("MeluMamlBench", "BATCHED", 20, 1, 1, mb), (None,))[0] for mb in (OVERHEAD_META_BATCH, 32))
        if small and s32:
            ts, t32 = 1 / small, 1 / s32
            f = (32 * ts - OVERHEAD_META_BATCH * t32) / (32 - OVERHEAD_META_BATCH)
            shares.append(f / t32)
            fixed_ms.append(1000 * f)
    share = med(shares)
    rows.append(["fixed cost per stacked step, (20, 1), 1 thread [CPU ms per step (share of the meta-batch-32 step)]", "—",
                 f"{med(fixed_ms):.1f} ({100 * share:.0f}%; {100 * min(shares):.0f}–{100 * max(shares):.0f}%)" if shares else "n/a",
                 "—", "—", "—", "—", "< 10% of the step (from meta-batch 8 and 32)",
                 verdict(share < 0.10 if shares else None, "fixed cost per stacked step (no meta-batch 8 run: an older run)")])

    rss = lambda ex: mem_a.get(("MeluMamlBench", ex, 100, 5, 1, 32), (None, None, None))[2]
    trss = lambda impl: mem_b.get(f"mem-{impl}", {}).get(("MeluMamlBench", impl, 100, 5, 1, 32), (None,) * 3)[2]
    m_pt, m_st, t_lo, t_ba = rss("PER_TASK"), rss("BATCHED"), trss("loop"), trss("batched")
    ok = (m_pt <= t_lo and m_st <= t_ba) if None not in (m_pt, m_st, t_lo, t_ba) else None
    bb = f"{min(m_pt, m_st) / min(t_lo, t_ba):.2f}" if ok is not None else "n/a"
    heap, start, ratio = meta.get("heap_mib"), meta.get("initial_heap_mib"), meta.get("gc_time_ratio")
    jvm = (f"heap at most {heap} MiB" + (f", {start} MiB at start" if start else "") + (f", GC time ratio {ratio}" if ratio else "")
           + ", as ./metarec gives") if heap else "JVM default heap"
    rows.append([f"peak RSS at (100, 5), MiB, 1 thread ({jvm})", fmt(m_pt, ".0f"), fmt(m_st, ".0f"), fmt(t_lo, ".0f"),
                 fmt(t_ba, ".0f"), bb, "—", "≤ PyTorch's (per-task ≤ loop, stacked ≤ batched)",
                 verdict(ok, "peak RSS (needs PyTorch)")])

    print(f"metarec vs PyTorch ({'--quick, ' if meta['quick'] else ''}{meta['pairs']} interleaved pairs; "
          "MeLU: second order, query 10; figures: median over pairs)\n")
    head = ["workload", "metarec per-task", "metarec stacked", "PyTorch loop", "PyTorch batched",
            "best ÷ best", "roofline share", "target", "met"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()
    if not torch_ok:
        print(f"PyTorch: n/a ({meta['no_torch']}); targets that need it are not checkable.")
    print("best ÷ best: per pair, best metarec mode ÷ fastest PyTorch variant (serving: PyTorch p50 ÷ metarec p50); "
          "median (min–max). Roofline share: "
          f"matmul floor ({', '.join(f'{k}: {v}' for k, v in MATMUL_GFLOP.items())} GFLOP/step at meta-batch 32; "
          f"issue 10) × speed ÷ {PEAK_GFLOPS_PER_CORE} GFLOP/s per core.")
    if unchecked:
        print("not checkable here: " + "; ".join(unchecked) + ".")
    print("not checked by compare.sh (issue 10 targets with no row): "
          "`train` on 1M ratings under 2 GiB; GEMM ≥ 95% of OpenBLAS (GemmBench + openblas_gemm.py).")
    if meta["quick"]:
        print("--quick: one thread, (20, 1) and (100, 1) only, 3 × 2 s measured; memory from short runs; "
              "no two-thread, meta-batch 128 or sinusoid rows.")
    print(f"targets met: {met}/{checked}")
    print(f"min ratio vs fastest PyTorch: {fmt(min(ratios) if ratios else None, '.2f')}")


def best(xs, ys):
    """Per pair, the larger of two figures (None where neither was measured)."""
    return [max((v for v in xy if v is not None), default=None) for xy in zip(xs, ys)]


def side_of(pair, side):
    return pair[0] if side == "a" else pair[1]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("cmd", choices=["run", "summary"])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--pairs", type=int, default=3)
    p.add_argument("--out", required=True)
    p.add_argument("--no-torch", default="", metavar="REASON", help="skip PyTorch (say why)")
    p.add_argument("--heap-mib", type=int, default=0, help="maximum heap of the memory runs' JVM (0: the JVM's default)")
    p.add_argument("--initial-heap-mib", type=int, default=0, help="initial heap of the memory runs' JVM (0: the JVM's default)")
    p.add_argument("--gc-time-ratio", type=int, default=0, help="G1's GC time ratio in the memory runs' JVM (0: the JVM's default)")
    a = p.parse_args()
    if a.cmd == "run":
        if a.pairs < 1:
            p.error("--pairs must be >= 1")
        run_all(a)
    summary(a.out)


if __name__ == "__main__":
    main()
