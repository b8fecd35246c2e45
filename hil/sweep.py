# SPDX-License-Identifier: MIT
"""Fault studies: hardware accuracy before and after fine-tuning, over fault levels, fault
seeds and methods, on the virtual board.

    rows = sweep("runs/digits", "runs/digits/sweep", stuck=[0, .1, .25, .4], flip=[.01, .05],
                 seeds=[1, 2, 3], methods=["software", "hil", "remap", "remap+hil"])

Every (fault, seed, method) is one full hil.finetune run with its own records in
OUT/<stuck|flip>-<level>/seed-<s>/<method>/; a run that finished before is read back, not
redone, so an interrupted sweep continues where it stopped. OUT gets sweep.csv, sweep.json,
one plot per fault kind (before and after, each method, mean and range over seeds) and
report.md.
"""
from __future__ import annotations

import json
import os
from dataclasses import replace

import numpy as np

from hil.config import SWEEP_METHODS, HilConfig
from hil.finetune import finetune
from hil.records import write_csv
from hil.transport import split_options
from host.netlist import write_atomic
from host.progress import Progress, log

KEYS = ["fault", "level", "seed", "method", "epochs", "sw_acc_before", "acc_before", "acc_after", "sw_acc_after",
        "kept_epoch", "seconds"]


def sim_url(board: str, fault: str, level: float, seed: int) -> str:
    base, opts = split_options(board)
    if base != "sim":
        raise ValueError(f"a fault sweep sets the virtual board's faults, so --board must be "
                         f"sim (with options), not {board!r}")
    if {"faults", "fault-seed"} & set(opts):
        raise ValueError("the sweep sets faults= and fault_seed= itself; leave them out of --board")
    query = board.partition("?")[2]
    q = f"faults={fault}={level:g}&fault_seed={seed}" + (f"&{query}" if query else "")
    return f"sim?{q}"


def sweep(run_dir: str, out_dir: str, stuck=(), flip=(), seeds=(1,), methods=("hil",),
          cfg: HilConfig | None = None, flip_passes: int = 5, board: str = "sim",
          progress: bool = True) -> list[dict]:
    cfg = (cfg or HilConfig()).check()
    bad = [m for m in methods if m not in SWEEP_METHODS]
    if bad:
        raise ValueError(f"unknown method(s) {bad}; choose from {', '.join(SWEEP_METHODS)}")
    conds = [("stuck", float(v)) for v in stuck] + [("flip", float(v)) for v in flip]
    if not conds:
        raise ValueError("give fault levels with --stuck and/or --flip")
    for kind, v in conds:
        if not 0 <= v <= 1:
            raise ValueError(f"{kind} level {v} is outside 0..1")
        sim_url(board, kind, v, 0)
    jobs = [(k, v, s, m) for k, v in conds for s in seeds for m in methods]
    os.makedirs(out_dir, exist_ok=True)
    rows = []
    with Progress(len(jobs), "sweep", every_s=0.0, enabled=progress) as bar:
        for kind, level, seed, method in jobs:
            d = os.path.join(out_dir, f"{kind}-{level:g}", f"seed-{seed}", method)
            c = replace(cfg, **SWEEP_METHODS[method])
            if kind == "flip":
                c = replace(c, eval_passes=max(c.eval_passes, flip_passes))
            if os.path.exists(os.path.join(d, "summary.json")):
                with open(os.path.join(d, "summary.json")) as f:
                    s = json.load(f)
            else:
                url = sim_url(board, kind, level, seed)
                s = finetune(c, run_dir, url, out_dir=d, progress=False,
                             resume=os.path.exists(os.path.join(d, "state.pt")),
                             command=f"lgn hil sweep (board {url}, method {method})")
            row = {"fault": kind, "level": level, "seed": seed, "method": method, "epochs": c.epochs,
                   **{k: s[k] for k in ("sw_acc_before", "acc_before", "acc_after", "sw_acc_after",
                                        "kept_epoch", "seconds")}}
            rows.append(row)
            bar.advance(1, last=f"{kind} {level:g} seed {seed} {method}: "
                                f"{row['acc_before']:.3f} -> {row['acc_after']:.3f}")
    _write(out_dir, rows, run_dir)
    return rows


