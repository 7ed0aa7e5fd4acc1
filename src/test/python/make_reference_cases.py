#!/usr/bin/python3
"""Writes PyTorch reference cases (float64 autograd) in the golden format that `metarec verify` reads.

The format and semantics are those of the bundled golden files (src/main/resources/io/metarec/golden/,
FORMAT.md there): every tensor is {"shape": [...], "data": [...]} row-major; MLP params are listed
W1, b1, W2, b2, ... with h = x·W + b and the activation between layers (none after the last);
inner loops are plain SGD (or Meta-SGD's θ − α ⊙ ∇) on the support MSE; the meta-loss is the mean
over tasks of the query MSE at the adapted parameters; second order keeps the inner gradients in the
graph (create_graph=True), first order treats them as constants.

These cases are NEW shapes, depths, activations, step counts and vocabularies, so that the test suite
shows the verifier evaluates any case in the format, not only the shipped ones.

    /usr/bin/python3 src/test/python/make_reference_cases.py            # (re)write src/test/resources/reference/
    /usr/bin/python3 src/test/python/make_reference_cases.py --check DIR  # recompute DIR/*.json from their inputs

--check recomputes every output of existing files (e.g. the bundled golden ones) from their inputs
with the functions below and prints the largest norm-relative difference: that this script's
semantics are the golden files' semantics. Needs PyTorch (Debian: apt-get install python3-torch).
"""
import argparse
import glob
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.normpath(os.path.join(HERE, "..", "resources", "reference"))

ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}


# ----------------------------------------------------------------------------- format helpers
def enc(t):
    """A tensor as {shape, data}; integer tensors keep integer data (ids)."""
    t = t.detach()
    data = t.reshape(-1).tolist()
    if t.dtype.is_floating_point:
        data = [float(v) for v in data]
    return {"shape": list(t.shape), "data": data}


def dec(obj, dtype=torch.float64):
    return torch.tensor(obj["data"], dtype=dtype).reshape(obj["shape"])


def rel_err(a, b):
    """Norm-wise relative error ‖a − b‖ / ‖b‖ (absolute when b is 0), as the verifier reports it."""
    a, b = a.reshape(-1), b.reshape(-1)
    ref = b.norm().item()
    d = (a - b).norm().item()
    return d / ref if ref > 0 else d


# ----------------------------------------------------------------------------- models
def mlp(params, x, activation):
    h = x
    layers = len(params) // 2
    for i in range(layers):
        h = h @ params[2 * i] + params[2 * i + 1]
        if i < layers - 1:
            h = ACTIVATIONS[activation](h)
    return h


def adapt(params, support_loss, steps, step, second_order):
    """`steps` gradient steps: fast ← fast − step(i, ∂L/∂fast_i); first order cuts the inner gradients."""
    fast = list(params)
    for _ in range(steps):
        grads = torch.autograd.grad(support_loss(fast), fast, create_graph=second_order)
        fast = [w - step(i, g) for i, (w, g) in enumerate(zip(fast, grads))]
    return fast


# ----------------------------------------------------------------------------- kinds: compute outputs from inputs
def compute_maml_mlp(case):
    act = case.get("activation") or "relu"
    lr, steps = case["inner_lr"], case["inner_steps"]
    tasks = [{k: dec(v) for k, v in t.items()} for t in case["tasks"]]
    out = {}
    for order in ("second_order", "first_order"):
        params = [dec(p).requires_grad_() for p in case["params"]]
        losses = []
        for t in tasks:
            fast = adapt(params, lambda p: F.mse_loss(mlp(p, t["support_x"], act), t["support_y"]), steps,
                         lambda i, g: lr * g, order == "second_order")
            losses.append(F.mse_loss(mlp(fast, t["query_x"], act), t["query_y"]))
        meta = torch.stack(losses).mean()
        grads = torch.autograd.grad(meta, params)
        out[order] = {"meta_loss": meta.item(), "meta_grads": [enc(g) for g in grads]}
    return out


