#!/usr/bin/env bash
# The CUDA backend's check on a GPU machine, in under five minutes, ending with a summary table:
#   1. CUDA parity tests: every kernel against the scalar oracle at awkward sizes, all GEMM
#      transposes and tiles, second-order MAML meta-gradients vs the CPU (1e-4), the golden cases
#      (GpuCudaParityTest, CudaAvailabilityTest);
#   2. ./metarec verify --backend cuda;
#   3. JMH: CudaGemmBench (Backend.gemm, cpu vs cuda) and MeluMamlBench (one second-order MAML
#      meta-step of the MeLU workload, cpu vs cuda vs cuda-host-only — the host's share of the
#      CUDA step —, 32 and 1024 tasks; skipped with a note while that benchmark is not in bench/);
#   4. the same MAML workload in PyTorch on the same GPU (melu_torch.py maml --device cuda,
#      --impl loop|batched, --meta-batch 32|1024).
#
# The GPU machine is offline and may have neither Maven nor a JDK 25, so the work is split:
#   bench/gpu-check.sh --prepare   on a machine with Maven: stages everything in device/ (git-ignored):
#                                  classes and test classes, dependency jars, the JUnit console,
#                                  JMH and the compiled benchmarks, a jlink'ed JDK 25 (jdk.tar.xz)
#                                  and a copy of ../shared/reference/melu_torch.py (about 50 MB)
#   bench/gpu-check.sh             on the GPU machine, from the repository root, with device/ carried
#   bench/gpu-check.sh --profile   there too: where a CUDA MAML meta-step's time goes, per kernel
# Results (logs, JMH JSON, summary.md) go to device/out; where $OUT is set (the device tool, which
# brings back at most 8 files), summary.md, parity.txt and all of it as gpu-check.tgz go there too.
# GPU_CHECK_QUICK=1 shortens every JMH run (for trying the script out).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEV="$ROOT/device"
JVM_FLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED)