def _write(out_dir: str, rows: list[dict], run_dir: str) -> None:
    write_csv(os.path.join(out_dir, "sweep.csv"), KEYS, rows)
    write_atomic(os.path.join(out_dir, "sweep.json"), json.dumps({"run": run_dir, "rows": rows},
                                                                  indent=1).encode())
    kinds = sorted({r["fault"] for r in rows}, reverse=True)
    for kind in kinds:
        _plot(os.path.join(out_dir, f"{kind}.png"), kind, [r for r in rows if r["fault"] == kind])
    write_atomic(os.path.join(out_dir, "report.md"), _report(rows, kinds, run_dir).encode())
    log(f"sweep: {len(rows)} runs; {os.path.join(out_dir, 'report.md')}")


def table(rows: list[dict]) -> dict:
    """(fault, level, method) -> mean accuracy before and after over the seeds."""
    out: dict = {}
    for r in rows:
        out.setdefault((r["fault"], r["level"], r["method"]), []).append(r)
    return {k: {"before": float(np.mean([r["acc_before"] for r in v])),
                "after": float(np.mean([r["acc_after"] for r in v])),
                "after_min": float(min(r["acc_after"] for r in v)),
                "after_max": float(max(r["acc_after"] for r in v)), "seeds": len(v)}
            for k, v in out.items()}


def _plot(path: str, kind: str, rows: list[dict]) -> None:
    from host.plots import pyplot, save_fig
    plt = pyplot()
    t = table(rows)
    levels = sorted({r["level"] for r in rows})
    methods = list(dict.fromkeys(r["method"] for r in rows))
    fig, ax = plt.subplots(figsize=(6.4, 4))
    before = [np.mean([t[(kind, v, m)]["before"] for m in methods]) for v in levels]
    ax.axhline(100 * float(np.mean([r["sw_acc_before"] for r in rows])), color="gray", ls=":",
               label="software model, as trained")
    ax.plot(levels, [100 * b for b in before], "k--o", label="before (as trained)")
    for m in methods:
        mean = [100 * t[(kind, v, m)]["after"] for v in levels]
        lo = [100 * t[(kind, v, m)]["after_min"] for v in levels]
        hi = [100 * t[(kind, v, m)]["after_max"] for v in levels]
        ax.plot(levels, mean, marker="o", label=f"after: {m}")
        ax.fill_between(levels, lo, hi, alpha=0.15)
    if kind == "flip" and min(levels) > 0:
        ax.set_xscale("log")
    what = "fraction of gate slots stuck" if kind == "stuck" else "flip probability per gate output"
    seeds = max(v["seeds"] for v in t.values())
    ax.set(xlabel=what, ylabel="hardware test accuracy (%)",
           title=f"{kind} faults: mean over {seeds} fault seed(s), band = range")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    save_fig(fig, path)


def _report(rows: list[dict], kinds: list[str], run_dir: str) -> str:
    t = table(rows)
    methods = list(dict.fromkeys(r["method"] for r in rows))
    parts = [f"# Fault sweep of `{run_dir}`\n",
             "Hardware test accuracy (%), mean over fault seeds; each method's figure is after "
             "fine-tuning. `software` never reads the board; `hil` trains on the board's outputs; "
             "`remap` places the netlist around slots the board shows to be dead; `remap+hil` "
             "does both.\n"]
    for kind in kinds:
        levels = sorted({r["level"] for r in rows if r["fault"] == kind})
        parts.append(f"\n![{kind}]({kind}.png)\n")
        parts.append("| " + kind + " | before | " + " | ".join(methods) + " |")
        parts.append("|---" * (2 + len(methods)) + "|")
        for v in levels:
            before = np.mean([t[(kind, v, m)]["before"] for m in methods])
            parts.append(f"| {v:g} | {100 * before:.1f} | " + " | ".join(
                f"{100 * t[(kind, v, m)]['after']:.1f}" for m in methods) + " |")
    parts.append("\nEvery run's own report: `<fault>-<level>/seed-<s>/<method>/report.md`; "
                 "all rows in `sweep.csv`.\n")
    return "\n".join(parts)
