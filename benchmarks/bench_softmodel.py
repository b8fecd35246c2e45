# SPDX-License-Identifier: MIT
"""The bit-exact software model against (1) the discrete torch forward of the same network
and (2) a generated-C bit-sliced evaluation of the same netlist compiled with -O2, the
approach of difflogic's compiled model and the ceiling to approach: bytes in, scores out,
all in C (input packing, gates, class counts by a carry-save adder tree, read-out). One run, same netlist,
same inputs, interleaved repetitions; scores are checked equal before anything is timed.

    python benchmarks/bench_softmodel.py [--netlist N.json] [--batch 65536] [--reps 3] [--json]

Without --netlist: tests/data/digits.netlist.json if present, else a random netlist of the
default digits shape (512 inputs, 4 x 2,000 gates, 10 classes).
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from host.gates import verilog_expr  # noqa: E402
from host.netlist import Netlist, random_netlist  # noqa: E402
from host.softmodel import SoftModel  # noqa: E402


def generate_c(net: Netlist) -> str:
    """One C function from 0/1 bytes to class scores, as a competent user would write it:
    pack 64 samples into one uint64_t per input, straight-line code with a uint64_t per gate
    (expressions from host.gates), per class a carry-save adder tree (full adders on whole
    words, as in Harley-Seal popcounts) down to one word per bit of the count, then each
    sample's score read out of those words."""
    planes = max(1, int(net.group_size).bit_length())
    lines = ["#include <stdint.h>",
             "#include <string.h>",
             "void net_scores(const uint8_t *bits, int64_t n, int32_t *scores) {",
             f"  uint64_t in[{net.inputs}], p[{net.classes * planes}];",
             "  for (int64_t s0 = 0; s0 < n; s0 += 64) {",
             "    const int m = n - s0 < 64 ? (int)(n - s0) : 64;",
             "    memset(in, 0, sizeof in);",
             "    for (int j = 0; j < m; j++) {",
             f"      const uint8_t *row = bits + (s0 + j) * {net.inputs};",
             f"      for (int i = 0; i < {net.inputs}; i++) in[i] |= (uint64_t)(row[i] & 1) << j;",
             "    }"]
    prev = [f"in[{i}]" for i in range(net.inputs)]
    for k, l in enumerate(net.layers):
        cur = []
        for g in range(l.width):
            expr = verilog_expr(int(l.op[g]), prev[l.a[g]], prev[l.b[g]])
            expr = expr.replace("1'b1", "~(uint64_t)0").replace("1'b0", "(uint64_t)0")
            lines.append(f"    const uint64_t v{k}_{g} = {expr};")
            cur.append(f"v{k}_{g}")
        prev = cur
    tmp = 0
    for c in range(net.classes):
        by_weight = {0: prev[c * net.group_size:(c + 1) * net.group_size]}
        for wt in range(planes + 1):
            words = by_weight.get(wt, [])
            while len(words) > 1:
                a, b = words.pop(), words.pop()
                s_, cy = f"sum{tmp}", f"cy{tmp}"
                tmp += 1
                if words:                          # full adder: three words in, two out
                    d = words.pop()
                    lines.append(f"    const uint64_t {s_} = {a} ^ {b} ^ {d}, "
                                 f"{cy} = ({a} & {b}) | ({d} & ({a} ^ {b}));")
                else:                              # half adder
                    lines.append(f"    const uint64_t {s_} = {a} ^ {b}, {cy} = {a} & {b};")
                words.insert(0, s_)
                by_weight.setdefault(wt + 1, []).append(cy)
            if wt < planes:
                lines.append(f"    p[{c * planes + wt}] = {words[0] if words else '0'};")
    lines += ["    for (int j = 0; j < m; j++)",
              f"      for (int c = 0; c < {net.classes}; c++) {{",
              "        int32_t v = 0;",
              f"        for (int b = 0; b < {planes}; b++) v |= (int32_t)((p[c * {planes} + b] >> j) & 1) << b;",
              f"        scores[(s0 + j) * {net.classes} + c] = v;",
              "      }",
              "  }", "}"]
    return "\n".join(lines) + "\n"