# A java of version 25 or newer: JAVA_HOME, /usr/lib/jvm, the PATH, else (unless $1 = no-bundled)
# the runtime carried in device/jdk.tar.xz, unpacked once into $TMPDIR.
find_java() {
  local c v
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/*25* "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")"; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] || continue
    v="$("$c/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
    if [ -n "$v" ] && [ "${v%%.*}" -ge 25 ] 2>/dev/null; then echo "$c/bin/java"; return 0; fi
  done
  if [ "${1:-}" != no-bundled ] && [ -f "$DEV/jdk.tar.xz" ]; then
    local to="${TMPDIR:-/tmp}/metarec-jdk"
    [ -x "$to/jdk/bin/java" ] || { mkdir -p "$to" && tar -C "$to" -xJf "$DEV/jdk.tar.xz"; }
    echo "$to/jdk/bin/java"; return 0
  fi
  return 1
}

# ------------------------------------------------------------------------------------ prepare
prepare() {
  set -e
  cd "$ROOT"
  local java jdk
  java="$(find_java no-bundled)" || { echo "gpu-check --prepare: needs a JDK 25 (set JAVA_HOME)" >&2; exit 2; }
  jdk="$(dirname "$(dirname "$java")")"
  [ -x "$jdk/bin/jlink" ] || { echo "gpu-check --prepare: $jdk has no jlink: needs a full JDK 25" >&2; exit 2; }
  export JAVA_HOME="$jdk" MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
  rm -rf "$DEV/classes" "$DEV/test-classes" "$DEV/lib" "$DEV/console" "$DEV/jmh" "$DEV/bench-classes" "$DEV/out"
  mkdir -p "$DEV/lib" "$DEV/console" "$DEV/jmh" "$DEV/bench-classes" "$DEV/reference"
  echo "gpu-check: compiling (mvn test-compile)"
  mvn -q -B test-compile
  cp -r target/classes "$DEV/classes"
  cp -r target/test-classes "$DEV/test-classes"
  # runtime scope only: the CUDA tests need JUnit alone, which the console launcher bundles, and the
  # test scope's Spark, Selenium and jqwik (about 260 MB) would not fit the 64 MiB a device run carries
  mvn -q -B dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$DEV/lib"
  local v
  v="$(sed -n 's:.*<junit.version>\(.*\)</junit.version>.*:\1:p' pom.xml | head -1)"
  v="1.${v#5.}" # JUnit 5.x.y ships platform 1.x.y
  mvn -q -B dependency:copy -Dartifact="org.junit.platform:junit-platform-console-standalone:$v" -DoutputDirectory="$DEV/console"
  for a in org.openjdk.jmh:jmh-core:1.37 org.openjdk.jmh:jmh-generator-annprocess:1.37 net.sf.jopt-simple:jopt-simple:5.0.4 \
           org.apache.commons:commons-math3:3.6.1; do
    mvn -q -B dependency:copy -Dartifact="$a" -DoutputDirectory="$DEV/jmh"
  done
  echo "gpu-check: compiling the benchmarks in bench/src (javac + the JMH annotation processor)"
  local jmhcp; jmhcp="$(ls "$DEV"/jmh/*.jar | tr '\n' ':')"
  "$JAVA_HOME/bin/javac" --add-modules jdk.incubator.vector -Xlint:-options -nowarn -d "$DEV/bench-classes" \
      -cp "$DEV/classes:$DEV/lib/*:$jmhcp" -processorpath "$jmhcp" $(find bench/src/main/java -name '*.java') 2>&1 | grep -v incubator || true
  rm -f "$DEV"/jmh/jmh-generator-annprocess-*.jar
  local shared="${METAREC_SHARED:-$ROOT/../shared}"
  [ -d "$shared/reference" ] || shared=/work/shared
  cp "$shared/reference/melu_torch.py" "$DEV/reference/"
  if [ ! -f "$DEV/jdk.tar.xz" ] || [ "$JAVA_HOME/release" -nt "$DEV/jdk.tar.xz" ]; then
    echo "gpu-check: jlink'ing a JDK 25 runtime into device/jdk.tar.xz"
    local tmp; tmp="$(mktemp -d)"
    "$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,java.management,jdk.management,jdk.unsupported,jdk.incubator.vector,java.xml,java.naming,java.sql,jdk.zipfs \
        --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output "$tmp/jdk" 2>&1 | grep -v incubator || true
    tar -C "$tmp" -cJf "$DEV/jdk.tar.xz" jdk
    rm -rf "$tmp"
  fi
  git -C "$ROOT" log -1 --format='commit %h %s' > "$DEV/PREPARED"
  date -u >> "$DEV/PREPARED"
  echo "gpu-check: device/ is ready ($(du -sh "$DEV" | cut -f1)); on the GPU machine run bench/gpu-check.sh with device/ carried"
}

# ------------------------------------------------------------------------------------ run
stage() { echo; echo "==== $* ($(date +%T), ${SECONDS}s)"; }

# What run and profile share: device/ prepared, a fresh device/out, a java 25; sets out, java, cp, benchcp.
begin() {
  cd "$ROOT"
  [ -d "$DEV/classes" ] || { echo "gpu-check: device/ is not prepared: run bench/gpu-check.sh --prepare first (where Maven works)" >&2; exit 2; }
  out="$DEV/out"; rm -rf "$out"; mkdir -p "$out"
  java="$(find_java)" || { echo "gpu-check: no JDK 25 found and no device/jdk.tar.xz" >&2; exit 2; }
  cp="$DEV/classes:$DEV/lib/*" benchcp="$DEV/bench-classes:$DEV/classes:$DEV/lib/*:$DEV/jmh/*"
}

run() {
  begin
  local quick="${GPU_CHECK_QUICK:-0}" jmh_time=(-wi 2 -w 1s -i 3 -r 1s -f 1)
  [ "$quick" = 1 ] && jmh_time=(-wi 0 -i 1 -r 200ms -f 1)
  local py; py="$(command -v python3 || command -v python || true)"

  stage "machine"
  cat "$DEV/PREPARED" 2>/dev/null
  nvidia-smi > "$out/nvidia-smi.txt" 2>&1
  { command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || echo "no nvidia-smi"; } | head -4 | tee "$out/gpu.txt"
  "$java" -version 2>&1 | head -1
  # JCublas 12.6 links libcublas.so.12: use a CUDA 12 cuBLAS if one is installed (PyTorch wheels often ship it)
  local cublas=""
  if [ -n "$py" ]; then
    cublas="$("$py" - <<'PY' 2>/dev/null
import glob, os, site
dirs = site.getsitepackages() + [site.getusersitepackages()]
hits = [h for d in dirs for h in glob.glob(os.path.join(d, "nvidia", "**", "libcublas.so.12"), recursive=True)]
print(os.path.dirname(hits[0]) if hits else "")
PY
)"
  fi
  if [ -z "$cublas" ]; then
    cublas="$(ls -d /usr/local/cuda*/lib64/libcublas.so.12 /usr/local/cuda*/targets/x86_64-linux/lib/libcublas.so.12 2>/dev/null | head -1)"
    cublas="${cublas:+$(dirname "$cublas")}"
  fi
  [ -n "$cublas" ] && export LD_LIBRARY_PATH="$cublas${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" && echo "cuBLAS 12 from $cublas"
  # JCuda's driver binding dlopens libcuda.so.1: where the loader's cache does not list the driver's
  # folder (a container mounting it at /usr/local/nvidia, say), add that folder
  if ! ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1 '; then
    local drv; drv="$(ls /usr/local/nvidia/lib64/libcuda.so.1 /usr/local/nvidia/lib/libcuda.so.1 /usr/lib/x86_64-linux-gnu/libcuda.so.1 /usr/lib64/libcuda.so.1 2>/dev/null | head -1)"
    [ -n "$drv" ] && export LD_LIBRARY_PATH="$(dirname "$drv")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" && echo "driver from $(dirname "$drv")"
  fi
  { echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"; ldconfig -p 2>/dev/null | grep -E 'libcuda\.so|libcublas\.so' ;
    ls /usr/local/cuda*/lib64/libcublas.so* 2>/dev/null; } > "$out/libraries.txt"
  "$java" "${JVM_FLAGS[@]}" -cp "$cp" io.metarec.cli.Main info --backend auto 2>&1 | tee "$out/info.txt" | grep -E "cuda|selected|self-check"

  stage "1. CUDA parity tests"
  timeout 120 "$java" "${JVM_FLAGS[@]}" -Xss8m -cp "$DEV/console/*:$DEV/test-classes:$cp" org.junit.platform.console.ConsoleLauncher \
      execute --disable-banner --details=tree --select-class io.metarec.backend.cuda.GpuCudaParityTest \
      --select-class io.metarec.backend.cuda.CudaAvailabilityTest --select-class io.metarec.backend.cuda.KernelCatalogTest \
      > "$out/parity.txt" 2>&1
  echo "exit $?" >> "$out/parity.txt"
  grep -E "tests (successful|failed|skipped|aborted)|✘|skipped|aborted" "$out/parity.txt" | head -20

  stage "2. metarec verify --backend cuda"
  timeout 60 "$java" "${JVM_FLAGS[@]}" -cp "$cp" io.metarec.cli.Main verify --backend cuda > "$out/verify.txt" 2>&1
  echo "exit $?" >> "$out/verify.txt"
  tail -3 "$out/verify.txt"

  stage "3a. JMH CudaGemmBench (cpu vs cuda)"
  timeout 110 "$java" "${JVM_FLAGS[@]}" -cp "$benchcp" org.openjdk.jmh.Main CudaGemmBench -p backend=cpu,cuda \
      -p shape=1x1024x1024x1024,32x20x64x256,1024x20x64x256,1024x256x64x20t "${jmh_time[@]}" \
      -rf json -rff "$out/gemm.json" > "$out/gemm.txt" 2>&1
  echo "exit $?" >> "$out/gemm.txt"
  grep -E "^CudaGemmBench|Exception|not available" "$out/gemm.txt" | head -12

  # cuda-host-only: the CUDA backend on a device that does nothing, the host's share of a CUDA step
  stage "3b. JMH MeluMamlBench (second-order MAML meta-step, cpu vs cuda vs cuda-host-only)"
  if "$java" -cp "$benchcp" org.openjdk.jmh.Main -l 2>/dev/null | grep -q 'MeluMamlBench'; then
    timeout 160 "$java" "${JVM_FLAGS[@]}" -cp "$benchcp" org.openjdk.jmh.Main MeluMamlBench -p backend=cpu,cuda,cuda-host-only -p metaBatch=32,1024 \
        -p execution=BATCHED -p support=20 -p inner=1 -p order=2 -p threads=1 "${jmh_time[@]}" \
        -rf json -rff "$out/maml.json" > "$out/maml.txt" 2>&1
    echo "exit $?" >> "$out/maml.txt"
    grep -E "^MeluMamlBench.metaStep |Exception|not available" "$out/maml.txt" | head -12
  else
    echo "skipped: MeluMamlBench is not among the compiled benchmarks (bench/src)" | tee "$out/maml.txt"
  fi

  stage "4. PyTorch melu_torch.py maml on the GPU"
  : > "$out/torch.txt"
  if [ -n "$py" ] && "$py" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    for mb in 32 1024; do
      for impl in batched loop; do
        # the loop at 1,024 tasks takes seconds a step: its 3 warm-up steps and one timed step only
        local reps=3 limit=45; [ "$impl$mb" = loop1024 ] && reps=1 limit=75
        echo "# meta-batch $mb, impl $impl" >> "$out/torch.txt"
        timeout "$limit" "$py" "$DEV/reference/melu_torch.py" maml --device cuda --meta-batch "$mb" --impl "$impl" --support 20 --inner 1 \
            --order 2 --threads 1 --reps "$reps" >> "$out/torch.txt" 2>&1 || echo "(exit $?; limit ${limit} s, ${reps} timed + 3 warm-up steps)" >> "$out/torch.txt"
      done
    done
    grep -E "^#|^\| (loop|batched) " "$out/torch.txt"
  else
    echo "skipped: no python3 with a CUDA-enabled torch" | tee "$out/torch.txt"
  fi

  stage "summary"
  if [ -n "$py" ]; then
    "$py" - "$out" <<'PY' | tee "$out/summary.md"