def compute_metasgd_mlp(case):
    act = case.get("activation") or "relu"
    steps = case["inner_steps"]
    tasks = [{k: dec(v) for k, v in t.items()} for t in case["tasks"]]
    params = [dec(p).requires_grad_() for p in case["params"]]
    lrs = [dec(a).requires_grad_() for a in case["inner_lrs"]]
    losses = []
    for t in tasks:
        fast = adapt(params, lambda p: F.mse_loss(mlp(p, t["support_x"], act), t["support_y"]), steps,
                     lambda i, g: lrs[i] * g, True)
        losses.append(F.mse_loss(mlp(fast, t["query_x"], act), t["query_y"]))
    meta = torch.stack(losses).mean()
    grads = torch.autograd.grad(meta, params + lrs)
    n = len(params)
    return {"meta_loss": meta.item(), "meta_grads_params": [enc(g) for g in grads[:n]],
            "meta_grads_inner_lrs": [enc(g) for g in grads[n:]]}


def melu_embed(tables, ids):
    """One id per field per row: look each field up in its table, concatenate in field order."""
    return torch.cat([tables[f][ids[:, f]] for f in range(len(tables))], dim=1)


def compute_melu(case):
    act = case.get("activation") or "relu"
    lr, steps = case["inner_lr"], case["inner_steps"]
    tasks = case["tasks"]
    out = {}
    for order in ("second_order", "first_order"):
        tables = [dec(t).requires_grad_() for t in case["tables"]]
        params = [dec(p).requires_grad_() for p in case["params"]]
        losses = []
        for t in tasks:
            hs = melu_embed(tables, dec(t["support_ids"], torch.long))
            hq = melu_embed(tables, dec(t["query_ids"], torch.long))
            ys, yq = dec(t["support_y"]), dec(t["query_y"])
            # only the MLP adapts; the embeddings enter the inner loop as inputs
            fast = adapt(params, lambda p: F.mse_loss(mlp(p, hs, act), ys), steps, lambda i, g: lr * g,
                         order == "second_order")
            losses.append(F.mse_loss(mlp(fast, hq, act), yq))
        meta = torch.stack(losses).mean()
        grads = torch.autograd.grad(meta, params + tables)
        n = len(params)
        out[order] = {"meta_loss": meta.item(), "meta_grads_params": [enc(g) for g in grads[:n]],
                      "meta_grads_tables": [enc(g) for g in grads[n:]]}
    return out


CE_TARGETS = torch.tensor([0, 3, 1, 4])  # fixed by the format (the verifier uses the same)

OPS = {
    "relu": lambda x: torch.relu(x[0]),
    "sigmoid": lambda x: torch.sigmoid(x[0]),
    "tanh": lambda x: torch.tanh(x[0]),
    "exp": lambda x: torch.exp(x[0]),
    "log": lambda x: torch.log(x[0].abs() + 0.5),
    "square": lambda x: x[0] * x[0],
    "softplus": lambda x: F.softplus(x[0]),
    "matmul": lambda x: x[0] @ x[1],
    "add_bias": lambda x: x[0] + x[1],
    "mul": lambda x: x[0] * x[1],
    "div": lambda x: x[0] / x[1],
    "sum_rows": lambda x: x[0].sum(0),
    "mean_all": lambda x: x[0].mean().reshape(1),
    "mse": lambda x: F.mse_loss(x[0], x[1]).reshape(1),
    "bce_with_logits": lambda x: F.binary_cross_entropy_with_logits(x[0], x[1]).reshape(1),
    "softmax_cross_entropy": lambda x: F.cross_entropy(x[0], CE_TARGETS).reshape(1),
    "concat_cols": lambda x: torch.cat(x, dim=1),
    "transpose": lambda x: x[0].t(),
    "tanh_of_matmul": lambda x: torch.tanh(x[0] @ x[1]),
}


def compute_op(name, inputs, w, v):
    """output, grads of L = Σ w·f(inputs), and the Hessian-vector product d/dx Σᵢ⟨gradsᵢ, vᵢ⟩."""
    xs = [x.clone().requires_grad_() for x in inputs]
    y = OPS[name](xs)
    loss = (w.reshape(y.shape) * y).sum()
    grads = torch.autograd.grad(loss, xs, create_graph=True)
    gv = sum((g * vi).sum() for g, vi in zip(grads, v))
    if gv.requires_grad:
        hvp = torch.autograd.grad(gv, xs, allow_unused=True)
    else:  # piecewise-linear f (relu, concat, ...): the gradient is constant in x
        hvp = [None] * len(xs)
    hvp = [torch.zeros_like(x) if h is None else h for x, h in zip(xs, hvp)]
    return y, grads, hvp