class GeneratedC:
    def __init__(self, net: Netlist, workdir: Path):
        src = workdir / "net.c"
        src.write_text(generate_c(net))
        so = workdir / "net.so"
        t = time.perf_counter()
        subprocess.run(["cc", "-O2", "-shared", "-fPIC", str(src), "-o", str(so)], check=True)
        self.compile_s = time.perf_counter() - t
        self.lib = ctypes.CDLL(str(so))
        self.lib.net_scores.argtypes = [ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p]
        self.net = net

    def scores(self, bits: np.ndarray) -> np.ndarray:
        bits = np.ascontiguousarray(bits, dtype=np.uint8)
        out = np.zeros((len(bits), self.net.classes), dtype=np.int32)
        self.lib.net_scores(bits.ctypes.data, len(bits), out.ctypes.data)
        return out


def torch_forward(net: Netlist):
    import torch
    from host.model import from_netlist
    model = from_netlist(net).eval()

    def run(bits, impl):
        for l in model.logic_layers:
            l.implementation = impl
        x = torch.from_numpy(bits).float()
        with torch.no_grad():
            out = [model(x[s:s + 8192]) for s in range(0, len(x), 8192)]
        return torch.round(torch.cat(out) * net.tau).numpy().astype(np.int32)
    return run


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--netlist")
    p.add_argument("--batch", type=int, default=65536)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    rng = np.random.default_rng(0)
    default = ROOT / "tests" / "data" / "digits.netlist.json"
    if args.netlist:
        net = Netlist.load(args.netlist)
    elif default.exists():
        net = Netlist.load(default)
    else:
        net = random_netlist(rng, 512, [2000] * 4, 10)
    bits = rng.integers(0, 2, (args.batch, net.inputs), dtype=np.uint8)
    soft, soft_np = SoftModel(net), SoftModel(net, backend="numpy")
    fwd = torch_forward(net)
    with tempfile.TemporaryDirectory() as tmp:
        gen = GeneratedC(net, Path(tmp))
        runs = {"softmodel": lambda: soft.scores(bits),
                "softmodel_1thread": lambda: soft.scores(bits, threads=1),
                "softmodel_numpy": lambda: soft_np.scores(bits),
                "generated_c_O2_1thread": lambda: gen.scores(bits),
                "torch_discrete_fused": lambda: fwd(bits, "auto"),
                "torch_discrete_plain": lambda: fwd(bits, "python")}
        ref = runs["softmodel"]()
        for name, f in runs.items():  # warm-up and the bit-exactness check
            assert np.array_equal(f(), ref), name
        times = {k: [] for k in runs}
        for _ in range(args.reps):
            for name, f in runs.items():
                t = time.perf_counter()
                f()
                times[name].append(time.perf_counter() - t)
    rate = {k: args.batch / statistics.median(v) for k, v in times.items()}
    res = {"netlist": repr(net), "batch": args.batch, "cpus": os.cpu_count(),
           "samples_per_s": {k: round(v) for k, v in rate.items()},
           "softmodel_vs_torch_fused": round(rate["softmodel"] / rate["torch_discrete_fused"], 1),
           "softmodel_vs_torch_plain": round(rate["softmodel"] / rate["torch_discrete_plain"], 1),
           "softmodel_vs_generated_c": round(rate["softmodel"] / rate["generated_c_O2_1thread"], 2),
           "softmodel_1thread_vs_generated_c": round(rate["softmodel_1thread"] / rate["generated_c_O2_1thread"], 2),
           "generated_c_compile_s": round(gen.compile_s, 1)}
    if args.json:
        print(json.dumps(res))
    else:
        for k, v in rate.items():
            print(f"{k:24s} {v:12,.0f} samples/s")
        for k in res:
            if k.startswith("softmodel_") or k.endswith("_s"):
                print(f"{k}: {res[k]}")
    return res


if __name__ == "__main__":
    main()