import json, os, re, sys
out = sys.argv[1]
def text(name):
    p = os.path.join(out, name)
    return open(p, errors="replace").read() if os.path.exists(p) else ""
def jmh(name):
    try: return json.load(open(os.path.join(out, name)))
    except Exception: return []
rows = []
gpu = text("gpu.txt").strip().splitlines()
rows.append(("GPU", gpu[0] if gpu else "none found by nvidia-smi"))
info = text("info.txt")
m = re.search(r"^\s*cuda: (.*)$", info, re.M)
rows.append(("CUDA backend", m.group(1) if m else "?"))
p = text("parity.txt")
counts = {k: re.search(r"(\d+) tests " + k, p) for k in ("successful", "failed", "skipped", "aborted")}
rows.append(("parity tests", ", ".join(f"{v.group(1)} {k}" for k, v in counts.items() if v) or "did not run (see parity.txt)"))
v = text("verify.txt").strip().splitlines()
rows.append(("verify --backend cuda", v[-2] if len(v) >= 2 else "did not run"))
for r in jmh("gemm.json"):
    prm = r["params"]; s = prm["shape"]
    b, mm, n, k = (int(x.rstrip("t")) for x in s.split("x"))
    ops = r["primaryMetric"]["score"]
    rows.append((f"GEMM {s} ({prm['backend']})", f"{ops * 2 * b * mm * n * k / 1e9:.1f} GFLOP/s ({ops:.1f} products/s)"))