COMPUTE = {"maml_mlp": compute_maml_mlp, "metasgd_mlp": compute_metasgd_mlp, "melu": compute_melu}


# ----------------------------------------------------------------------------- new cases
def randn(g, *shape, scale=1.0):
    return torch.randn(*shape, generator=g) * scale


def uniform(g, lo, hi, *shape):
    return lo + (hi - lo) * torch.rand(*shape, generator=g)


def init_mlp(g, sizes):
    """W ~ N(0, 1/fan_in) (Xavier-like), b ~ N(0, 0.1²): moderate activations for every nonlinearity."""
    params = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        params += [randn(g, a, b, scale=1 / math.sqrt(a)), randn(g, b, scale=0.1)]
    return params


def regression_tasks(g, n_tasks, n_support, n_query, d_in, d_out):
    """Each task: y = A·sin(x·P + φ) with its own amplitudes, projection and phases (a multi-output sinusoid)."""
    tasks = []
    for _ in range(n_tasks):
        proj = randn(g, d_in, d_out)
        amp, phase = uniform(g, 0.5, 2.0, d_out), uniform(g, 0, math.pi, d_out)
        task = {}
        for part, n in (("support", n_support), ("query", n_query)):
            x = uniform(g, -2.5, 2.5, n, d_in)
            task[part + "_x"] = x
            task[part + "_y"] = amp * torch.sin(x @ proj + phase)
        tasks.append({k: enc(task[k]) for k in ("support_x", "support_y", "query_x", "query_y")})
    return tasks


def maml_case(name, seed, sizes, activation, inner_lr, inner_steps, n_tasks, n_support, n_query):
    g = torch.Generator().manual_seed(seed)
    case = {"case": name, "kind": "maml_mlp",
            "description": f"MLP {sizes} with {activation}, MSE loss, all parameters adapted with plain SGD "
                           f"({inner_steps} inner steps); meta-loss = mean over tasks of query MSE after adaptation",
            "layer_sizes": sizes, "activation": activation, "inner_lr": inner_lr, "inner_steps": inner_steps,
            "params": [enc(p) for p in init_mlp(g, sizes)],
            "tasks": regression_tasks(g, n_tasks, n_support, n_query, sizes[0], sizes[-1])}
    case.update(compute_maml_mlp(case))
    return case


def metasgd_case(name, seed, sizes, activation, inner_steps, n_tasks, n_support, n_query):
    g = torch.Generator().manual_seed(seed)
    params = init_mlp(g, sizes)
    case = {"case": name, "kind": "metasgd_mlp",
            "description": f"Meta-SGD on MLP {sizes} with {activation}: inner update theta - alpha * grad with a learned "
                           f"per-element alpha, {inner_steps} inner steps; second-order meta-gradients w.r.t. theta and alpha",
            "layer_sizes": sizes, "activation": activation, "inner_steps": inner_steps,
            "params": [enc(p) for p in params],
            "inner_lrs": [enc(uniform(g, 0.005, 0.05, *p.shape)) for p in params],
            "tasks": regression_tasks(g, n_tasks, n_support, n_query, sizes[0], sizes[-1])}
    case.update(compute_metasgd_mlp(case))
    return case


