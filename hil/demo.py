# SPDX-License-Identifier: MIT
"""`lgn demo`: the whole loop on the embedded defaults, one command.

1. train the default digits network and discretize it (`lgn train`);
2. verify its compiled RTL in Verilator against the software model (`lgn rtl --verify`);
3. put it on a virtual board with 25% of its gate slots stuck at a constant (which the host
   is not told) and measure the drop;
4. fine-tune three ways and measure each on the board: in software only (the baseline,
   blind to the board), on the board's outputs (hardware in the loop), and on the board's
   outputs after placing the netlist around the slots the board shows to be dead;
5. write report.md with the plots.

Every step is the same code the `lgn` commands run; OUT/ keeps each step's own records.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import replace

from hil.config import DEMO_BOARD, HilConfig
from hil.finetune import finetune
from host.netlist import write_atomic
from host.progress import log

#: (folder, label, how the run differs from the default HilConfig)
METHODS = [
    ("software", "software only (blind to the board)", dict(method="software", remap=False)),
    ("hil", "hardware in the loop", dict(method="hil", remap=False)),
    ("remap+hil", "placed around dead slots + hardware in the loop", dict(method="hil", remap=True)),
]


def _lgn(argv: list[str]) -> dict:
    """Run an `lgn` command in this process; its dict, or UsageError with its message."""
    from hil.cli import build_parser
    args = build_parser().parse_args(argv)
    return args.func(args)


def demo(out: str, board: str = DEMO_BOARD, epochs: int | None = None, verify_rtl: bool = True) -> dict:
    epochs = HilConfig().epochs if epochs is None else epochs
    t0 = time.perf_counter()
    train_dir = os.path.join(out, "train")
    log(f"demo: 1/4 training the default digits network in {train_dir}")
    trained = _lgn(["train", "--dataset", "digits", "--out", train_dir])
    netlist = os.path.join(train_dir, "netlist.json")
    res = {"out": out, "board": board, "train": {k: trained[k] for k in
                                                  ("test_acc_relaxed", "test_acc_discrete", "gates", "seconds")}}
    if verify_rtl:
        log("demo: 2/4 verifying the compiled RTL in Verilator against the software model")
        rtl = _lgn(["rtl", netlist, "--out", os.path.join(out, "rtl"), "--verify", "--dataset", "digits"])
        res["rtl"] = {k: rtl[k] for k in ("samples", "mismatches", "gates_after_prune", "latency_cycles")}
    log(f"demo: 3/4 fine-tuning on the board {board} three ways, {epochs} epochs each")
    runs = {}
    for name, label, kw in METHODS:
        log(f"demo: --- {label}")
        cfg = replace(HilConfig(epochs=epochs), **kw)
        runs[name] = finetune(cfg, train_dir, board, out_dir=os.path.join(out, name), progress=False,
                              command=f"lgn hil --board '{board}' --run {train_dir} --epochs {epochs} "
                                      f"--out {os.path.join(out, name)}"
                                      + (" --method software --no-remap" if name == "software" else
                                         " --no-remap" if name == "hil" else ""))
    before = runs["hil"]["acc_before"]
    sw = runs["hil"]["sw_acc_before"]
    res["acc_software"] = sw
    res["acc_before"] = before
    res["methods"] = {}
    for name, label, _ in METHODS:
        after = runs[name]["acc_after"]
        lost = sw - before
        res["methods"][name] = {"label": label, "acc_after": after,
                                "recovered": round((after - before) / lost, 4) if lost > 0 else None,
                                "seconds": runs[name]["seconds"], "report": os.path.join(out, name, "report.md")}
    log("demo: 4/4 writing the report")
    _plots(out, runs, sw, before)
    res["report"] = os.path.join(out, "report.md")
    res["seconds"] = round(time.perf_counter() - t0, 1)
    write_atomic(res["report"], _report(res, epochs).encode())
    write_atomic(os.path.join(out, "summary.json"), json.dumps(res, indent=1).encode())
    for name, m in res["methods"].items():
        rec = "" if m["recovered"] is None else f", {100 * m['recovered']:.0f}% of the loss recovered"
        log(f"demo: {m['label']}: {100 * before:.1f}% -> {100 * m['acc_after']:.1f}%{rec}")
    log(f"demo: report in {res['report']} ({res['seconds']} s in all)")
    return res


def _plots(out: str, runs: dict, sw: float, before: float) -> None:
    from host.plots import pyplot, save_fig
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 5), gridspec_kw={"width_ratios": [3, 2]})
    for name, label, _ in METHODS:
        h, kept = runs[name]["per_epoch"], runs[name]["kept_epoch"]
        line, = ax1.plot([r["epoch"] for r in h], [100 * r["hw_test_acc"] for r in h], marker="o",
                         label=label)
        ax1.plot([kept], [100 * h[kept]["hw_test_acc"]], marker="*", ms=16, color=line.get_color(),
                 mec="black", ls="none")
    ax1.axhline(100 * sw, color="gray", ls="--", lw=1, label="software model, as trained")
    ax1.axhline(100 * before, color="tab:red", ls="--", lw=1, label="faulty board, as trained")
    ax1.set(xlabel="epoch (0: before fine-tuning)", ylabel="test accuracy on the board (%)",
            title="accuracy on the faulty board while fine-tuning")
    ax1.plot([], [], marker="*", ms=12, color="white", mec="black", ls="none", label="netlist kept")
    ax1.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    ax1.grid(alpha=0.3)
    labels = ["software\nmodel", "board,\nas trained"] + [n for n, _, _ in METHODS]
    vals = [sw, before] + [runs[n]["acc_after"] for n, _, _ in METHODS]
    colors = ["lightgray", "tab:red", "tab:blue", "tab:orange", "tab:green"]
    bars = ax2.bar(range(len(vals)), [100 * v for v in vals], color=colors)
    ax2.bar_label(bars, fmt="%.1f", fontsize=8)
    ax2.set_xticks(range(len(vals)), labels, fontsize=8)
    ax2.set_ylim(max(0, 100 * min(vals) - 10), 101)
    ax2.set(ylabel="test accuracy (%)", title="before and after fine-tuning")
    fig.tight_layout()
    save_fig(fig, os.path.join(out, "demo.png"))


def _pct(v: float) -> str:
    return f"{100 * v:.1f}%"


def _row(name: str, m: dict) -> str:
    rec = "" if m["recovered"] is None else f"{100 * m['recovered']:.0f}%"
    return (f"| {m['label']} | {_pct(m['acc_after'])} | {rec} | {m['seconds']} s "
            f"| [{name}/report.md]({name}/report.md) |")


def _report(res: dict, epochs: int) -> str:
    pct = _pct
    rows = "\n".join(_row(name, m) for name, m in res["methods"].items())
    rtl = res.get("rtl")
    rtl_line = (f"The compiled RTL ({rtl['gates_after_prune']} gates after pruning, {rtl['latency_cycles']} "
                f"cycles of latency) ran the {rtl['samples']} test samples in Verilator with "
                f"{rtl['mismatches']} mismatches against the software model ([rtl/](rtl/))."
                if rtl else "The compiled RTL was not verified in this run.")
    t = res["train"]
    return f"""# lgn demo