for r in jmh("maml.json"):
    prm = r["params"]
    rows.append((f"MAML step, {prm.get('metaBatch')} tasks, {prm.get('execution')} ({prm['backend']})",
                 f"{r['primaryMetric']['score']:.2f} steps/s"))
if not jmh("maml.json"):
    rows.append(("MAML step (JMH)", (text("maml.txt").strip().splitlines() or ["did not run"])[-1]))
label, torch, loop_bound = None, {}, None
for line in text("torch.txt").splitlines():
    if line.startswith("# "): label = line[2:]
    elif re.match(r"\| (loop|batched) ", line) and label:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]  # impl, emb, N, K, order, threads, median, …
        rows.append((f"PyTorch MAML step, {label}", f"{cells[6]} steps/s"))
        torch[label] = float(cells[6])
    elif line.startswith("(exit 124") and label:
        rows.append((f"PyTorch MAML step, {label}", "did not finish within its time limit"))
        m = re.search(r"limit (\d+) s, (\d+) timed", line)
        if m and label == "meta-batch 1024, impl loop":  # fewer than (timed + 3) steps ran in the limit
            loop_bound = (int(m.group(2)) + 3) / int(m.group(1))
    elif line.startswith("skipped"): rows.append(("PyTorch", line))
# issue 14's targets at meta-batch 1,024: CUDA >= 3x PyTorch's loop and >= PyTorch batched (same GPU, same run)
cuda = {int(r["params"]["metaBatch"]): r["primaryMetric"]["score"] for r in jmh("maml.json") if r["params"]["backend"] == "cuda"}
for mb in sorted(cuda):
    for impl, factor in (("batched", 1), ("loop", 3)):
        ref = torch.get(f"meta-batch {mb}, impl {impl}")
        if ref:
            verdict = "met" if cuda[mb] >= factor * ref else "not met"
            rows.append((f"CUDA / PyTorch {impl}, {mb} tasks", f"{cuda[mb] / ref:.2f}× (target ≥ {factor}× at 1024: {verdict})"
                         if mb == 1024 else f"{cuda[mb] / ref:.2f}×"))
