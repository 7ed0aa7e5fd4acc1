#!/usr/bin/python3
"""OpenBLAS sgemm (through numpy) at the GemmBench shapes, one thread, wall clock and CPU time.

    /usr/bin/python3 bench/openblas_gemm.py [--reps 7] [--shapes 20x256x64 ...]

Shapes are MxKxN: C[M,N] = A[M,K] @ B[K,N]; GFLOP/s counts 2*M*K*N. Besides wall-clock GFLOP/s it
prints GFLOP per CPU-second of the calling thread (time.thread_time), the figure to set beside
GemmBench's "GFLOP/cpu-s" on a machine shared with other jobs. With one OpenBLAS thread the work
runs on the calling thread, so that CPU time is all of it. Needs numpy linked to OpenBLAS
(Debian: apt-get install python3-numpy libopenblas0-openmp).
"""
import argparse
import ctypes
import statistics
import time

import numpy as np

SHAPES = ["20x256x64", "100x256x64", "64x100x256", "100x64x256", "100x64x64", "3200x256x64", "10x40x40",
          "64x64x64", "128x128x128", "256x256x256", "512x512x512", "1024x1024x1024", "1023x67x129"]


def set_one_thread():
    lib = ctypes.CDLL("libblas.so.3")
    try:
        lib.openblas_get_config.restype = ctypes.c_char_p
        lib.openblas_set_num_threads(1)
        return lib.openblas_get_config().decode()
    except AttributeError:
        return "libblas.so.3 is not OpenBLAS (netlib reference BLAS?): figures are not OpenBLAS's"


def measure(fn, reps, min_s=0.2):
    fn()
    t = time.perf_counter()
    fn()
    n = max(1, int(min_s / max(time.perf_counter() - t, 1e-7)))
    for _ in range(n):  # warm-up
        fn()
    wall, cpu = [], []
    for _ in range(reps):
        w, c = time.perf_counter(), time.thread_time()
        for _ in range(n):
            fn()
        wall.append((time.perf_counter() - w) / n)
        cpu.append((time.thread_time() - c) / n)
    return wall, cpu


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--shapes", nargs="+", default=SHAPES)
    args = p.parse_args()
    print(f"BLAS: {set_one_thread()}, 1 thread\n")
    print("| shape M,K,N | GFLOP/s median | min | max | GFLOP/cpu-s median | min | max |")
    print("|---|---|---|---|---|---|---|")
    rng = np.random.default_rng(42)
    for s in args.shapes:
        m, k, n = (int(x) for x in s.split("x"))
        a = rng.uniform(-1, 1, (m, k)).astype(np.float32)
        b = rng.uniform(-1, 1, (k, n)).astype(np.float32)
        c = np.empty((m, n), dtype=np.float32)
        wall, cpu = measure(lambda: np.matmul(a, b, out=c), args.reps)
        g = 2 * m * k * n / 1e9
        gw = sorted(g / x for x in wall)
        gc = sorted(g / x for x in cpu if x > 0)
        print(f"| {s} | {statistics.median(gw):.1f} | {gw[0]:.1f} | {gw[-1]:.1f} "
              f"| {statistics.median(gc):.1f} | {gc[0]:.1f} | {gc[-1]:.1f} |", flush=True)


if __name__ == "__main__":
    main()
