#!/usr/bin/python3
"""PyTorch-CPU reference timings: MeLU-style MAML / Reptile and sinusoid MAML.

Copied from ../shared/reference/melu_torch.py (2026-12-03) for bench/compare.sh, which must not read
../shared at run time. Changes: `serve --catalogue cached` (the default since 2026-12-04: the
catalogue's item side embedded once, as a server keeps it); each row also gives steps per process CPU-second (time.process_time,
all threads: the same clock as MeluMamlBench's cpuSeconds) and the process's peak RSS in MiB
(VmHWM, reset through /proc/self/clear_refs before that row's warm-up and read right after its timed
repetitions, so it covers the steps, not the data set-up; ru_maxrss where the reset is refused).

Workloads are defined in RESULTS.md. Run with Debian's torch 1.13:
    /usr/bin/python3 melu_torch.py check
    /usr/bin/python3 melu_torch.py maml [--impl loop|batched] [--emb bag|dense]
    /usr/bin/python3 melu_torch.py reptile [--adapt all|fc]
    /usr/bin/python3 melu_torch.py sinusoid
    /usr/bin/python3 melu_torch.py overhead
    /usr/bin/python3 melu_torch.py serve [--requests N] [--catalogue cached|per-request]
Each prints one markdown table row per configuration (steps/s: median, min, max, plus the
profiler's matmul FLOP count of one extra, untimed step).
"""
import argparse
import functools
import math
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# Vocabulary sizes and layer widths from hoyeoplee/MeLU options.py.
ITEM_VOCAB = {"rate": 6, "genre": 25, "director": 2186, "actor": 8030}
USER_VOCAB = {"gender": 2, "age": 7, "occupation": 21, "zipcode": 3402}
EMB, HID1, HID2 = 32, 64, 64
# Synthetic data: distinct categories per item for the multi-hot features (fixed counts,
# so other implementations can mirror the shapes exactly).
PER_ITEM = {"genre": 2, "director": 1, "actor": 3}
MULTI = tuple(PER_ITEM)
QUERY, META_BATCH, POOL_TASKS = 10, 32, 64
N_BATCHES = POOL_TASKS // META_BATCH
DEVICE = torch.device("cpu")  # --device cuda times the same workload on a GPU


def set_workload(meta_batch, device):
    """Meta-batch size (the pool holds two meta-batches) and the device everything lives on."""
    global META_BATCH, POOL_TASKS, DEVICE
    META_BATCH, POOL_TASKS, DEVICE = meta_batch, 2 * meta_batch, torch.device(device)


def sync():
    """Wait for queued GPU work, so host clocks measure it."""
    if DEVICE.type == "cuda":
        torch.cuda.synchronize()


# ----------------------------------------------------------------------------- MeLU model
class MeLU(nn.Module):
    """user_preference_estimator of MeLU. emb='bag': mean of embedding rows (EmbeddingBag);
    emb='dense': the official repo's bias-free Linear on a dense multi-hot row / row sum."""

    def __init__(self, emb="bag"):
        super().__init__()
        self.emb = emb
        self.rate = nn.Embedding(ITEM_VOCAB["rate"], EMB)
        for f in MULTI:
            n = ITEM_VOCAB[f]
            setattr(self, f, nn.EmbeddingBag(n, EMB, mode="mean") if emb == "bag"
                    else nn.Linear(n, EMB, bias=False))
        for f, n in USER_VOCAB.items():
            setattr(self, f, nn.Embedding(n, EMB))
        self.fc1 = nn.Linear(8 * EMB, HID1)
        self.fc2 = nn.Linear(HID1, HID2)
        self.out = nn.Linear(HID2, 1)

    def head_params(self):
        """The MeLU local-update set: fc1, fc2, linear_out (weights and biases)."""
        return [self.fc1.weight, self.fc1.bias, self.fc2.weight, self.fc2.bias,
                self.out.weight, self.out.bias]

    def embed(self, x):
        """x: dict of per-row features -> [rows, 256] = item (rate, genre, director, actor)
        ++ user (gender, age, occupation, zipcode), as in the official concat order."""
        parts = [self.rate(x["rate"])]
        for f in MULTI:
            if self.emb == "bag":
                parts.append(getattr(self, f)(x[f]))  # [rows, k] index bags, mean
            else:
                mh = x[f + "_mh"]
                parts.append(getattr(self, f)(mh) / mh.sum(1, keepdim=True))
        parts += [getattr(self, f)(x[f]) for f in USER_VOCAB]
        return torch.cat(parts, 1)

    def forward(self, x):
        return head(self.embed(x), self.head_params())


