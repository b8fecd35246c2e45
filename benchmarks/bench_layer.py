# SPDX-License-Identifier: MIT
"""Forward+backward of one relaxed logic layer: lgn-hil's LogicLayer against the textbook
form, side by side in one run (ratios, not absolute times, are what this proves on a shared
machine).

baseline16: the 16 gate formulas written out one by one and summed with softmax weights,
            as difflogic's `implementation='python'` does (`bin_op_s`); a test checks it
            computes the same as LogicLayer.
python4   : LogicLayer(implementation="python"): the 4-coefficient form in plain torch.
fused     : LogicLayer default: the 4-coefficient form in one fused C kernel each way.

    python benchmarks/bench_layer.py [--batch 256] [--width 8000] [--reps 5] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# as the `lgn` process does (hil/cli.py): before torch loads, so its OpenMP workers sleep
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402
from host.layers import LogicLayer  # noqa: E402


def baseline16(a, b, w):
    """Deliberately naive reference, as difflogic's `implementation='python'` writes it
    (`bin_op_s`): each of the 16 gates spelled out as its own formula, evaluated and
    accumulated with its softmax weight one after the other."""
    formulas = [
        lambda a, b: torch.zeros_like(a),
        lambda a, b: a * b,
        lambda a, b: a - a * b,
        lambda a, b: a,
        lambda a, b: b - a * b,
        lambda a, b: b,
        lambda a, b: a + b - 2 * a * b,
        lambda a, b: a + b - a * b,
        lambda a, b: 1 - (a + b - a * b),
        lambda a, b: 1 - (a + b - 2 * a * b),
        lambda a, b: 1 - b,
        lambda a, b: 1 - b + a * b,
        lambda a, b: 1 - a,
        lambda a, b: 1 - a + a * b,
        lambda a, b: 1 - a * b,
        lambda a, b: torch.ones_like(a),
    ]
    r = torch.zeros_like(a)
    for i, f in enumerate(formulas):
        r = r + w[:, i] * f(a, b)
    return r


def make_step(kind, layer, x):
    if kind == "baseline16":
        def step():
            w = torch.softmax(layer.weights, -1)
            y = baseline16(x[:, layer.idx_a], x[:, layer.idx_b], w)
            y.sum().backward()
    else:
        impl = "python" if kind == "python4" else "fused"

        def step():
            layer.implementation = impl
            layer(x).sum().backward()
    return step


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--width", type=int, default=8000)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    torch.manual_seed(0)
    layer = LogicLayer(args.width, args.width)
    x = torch.rand(args.batch, args.width, requires_grad=True)
    kinds = ["baseline16", "python4", "fused"]
    steps = {k: make_step(k, layer, x) for k in kinds}
    times = {k: [] for k in kinds}
    for k in kinds:  # warm-up (and the fused kernel's first build)
        steps[k]()
    for _ in range(args.reps):  # interleaved, so load changes hit every contender alike
        for k in kinds:
            layer.zero_grad(set_to_none=True)
            x.grad = None
            t = time.perf_counter()
            steps[k]()
            times[k].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    res = {"batch": args.batch, "width": args.width, "threads": torch.get_num_threads(),
           "ms": {k: round(v * 1e3, 2) for k, v in med.items()},
           "speedup_fused_vs_baseline16": round(med["baseline16"] / med["fused"], 1),
           "speedup_python4_vs_baseline16": round(med["baseline16"] / med["python4"], 1)}
    if args.json:
        print(json.dumps(res))
    else:
        for k in kinds:
            print(f"{k:11s} {med[k] * 1e3:9.2f} ms   x{med['baseline16'] / med[k]:6.1f} vs baseline16")
    return res


if __name__ == "__main__":
    main()