def melu_case(name, seed, vocab, dim, hidden, inner_lr, inner_steps, n_tasks, n_support, n_query, activation=None):
    g = torch.Generator().manual_seed(seed)
    sizes = [len(vocab) * dim] + hidden + [1]
    tables = [randn(g, v, dim, scale=0.5) for v in vocab]
    params = init_mlp(g, sizes)
    taste = [randn(g, v) for v in vocab]  # planted per-id effects, so ratings depend on the ids

    def rows(n, user):
        ids = torch.stack([torch.randint(v, (n,), generator=g) for v in vocab], dim=1)
        ids[:, 0] = user  # field 0 is the user: constant within a task
        score = sum(taste[f][ids[:, f]] for f in range(len(vocab)))
        y = torch.clamp(torch.round(3 + score + 0.3 * randn(g, n)), 1, 5).reshape(n, 1)
        return ids, y

    tasks = []
    for t in range(n_tasks):
        user = t % vocab[0]
        s_ids, s_y = rows(n_support, user)
        q_ids, q_y = rows(n_query, user)
        tasks.append({"support_ids": enc(s_ids), "support_y": enc(s_y), "query_ids": enc(q_ids), "query_y": enc(q_y)})
    case = {"case": name, "kind": "melu",
            "description": f"{len(vocab)} fields (vocabularies {vocab}) embedded by lookup (one id per field, dim {dim}), "
                           f"concatenated in field order, MLP {sizes} with {activation or 'relu'}, scalar rating output, MSE; "
                           f"inner loop ({inner_steps} steps) adapts only the MLP; meta-gradients for MLP and tables",
            "embedding_dim": dim, "field_vocab_sizes": vocab, "layer_sizes": sizes, "inner_lr": inner_lr,
            "inner_steps": inner_steps, "tables": [enc(t) for t in tables], "params": [enc(p) for p in params],
            "tasks": tasks}
    if activation:
        case["activation"] = activation
    case.update(compute_melu(case))
    return case


def ops_case(name, seed):
    """A subset of the ops at shapes other than the bundled file's, including batched matmul and 3-D inputs."""
    g = torch.Generator().manual_seed(seed)
    specs = [
        ("relu", "", [randn(g, 5, 7)]),
        ("sigmoid", "3-D input", [randn(g, 2, 3, 4, scale=2)]),
        ("tanh", "", [randn(g, 9)]),
        ("exp", "", [randn(g, 4, 6)]),
        ("log", "log is log(|x|+0.5)", [randn(g, 6, 2)]),
        ("softplus", "", [randn(g, 3, 5, scale=3)]),
        ("matmul", "", [randn(g, 7, 3), randn(g, 3, 9)]),
        ("matmul", "batched [T,n,k] x [T,k,m]", [randn(g, 2, 3, 4), randn(g, 2, 4, 5)]),
        ("matmul", "[T,n,k] x [k,m], shared right operand", [randn(g, 3, 2, 4), randn(g, 4, 2)]),
        ("add_bias", "row vector broadcast over rows", [randn(g, 6, 5), randn(g, 5)]),
        ("mul", "", [randn(g, 2, 7), randn(g, 2, 7)]),
        ("div", "", [randn(g, 3, 3), uniform(g, 0.5, 2.0, 3, 3) * torch.sign(randn(g, 3, 3))]),
        ("sum_rows", "sum over dim 0 of a 3-D input", [randn(g, 3, 2, 4)]),
        ("mean_all", "", [randn(g, 5, 3)]),
        ("mse", "", [randn(g, 9, 2), randn(g, 9, 2)]),
        ("bce_with_logits", "mean over elements; second input is the 0/1 target",
         [randn(g, 8, 1, scale=2), (torch.rand(8, 1, generator=g) > 0.5).double()]),
        ("softmax_cross_entropy", "class targets [0,3,1,4], mean over rows", [randn(g, 4, 7, scale=2)]),
        ("concat_cols", "", [randn(g, 4, 1), randn(g, 4, 3), randn(g, 4, 2)]),
        ("transpose", "", [randn(g, 2, 5)]),
        ("tanh_of_matmul", "composition: a nonzero second derivative through matmul", [randn(g, 6, 2), randn(g, 2, 3)]),
    ]
    ops = []
    for op, note, inputs in specs:
        y_shape = OPS[op]([x.clone() for x in inputs]).shape
        w = randn(g, *y_shape)
        v = [randn(g, *x.shape) for x in inputs]
        y, grads, hvp = compute_op(op, inputs, w, v)
        ops.append({"op": op, "note": note, "inputs": [enc(x) for x in inputs], "output": enc(y), "w": enc(w),
                    "grads": [enc(x) for x in grads], "v": [enc(x) for x in v], "hvp": [enc(x) for x in hvp]})
    return {"case": name, "kind": "ops",
            "description": "for each op f: L = sum(w * f(inputs)); grads = dL/dinputs; hvp = d/dinputs of sum_i <grads_i, v_i> "
                           "(Hessian-vector product); shapes other than the bundled ops.json",
            "ops": ops}