Made by `lgn demo` in {res['seconds']} s.

1. **Trained** the default digits network (4 x 2,000 gates): {pct(t['test_acc_discrete'])} test
   accuracy as a discrete netlist ([train/curves.png](train/curves.png)).
2. **Verified** the compiled RTL: {rtl_line}
3. **Put it on a faulty board**, `{res['board']}`: a virtual board running the engine RTL
   with a quarter of its gate slots stuck at a constant, which the host is not told.
   Test accuracy on the board: **{pct(res['acc_before'])}** (software model: {pct(res['acc_software'])}).
4. **Fine-tuned** for {epochs} epochs three ways:

| method | accuracy on the board after | share of the loss recovered | time | records |
|---|---|---|---|---|
{rows}

![accuracy on the board per epoch, and before/after](demo.png)

Software-only fine-tuning cannot see the faults: what it changes on the board is chance,
and it keeps its last epoch as a user without a board would. Hardware in the
loop runs each batch on the board and trains the relaxed twin on the board's own outputs
(forward on the board, backward through the twin). Placement loads constants into every
gate slot, reads them back to find the dead ones, and lays the netlist out around them,
which restores the network exactly. The two board-reading methods keep the epoch whose
netlist does best on the board on the training split (a star in the plot); the test split
never chooses.
"""