if loop_bound and 1024 in cuda:
    rows.append(("CUDA / PyTorch loop, 1024 tasks", f"> {cuda[1024] / loop_bound:.0f}× (the loop: < {loop_bound:.3f} steps/s; target ≥ 3×: "
                 + ("met)" if cuda[1024] >= 3 * loop_bound else "not shown)")))
print("| check | result |\n|---|---|")
for k, v in rows: print(f"| {k} | {v} |")
PY
  else
    echo "no python: see the files in $out"
  fi
  if [ -n "${OUT:-}" ]; then
    cp "$out/summary.md" "$out/parity.txt" "$OUT/" 2>/dev/null
    tar -C "$out" -czf "$OUT/gpu-check.tgz" .
  fi
  echo "gpu-check: ${SECONDS}s; results in $out${OUT:+ and $OUT}"
}

# ------------------------------------------------------------------------------------ profile
# Where a CUDA MAML meta-step's time goes: MeluMamlBench (cuda, BATCHED, second order) with
# -Dmetarec.cuda.profile=FILE, which waits for every launch and writes the calls by total time to
# FILE at the fork's exit. Meta-batches: $GPU_PROFILE_BATCHES (default "1024 32").
profile() {
  begin
  local mb
  for mb in ${GPU_PROFILE_BATCHES:-1024 32}; do
    stage "profile: MAML meta-step, $mb tasks, cuda"
    timeout 120 "$java" "${JVM_FLAGS[@]}" -cp "$benchcp" org.openjdk.jmh.Main MeluMamlBench -p backend=cuda -p metaBatch="$mb" \
        -p execution=BATCHED -p support=20 -p inner=1 -p order=2 -p threads=1 -wi 1 -w 1s -i 1 -r 2s -f 1 \
        -jvmArgsAppend "-Dmetarec.cuda.profile=$out/calls-$mb.txt" > "$out/profile-$mb.txt" 2>&1
    echo "exit $?" >> "$out/profile-$mb.txt"
    grep -E "^MeluMamlBench.metaStep " "$out/profile-$mb.txt"
    head -40 "$out/calls-$mb.txt" 2>/dev/null
  done
  [ -n "${OUT:-}" ] && cp "$out"/profile-*.txt "$out"/calls-*.txt "$OUT/"
  echo "gpu-check --profile: ${SECONDS}s"
}

case "${1:-}" in
  --prepare) prepare ;;
  --profile) profile ;;
  ""|--run) run ;;
  *) echo "usage: bench/gpu-check.sh [--prepare | --profile]" >&2; exit 2 ;;
esac