def head(h, w):
    """fc1 -> relu -> fc2 -> relu -> linear_out with explicit (fast) weights; h: [rows, 256]."""
    h = F.relu(F.linear(h, w[0], w[1]))
    h = F.relu(F.linear(h, w[2], w[3]))
    return F.linear(h, w[4], w[5]).view(-1)


def head_batched(h, w):
    """Same head for T tasks at once: h [T, rows, in], w[i] has a leading task dim."""
    h = F.relu(torch.baddbmm(w[1].unsqueeze(1), h, w[0].transpose(1, 2)))
    h = F.relu(torch.baddbmm(w[3].unsqueeze(1), h, w[2].transpose(1, 2)))
    return torch.baddbmm(w[5].unsqueeze(1), h, w[4].transpose(1, 2)).squeeze(-1)


# ----------------------------------------------------------------------------- MeLU data
def make_rows(g, tasks, rows, emb):
    """Per-row features for `tasks` tasks of `rows` rows each; one user per task."""
    x = {"rate": torch.randint(ITEM_VOCAB["rate"], (tasks, rows), generator=g)}
    for f, k in PER_ITEM.items():
        w = torch.ones(tasks * rows, ITEM_VOCAB[f])
        idx = torch.multinomial(w, k, generator=g).view(tasks, rows, k)  # k distinct ids
        if emb == "bag":
            x[f] = idx
        else:
            x[f + "_mh"] = torch.zeros(tasks, rows, ITEM_VOCAB[f]).scatter_(2, idx, 1.0)
    for f, n in USER_VOCAB.items():
        x[f] = torch.randint(n, (tasks, 1), generator=g).expand(tasks, rows).contiguous()
    y = torch.randint(1, 6, (tasks, rows), generator=g).float()  # ratings 1..5
    return x, y


