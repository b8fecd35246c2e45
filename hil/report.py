# SPDX-License-Identifier: MIT
"""Plots and report.md of a hardware-in-the-loop run (written by hil.records when it ends)."""
from __future__ import annotations

import os

import numpy as np

from host.gates import NAMES, N_OPS
from host.netlist import Netlist, write_atomic
from host.plots import pyplot, save_fig


def curves(path: str, history: list[dict], before: dict, kept: int) -> None:
    """Loss, and test accuracy per epoch: relaxed twin, software model, hardware."""
    plt = pyplot()
    ep = [h["epoch"] for h in history]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    tl = [(h["epoch"], h["train_loss"]) for h in history if h["train_loss"] is not None]
    if tl:
        ax1.plot(*zip(*tl), marker="o")
    ax1.set(xlabel="epoch", ylabel="loss on the board's outputs", title="training loss")
    ax2.plot(ep, [100 * h["hw_test_acc"] for h in history], marker="o", lw=2, label="on the board")
    ax2.plot([kept], [100 * history[kept]["hw_test_acc"]], marker="*", ms=16, color="tab:blue",
             mec="black", ls="none", label="netlist kept")
    ax2.plot(ep, [100 * h["sw_test_acc"] for h in history], marker=".", label="software model (discrete)")
    ax2.plot(ep, [100 * h["relaxed_test_acc"] for h in history], ls=":", label="relaxed twin")
    ax2.axhline(100 * before["hw_test_acc"], color="tab:red", ls="--", lw=1,
                label="on the board, as trained")
    ax2.axhline(100 * before["sw_test_acc"], color="gray", ls="--", lw=1, label="software, as trained")
    ax2.set(xlabel="epoch (0: placed, before training)", ylabel="test accuracy (%)",
            title="test accuracy")
    ax2.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    save_fig(fig, path)


def before_after(path: str, header: dict, history: list[dict], summary: dict) -> None:
    """Bars: the board as trained, after placement, after fine-tuning, against software."""
    plt = pyplot()
    labels = ["as trained", "placed" if header.get("placement") else "epoch 0",
              f"fine-tuned (epoch {summary['kept_epoch']} kept)"]
    kept = history[summary["kept_epoch"]]
    hw = [header["before"]["hw_test_acc"], history[0]["hw_test_acc"], kept["hw_test_acc"]]
    sw = [header["before"]["sw_test_acc"], history[0]["sw_test_acc"], kept["sw_test_acc"]]
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(6, 3.6))
    b1 = ax.bar(x - 0.2, [100 * v for v in sw], 0.4, label="software model", color="lightgray")
    b2 = ax.bar(x + 0.2, [100 * v for v in hw], 0.4, label="on the board", color="tab:blue")
    ax.bar_label(b1, fmt="%.1f", fontsize=8)
    ax.bar_label(b2, fmt="%.1f", fontsize=8)
    ax.set_xticks(x, labels)
    lo = min(hw + sw) * 100
    ax.set_ylim(max(0, lo - 10), 101)
    ax.set(ylabel="test accuracy (%)", title=f"board: {header['board']}")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    save_fig(fig, path)


def gate_histogram(path: str, before: Netlist, after: Netlist) -> None:
    """Gate types per layer, as trained and after fine-tuning."""
    plt = pyplot()
    L = len(before.layers)
    fig, axes = plt.subplots(1, L, figsize=(3.2 * L, 3.0), sharey=True, squeeze=False)
    x = np.arange(N_OPS)
    for k, ax in enumerate(axes[0]):
        nb = np.bincount(before.layers[k].op, minlength=N_OPS)
        na = np.bincount(after.layers[k].op, minlength=N_OPS)
        ax.bar(x - 0.2, nb, 0.4, color="lightgray", label="as trained")
        ax.bar(x + 0.2, na, 0.4, color="tab:blue", label="fine-tuned")
        ax.set_xticks(x, NAMES, rotation=90, fontsize=6)
        ax.set_title(f"layer {k} ({before.layers[k].width} gates)", fontsize=9)
    axes[0][0].set_ylabel("gates")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    save_fig(fig, path)


def _row(h: dict, pct) -> str:
    loss = "" if h["train_loss"] is None else f"{h['train_loss']:.4f}"
    mism = "" if h["mismatches"] is None else h["mismatches"]
    return (f"| {h['epoch']} | {h['stage']} | {loss} | {pct(h['relaxed_test_acc'])} "
            f"| {pct(h['sw_test_acc'])} | {pct(h['hw_test_acc'])} | {mism} | {h['gates_sent']} |")


def _placement_line(slots: dict | None, pl: dict | None) -> str:
    line = ""
    if slots:
        line += (f"{slots['good']} of {slots['slots']} gate slots computed; {slots['stuck_0']} read "
                 f"a constant 0 and {slots['stuck_1']} a constant 1 (measured by loading constants "
                 f"and reading them back). ")
    if not pl:
        return line + "The netlist was loaded as it is (no placement)."
    copies = f" in {pl['copies']} copies that vote in every class score" if pl["copies"] > 1 else ""
    return line + (f"The netlist was placed{' around them' if slots else ''}{copies}: physical "
                   f"widths {pl['physical_widths']}, every class score +{pl['score_offset']}.")


def write(out_dir: str, header: dict, history: list[dict], summary: dict) -> None:
    p = lambda name: os.path.join(out_dir, name)  # noqa: E731
    curves(p("curves.png"), history, header["before"], summary["kept_epoch"])
    before_after(p("before_after.png"), header, history, summary)
    trained = Netlist.load(os.path.join(header["run"], "netlist.json"))
    gate_histogram(p("gates.png"), trained, Netlist.load(p("netlist.json")))
    cfg = header["config"]
    pct = lambda v: "n/a" if v is None else f"{100 * v:.1f}%"  # noqa: E731
    rows = "\n".join(_row(h, pct) for h in history)
    slot_line = _placement_line(header.get("slots"), header.get("placement"))
    kept = history[summary["kept_epoch"]]
    text = f"""# Hardware-in-the-loop run: {header['dataset']} on `{header['board']}`

Made by `{header.get('command') or 'lgn hil'}`.

| | software model | on the board |
|---|---|---|
| as trained | {pct(header['before']['sw_test_acc'])} | {pct(header['before']['hw_test_acc'])} |
| epoch 0 ({'placed' if header.get('placement') else 'loaded'}) | {pct(history[0]['sw_test_acc'])} | {pct(history[0]['hw_test_acc'])} |
| after {summary['epochs']} epochs (epoch {summary['kept_epoch']} kept) | {pct(kept['sw_test_acc'])} | **{pct(kept['hw_test_acc'])}** |

Method `{cfg['method']}`{', progressive' if cfg['progressive'] else ''}, lr {cfg['lr']}, batch
{cfg['batch_size']}, seed {cfg['seed']}, {cfg['eval_passes']} hardware test pass(es) per evaluation;
{summary['seconds']} s in all. {slot_line} The netlist kept is the epoch that did best on the
board on the training split (the software method, blind to the board, keeps its last).

![accuracy per epoch](curves.png)

![before and after](before_after.png)

![gate types per layer](gates.png)

| epoch | layers on board | loss | relaxed | software | board | samples differing | gates sent |
|---|---|---|---|---|---|---|---|
{rows}

Files: `config.json`, `metrics.csv`, `metrics.json`, `summary.json`, `netlist.json` (fine-tuned){', `placed.json` (what the board ran)' if header.get('placement') else ''}.
"""
    write_atomic(p("report.md"), text.encode())