def new_cases():
    return [
        maml_case("maml_tanh_2-7-5-3_3step", 101, [2, 7, 5, 3], "tanh", 0.05, 3, 5, 8, 6),
        maml_case("maml_sigmoid_1hidden_2step", 102, [1, 16, 1], "sigmoid", 0.5, 2, 3, 10, 10),
        maml_case("maml_relu_4layer_1step", 103, [3, 10, 10, 6, 2], "relu", 0.05, 1, 2, 12, 7),
        metasgd_case("metasgd_tanh_2step", 104, [1, 12, 8, 1], "tanh", 2, 4, 6, 5),
        melu_case("melu_5fields_3step", 105, [3, 5, 8, 2, 11], 4, [16, 8], 0.05, 3, 4, 10, 6),
        melu_case("melu_2fields_tanh_1step", 106, [4, 9], 3, [5], 0.1, 1, 3, 7, 4, activation="tanh"),
        ops_case("ops_other_shapes", 107),
    ]


def check_differs(case):
    """Second and first order must differ, or the case cannot catch a missing second-order term."""
    if "second_order" not in case:
        return
    key = "meta_grads" if "meta_grads" in case["second_order"] else "meta_grads_params"
    a = torch.cat([dec(t).reshape(-1) for t in case["second_order"][key]])
    b = torch.cat([dec(t).reshape(-1) for t in case["first_order"][key]])
    d = rel_err(b, a)
    assert d > 1e-3, f"{case['case']}: second- and first-order meta-gradients differ by only {d:.2e}"
    print(f"  second vs first order meta-gradients differ by {d:.2e} (norm-relative)")


# ----------------------------------------------------------------------------- checking existing files
def compare(path, name, ours, ref, worst):
    if isinstance(ref, dict) and set(ref) == {"shape", "data"}:
        e = rel_err(dec(ours), dec(ref))
    elif isinstance(ref, (int, float)):
        e = abs(ours - ref) / max(abs(ref), 1e-300)
    elif isinstance(ref, list):
        for i, (o, r) in enumerate(zip(ours, ref)):
            worst = compare(path, f"{name}[{i}]", o, r, worst)
        return worst
    else:
        for k in ref:
            worst = compare(path, f"{name}.{k}", ours[k], ref[k], worst)
        return worst
    return max(worst, (e, f"{os.path.basename(path)} {name}"))


def check(directory):
    worst_all = (0.0, "")
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        case = json.load(open(path))
        kind = case.get("kind")
        worst = (0.0, "")
        if kind == "ops":
            for op in case["ops"]:
                y, grads, hvp = compute_op(op["op"], [dec(x) for x in op["inputs"]], dec(op["w"]), [dec(x) for x in op["v"]])
                ours = {"output": enc(y.reshape(dec(op["output"]).shape)), "grads": [enc(t) for t in grads],
                        "hvp": [enc(t) for t in hvp]}
                worst = compare(path, op["op"], ours, {k: op[k] for k in ("output", "grads", "hvp")}, worst)
        elif kind in COMPUTE:
            ours = COMPUTE[kind](case)
            worst = compare(path, kind, ours, {k: case[k] for k in ours}, worst)
        else:
            print(f"{path}: unknown kind {kind!r}, skipped")
            continue
        print(f"{path}: recomputed, largest relative difference {worst[0]:.1e} ({worst[1]})")
        worst_all = max(worst_all, worst)
    return worst_all[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=OUT_DIR, help="output directory (default: %(default)s)")
    ap.add_argument("--check", metavar="DIR", help="recompute the outputs of DIR/*.json from their inputs and compare")
    args = ap.parse_args()
    if args.check:
        worst = check(args.check)
        sys.exit(0 if worst < 1e-10 else 1)
    os.makedirs(args.out, exist_ok=True)
    for case in new_cases():
        path = os.path.join(args.out, case["case"] + ".json")
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(case, f)
            f.write("\n")
        os.replace(tmp, path)  # atomic: a half-written case never replaces a good one
        print(f"wrote {path}")
        check_differs(case)


if __name__ == "__main__":
    main()