class MeLUData:
    """Pool of POOL_TASKS tasks; step i uses meta-batch b = i mod 2: tasks [32b, 32b+32)."""

    def __init__(self, support, emb, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.xs, self.ys = make_rows(g, POOL_TASKS, support, emb)
        self.xq, self.yq = make_rows(g, POOL_TASKS, QUERY, emb)
        # Query rows belong to the same user as the support rows.
        for f in USER_VOCAB:
            self.xq[f] = self.xs[f][:, :1].expand(-1, QUERY).contiguous()
        to = lambda d: {k: v.to(DEVICE) for k, v in d.items()}
        self.xs, self.xq = to(self.xs), to(self.xq)
        self.ys, self.yq = self.ys.to(DEVICE), self.yq.to(DEVICE)

    @staticmethod
    def _rows(x, sl, flat):
        return {k: (v[sl].flatten(0, 1) if flat else v[sl]) for k, v in x.items()}

    def task(self, i):
        return self._rows(self.xs, i, False), self.ys[i], self._rows(self.xq, i, False), self.yq[i]

    def batch(self, b):
        """Meta-batch b as flat rows [32*rows, ...] for the task-batched implementation."""
        sl = slice(b % N_BATCHES * META_BATCH, b % N_BATCHES * META_BATCH + META_BATCH)
        return (self._rows(self.xs, sl, True), self.ys[sl], self._rows(self.xq, sl, True),
                self.yq[sl])


@functools.lru_cache(maxsize=2)
def melu_data(support, emb, meta_batch=None, device=None):
    """The (read-only) pool, shared by the configurations with the same shapes
    (meta_batch and device are part of the cache key)."""
    return MeLUData(support, emb)


# ----------------------------------------------------------------------------- MAML
def maml_loss_loop(model, data, b, inner_steps, inner_lr, second_order):
    """Meta-loss of meta-batch b, one task at a time (as in MeLU's global_update)."""
    losses = []
    for t in range(b % N_BATCHES * META_BATCH, b % N_BATCHES * META_BATCH + META_BATCH):
        xs, ys, xq, yq = data.task(t)
        hs, hq = model.embed(xs), model.embed(xq)  # embeddings are not locally updated
        if not second_order:
            hs = hs.detach()
        fast = model.head_params()
        for _ in range(inner_steps):
            loss = F.mse_loss(head(hs, fast), ys)
            grads = torch.autograd.grad(loss, fast, create_graph=second_order)
            fast = [w - inner_lr * gr for w, gr in zip(fast, grads)]
        losses.append(F.mse_loss(head(hq, fast), yq))
    return torch.stack(losses).mean()


def maml_loss_batched(model, data, b, inner_steps, inner_lr, second_order):
    """Same meta-loss with the 32 tasks batched (bmm over per-task fast weights)."""
    xs, ys, xq, yq = data.batch(b)
    T = META_BATCH
    hs = model.embed(xs).view(T, -1, 8 * EMB)
    hq = model.embed(xq).view(T, -1, 8 * EMB)
    if not second_order:
        hs = hs.detach()
    fast = [p.unsqueeze(0).expand(T, *p.shape) for p in model.head_params()]
    for _ in range(inner_steps):
        loss = (head_batched(hs, fast) - ys).pow(2).mean(1).sum()  # sum of per-task MSEs
        grads = torch.autograd.grad(loss, fast, create_graph=second_order)
        fast = [w - inner_lr * gr for w, gr in zip(fast, grads)]
    return (head_batched(hq, fast) - yq).pow(2).mean()


MAML_IMPL = {"loop": maml_loss_loop, "batched": maml_loss_batched}


def maml_stepper(args, support, inner_steps, second_order):
    torch.manual_seed(0)
    model = MeLU(args.emb).to(DEVICE)
    data = melu_data(support, args.emb, META_BATCH, str(DEVICE))
    opt = torch.optim.Adam(model.parameters(), lr=args.outer_lr)
    loss_fn = MAML_IMPL[args.impl]

    def step(i):
        opt.zero_grad(set_to_none=True)
        loss_fn(model, data, i, inner_steps, args.inner_lr, second_order).backward()
        opt.step()
    return step


# ----------------------------------------------------------------------------- Reptile
def reptile_stepper(args, support):
    """Reptile: per task, k plain-SGD steps (full support batch) from theta on the adapted
    params; then theta += eps * mean_i(phi_i - theta). No query set, no Adam."""
    torch.manual_seed(0)
    model = MeLU(args.emb).to(DEVICE)
    data = melu_data(support, args.emb, META_BATCH, str(DEVICE))
    adapt = list(model.parameters()) if args.adapt == "all" else model.head_params()
    theta = [p.detach().clone() for p in adapt]
    delta = [torch.zeros_like(p) for p in adapt]

    def step(i):
        for d in delta:
            d.zero_()
        for t in range(i % N_BATCHES * META_BATCH, i % N_BATCHES * META_BATCH + META_BATCH):
            xs, ys, _, _ = data.task(t)
            if args.adapt == "fc":
                with torch.no_grad():
                    hs = model.embed(xs)  # constant during adaptation
            for _ in range(args.k):
                pred = head(hs, adapt) if args.adapt == "fc" else model(xs)
                grads = torch.autograd.grad(F.mse_loss(pred, ys), adapt)
                with torch.no_grad():
                    torch._foreach_add_(adapt, grads, alpha=-args.inner_lr)
            with torch.no_grad():
                for d, p, th in zip(delta, adapt, theta):
                    d.add_(p).sub_(th)
                    p.copy_(th)
        with torch.no_grad():
            for p, th, d in zip(adapt, theta, delta):
                p.add_(d, alpha=args.eps / META_BATCH)
                th.copy_(p)
    return step


# ----------------------------------------------------------------------------- sinusoid
SIN_K, SIN_TASKS, SIN_HID = 10, 25, 40


def sinusoid_data(seed=0, batches=4):
    """Finn et al. 2017: A ~ U[0.1, 5], phase ~ U[0, pi], x ~ U[-5, 5], y = A sin(x - phase).
    K=10 support and K=10 query points per task; `batches` meta-batches of 25 tasks."""
    g = torch.Generator().manual_seed(seed)
    n = batches * SIN_TASKS
    amp = torch.rand(n, 1, generator=g) * 4.9 + 0.1
    ph = torch.rand(n, 1, generator=g) * math.pi
    x = torch.rand(n, 2 * SIN_K, generator=g) * 10 - 5
    y = amp * torch.sin(x - ph)
    return (x[:, :SIN_K, None], y[:, :SIN_K], x[:, SIN_K:, None], y[:, SIN_K:])


def sinusoid_stepper(args):
    torch.manual_seed(0)
    mlp = [nn.Linear(1, SIN_HID), nn.Linear(SIN_HID, SIN_HID), nn.Linear(SIN_HID, 1)]
    params = [t.to(DEVICE).detach().requires_grad_() for m in mlp for t in (m.weight, m.bias)]
    opt = torch.optim.Adam(params, lr=1e-3)
    xs, ys, xq, yq = (t.to(DEVICE) for t in sinusoid_data())
    lr = 0.01
    nb = xs.shape[0] // SIN_TASKS

    def step_loop(i):
        b = i % nb * SIN_TASKS
        losses = []
        for t in range(b, b + SIN_TASKS):
            loss = F.mse_loss(head(xs[t], params), ys[t])
            grads = torch.autograd.grad(loss, params, create_graph=True)
            fast = [w - lr * gr for w, gr in zip(params, grads)]
            losses.append(F.mse_loss(head(xq[t], fast), yq[t]))
        opt.zero_grad(set_to_none=True)
        torch.stack(losses).mean().backward()
        opt.step()

    def step_batched(i):
        sl = slice(i % nb * SIN_TASKS, i % nb * SIN_TASKS + SIN_TASKS)
        fast = [p.unsqueeze(0).expand(SIN_TASKS, *p.shape) for p in params]
        loss = (head_batched(xs[sl], fast) - ys[sl]).pow(2).mean(1).sum()
        grads = torch.autograd.grad(loss, fast, create_graph=True)
        fast = [w - lr * gr for w, gr in zip(fast, grads)]
        opt.zero_grad(set_to_none=True)
        (head_batched(xq[sl], fast) - yq[sl]).pow(2).mean().backward()
        opt.step()
    return step_loop if args.impl == "loop" else step_batched


# ----------------------------------------------------------------------------- serving
CATALOGUE, RATINGS, SERVE_STEPS, TOP_K, SERVE_USERS = 3706, 10, 5, 10, 64


def serve(args):
    """Twin of bench/ServeBench.java: a new user with 10 ratings, the head adapted in 5 SGD steps
    (first order: autograd.grad without create_graph), then the 3,706-item catalogue scored without
    a graph and the top 10 taken. One thread. Prints the latency percentiles in milliseconds.
    --catalogue cached (twin of ServeBench.requestCached, what `metarec serve` does): the items'
    embeddings [3706, 128] computed once, a request embeds its user's row, repeats it beside them
    and runs the head; per-request (twin of ServeBench.request): every catalogue row embedded per
    request."""
    torch.set_num_threads(1)
    model = MeLU("bag")
    g = torch.Generator().manual_seed(1)
    items, _ = make_rows(g, 1, CATALOGUE, "bag")
    items = {k: v[0] for k, v in items.items() if k not in USER_VOCAB}
    xs, ys = make_rows(g, SERVE_USERS, RATINGS, "bag")
    users = [{f: xs[f][u, :1] for f in USER_VOCAB} for u in range(SERVE_USERS)]
    catalogues = [dict(items, **{f: users[u][f].expand(CATALOGUE).contiguous() for f in USER_VOCAB})
                  for u in range(SERVE_USERS)]
    supports = [({k: v[u] for k, v in xs.items()}, ys[u]) for u in range(SERVE_USERS)]
    lr = 5e-3

    def request(i):
        u = i % SERVE_USERS
        x, y = supports[u]
        fast = model.head_params()
        h = model.embed(x).detach()  # MeLU's local update adapts the head only
        for _ in range(SERVE_STEPS):
            grads = torch.autograd.grad((head(h, fast) - y).pow(2).mean(), fast)
            fast = [w - lr * gr for w, gr in zip(fast, grads)]
        with torch.no_grad():
            if cached is None:
                rows = model.embed(catalogues[u])
            else:
                user = model.embed(x)[:1, cached.shape[1]:]  # the user's fields: the last 4 blocks
                rows = torch.cat([cached, user.expand(CATALOGUE, -1)], 1)
            scores = head(rows, [w.detach() for w in fast])
            return torch.topk(scores, TOP_K).indices[0].item()

    cached = None
    if args.catalogue == "cached":
        with torch.no_grad():
            cached = model.embed(catalogues[0])[:, :4 * EMB].contiguous()  # rate, genre, director, actor

    t0, n = time.perf_counter(), 0
    while n < 50 or time.perf_counter() - t0 < args.warmup_s:
        request(n)
        n += 1
    lat = []
    was_reset = reset_peak_rss()
    for i in range(args.requests):
        t = time.perf_counter()
        request(n + i)
        lat.append((time.perf_counter() - t) * 1e3)
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
    print("| requests | p50 ms | p90 ms | p99 ms | mean ms | peak RSS MiB |\n|---|---|---|---|---|---|")
    print(f"| {len(lat)} | {q(0.5):.3f} | {q(0.9):.3f} | {q(0.99):.3f} | {statistics.mean(lat):.3f} "
          f"| {peak_rss_mib(was_reset):.0f} |", flush=True)


# ----------------------------------------------------------------------------- harness
def bench(step, reps, min_rep_s, warmup_s):
    """Warm up >= warmup_s (and >= 3 steps), then `reps` timed repetitions of a fixed
    number of steps (>= min_rep_s each). Returns steps/s median, min, max, steps/rep, and the
    median steps per process CPU-second."""
    sync()
    t0, n = time.perf_counter(), 0
    while n < 3 or time.perf_counter() - t0 < warmup_s:
        step(n)
        n += 1
        sync()
    steps = max(1, math.ceil(min_rep_s * n / (time.perf_counter() - t0)))
    rates, cpu_rates = [], []
    for _ in range(reps):
        sync()
        t, c = time.perf_counter(), time.process_time()
        for _ in range(steps):
            step(n)
            n += 1
        sync()
        rates.append(steps / (time.perf_counter() - t))
        cpu_rates.append(steps / max(time.process_time() - c, 1e-9))
    return statistics.median(rates), min(rates), max(rates), steps, statistics.median(cpu_rates)


def matmul_gflop(step, i=10**6):
    """GFLOP of the matmuls (mm, addmm, bmm, baddbmm) in one step, as counted by the
    profiler (it also counts elementwise add/mul, about 1% here; left out)."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU], with_flops=True) as prof:
        step(i)
    return sum(e.flops for e in prof.key_averages() if "mm" in e.key) / 1e9


def emit(label, res, gflop, rss_mib):
    med, lo, hi, steps, cpu = res
    print(f"| {label} | {med:.2f} | {lo:.2f} | {hi:.2f} | {1e3 / med:.2f} | {gflop:.3f} "
          f"| {gflop * med:.1f} | {steps} | {cpu:.2f} | {rss_mib:.0f} |", flush=True)


def header(cols):
    print("| " + " | ".join(cols) + " | steps/s median | min | max | ms/step (median) "
          "| matmul GFLOP/step | matmul GFLOP/s | steps/rep | steps/cpu-s median | peak RSS MiB |")
    print("|" + "---|" * (len(cols) + 9), flush=True)


def reset_peak_rss():
    """Restart the kernel's peak-RSS count (Linux >= 4.0); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mib(was_reset):
    if was_reset:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(label, step, t):
    was_reset = reset_peak_rss()
    res = bench(step, *t)
    rss = peak_rss_mib(was_reset)
    emit(label, res, matmul_gflop(step), rss)


def overhead():
    """Per-call cost of tiny ops: the floor under a loop-of-tasks implementation."""
    print("| op (1 thread) | us/call median |\n|---|---|")
    torch.set_num_threads(1)
    a, b = torch.randn(64), torch.randn(64)
    ag = a.clone().requires_grad_()
    x, w, bias = torch.randn(20, 256), torch.randn(64, 256), torch.randn(64)
    wg = w.clone().requires_grad_()
    cases = [("add, 64 floats", lambda: a + b),
             ("add, 64 floats, requires_grad (graph recorded)", lambda: ag + b),
             ("F.linear [20,256] x [64,256]^T + b", lambda: F.linear(x, w, bias)),
             ("F.linear, weight requires_grad", lambda: F.linear(x, wg, bias)),
             ("linear fwd + autograd.grad wrt W (create_graph=False)",
              lambda: torch.autograd.grad(F.linear(x, wg, bias).sum(), wg)),
             ("linear fwd + autograd.grad wrt W (create_graph=True)",
              lambda: torch.autograd.grad(F.linear(x, wg, bias).sum(), wg, create_graph=True))]
    for name, fn in cases:
        med = bench(lambda i: fn(), 7, 0.2, 0.2)[0]
        print(f"| {name} | {1e6 / med:.2f} |", flush=True)


def run(args):
    set_workload(args.meta_batch, args.device)
    torch.set_num_interop_threads(1)
    t = (args.reps, args.min_rep_s, args.warmup_s)
    if args.cmd == "maml":
        header(["impl", "emb", "support", "inner", "order", "threads"])
        for n in args.support:
            for k in args.inner:
                for order in args.order:
                    for th in args.threads:
                        torch.set_num_threads(th)
                        measure(f"{args.impl} | {args.emb} | {n} | {k} | {order} | {th}",
                                maml_stepper(args, n, k, order == 2), t)
    elif args.cmd == "reptile":
        header(["adapt", "emb", "support", "k", "threads"])
        for n in args.support:
            for th in args.threads:
                torch.set_num_threads(th)
                measure(f"{args.adapt} | {args.emb} | {n} | {args.k} | {th}",
                        reptile_stepper(args, n), t)
    elif args.cmd == "sinusoid":
        header(["impl", "threads"])
        for impl in args.impls:
            for th in args.threads:
                torch.set_num_threads(th)
                args.impl = impl
                measure(f"{impl} | {th}", sinusoid_stepper(args), t)
    elif args.cmd == "overhead":
        overhead()
    elif args.cmd == "serve":
        serve(args)
    else:
        check()


# ----------------------------------------------------------------------------- checks
def check():
    """Loop vs batched meta-gradients, 2nd- vs 1st-order, bag vs dense embedding, and a
    float64 gradcheck of the second-order meta-gradient."""
    torch.manual_seed(0)

    def grads(model, fn, data, k, so):
        model.zero_grad()
        loss = fn(model, data, 0, k, 5e-3, so)
        loss.backward()
        return loss.item(), [p.grad.clone() for p in model.parameters()]

    model, data = MeLU("bag"), MeLUData(20, "bag")
    for so in (True, False):
        la, ga = grads(model, maml_loss_loop, data, 3, so)
        lb, gb = grads(model, maml_loss_batched, data, 3, so)
        err = max(((a - b).abs().max() / (a.abs().max() + 1e-12)).item()
                  for a, b in zip(ga, gb))
        print(f"loop vs batched (second_order={so}): loss {la:.6f} vs {lb:.6f}, "
              f"max rel grad err {err:.2e}")
        assert abs(la - lb) < 1e-4 and err < 1e-3
    _, g2 = grads(model, maml_loss_loop, data, 3, True)
    _, g1 = grads(model, maml_loss_loop, data, 3, False)
    d = max(((a - b).abs().max() / a.abs().max()).item() for a, b in zip(g2, g1))
    print(f"second vs first order: max rel grad difference {d:.2e} (must be > 0)")
    assert d > 1e-6

    dense, bag = MeLU("dense"), MeLU("bag")
    with torch.no_grad():
        for name, p in bag.named_parameters():
            q = dict(dense.named_parameters())[name]
            q.copy_(p.t() if name.split(".")[0] in MULTI else p)
    xd, _ = make_rows(torch.Generator().manual_seed(1), 2, 5, "dense")
    xb, _ = make_rows(torch.Generator().manual_seed(1), 2, 5, "bag")
    e = (dense(MeLUData._rows(xd, 0, False)) - bag(MeLUData._rows(xb, 0, False))).abs().max()
    print(f"dense vs bag embedding forward: max abs diff {e:.2e}")
    assert e < 1e-4

    model, data = MeLU("bag").double(), MeLUData(4, "bag")
    data.ys, data.yq = data.ys.double(), data.yq.double()
    w0, b0 = model.out.weight.detach().clone(), model.out.bias.detach().clone()
    del model.out.weight, model.out.bias  # plain tensors from here on

    def f(w, b):
        model.out.weight, model.out.bias = w, b
        return maml_loss_loop(model, data, 0, 2, 0.05, True)
    ok = torch.autograd.gradcheck(f, (w0.requires_grad_(), b0.requires_grad_()))
    print(f"float64 gradcheck of 2nd-order meta-gradient wrt linear_out: {ok}")


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("cmd", choices=["maml", "reptile", "sinusoid", "overhead", "serve", "check"])
    p.add_argument("--requests", type=int, default=2000, help="serve only: timed requests")
    p.add_argument("--catalogue", choices=["cached", "per-request"], default="cached",
                   help="serve only: the items' embeddings computed once (as a server keeps them) or per request")
    p.add_argument("--impl", choices=["loop", "batched"], default="loop")
    p.add_argument("--impls", nargs="+", default=["loop", "batched"], help="sinusoid only")
    p.add_argument("--emb", choices=["bag", "dense"], default="bag")
    p.add_argument("--support", type=int, nargs="+", default=[20, 100])
    p.add_argument("--inner", type=int, nargs="+", default=[1, 5])
    p.add_argument("--order", type=int, nargs="+", default=[2, 1], choices=[1, 2])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--inner-lr", type=float, default=5e-3)
    p.add_argument("--outer-lr", type=float, default=5e-5)
    p.add_argument("--adapt", choices=["all", "fc"], default="all", help="reptile only")
    p.add_argument("--k", type=int, default=5, help="reptile inner steps")
    p.add_argument("--eps", type=float, default=0.1, help="reptile outer step size")
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--meta-batch", type=int, default=32, help="tasks per meta-step (maml, reptile)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--min-rep-s", type=float, default=0.3)
    p.add_argument("--warmup-s", type=float, default=0.5)
    run(p.parse_args())


if __name__ == "__main__":
    main()
