# SPDX-License-Identifier: MIT
"""Training a relaxed logic-gate network, then discretizing it into a netlist.

`train(config, out_dir)` writes out_dir/model.pt, netlist.json, metrics.json (and a
curves.png), each atomically; metrics.json and model.pt are refreshed during training so
a crash loses at most a few seconds of work. Same config and seed, same result.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict

import numpy as np
import torch
import torch.nn.functional as F

from host import datasets
from host.encoding import encode, fit_thermometer
from host.model import Architecture, LogicNet, discretize, save_checkpoint
from host.netlist import write_atomic
from host.progress import Progress, log
from host.prune import prune
from host.softmodel import SoftModel, predict_from_scores
from host.train_config import TrainConfig

def shift_images(x: torch.Tensor, shape: tuple[int, int], s: int, g: torch.Generator) -> torch.Tensor:
    """Move each image by a random (dy, dx) in [-s, s]^2, filling with zeros."""
    n = x.shape[0]
    h, w = shape
    img = F.pad(x.view(n, h, w), (s, s, s, s))
    dy = torch.randint(0, 2 * s + 1, (n,), generator=g)
    dx = torch.randint(0, 2 * s + 1, (n,), generator=g)
    rows = (dy[:, None] + torch.arange(h))[:, :, None]
    cols = (dx[:, None] + torch.arange(w))[:, None, :]
    return img[torch.arange(n)[:, None, None], rows, cols].reshape(n, h * w)


def _encode_t(thr: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return (x[:, :, None] > thr[None]).reshape(x.shape[0], -1).float()


@torch.no_grad()
def _accuracy(model, bits: torch.Tensor, y: torch.Tensor, relaxed: bool, batch: int = 2000) -> float:
    model.train(relaxed)
    correct = 0
    for s in range(0, len(bits), batch):
        correct += int((model(bits[s:s + batch]).argmax(1) == y[s:s + batch]).sum())
    model.train(True)
    return correct / len(bits)


def train(cfg: TrainConfig, out_dir: str | os.PathLike, progress: bool = True) -> dict:
    cfg.check()
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)

    ds = datasets.load(cfg.dataset, cfg.data_dir)
    if cfg.shift and ds.image_shape is None:
        raise ValueError(f"--shift needs an image dataset; {cfg.dataset!r} is a table")
    enc = fit_thermometer(ds.x_train, cfg.levels, cfg.thresholds)
    thr = torch.tensor(enc["thresholds"], dtype=torch.float64).float()
    xtr = torch.from_numpy(ds.x_train)
    ytr = torch.from_numpy(ds.y_train)
    test_bits_np = encode(enc, ds.x_test)
    xte = torch.from_numpy(test_bits_np).float()
    yte = torch.from_numpy(ds.y_test)
    arch = Architecture(inputs=xte.shape[1], widths=[cfg.width] * cfg.layers, classes=ds.classes,
                        tau=cfg.tau, connections=cfg.connections, init=cfg.init, window=cfg.window,
                        grid=ds.image_shape or (1, ds.x_train.shape[1]))
    model = LogicNet(arch, generator=gen)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    steps_per_epoch = -(-len(xtr) // cfg.batch_size)
    sched = (torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs * steps_per_epoch)
             if cfg.schedule == "cosine" else None)
    log(f"train: {cfg.dataset} ({len(xtr)} train / {len(xte)} test), {arch.inputs} input bits, "
        f"{cfg.layers} x {cfg.width} gates, {torch.get_num_threads()} threads")

    history: list[dict] = []
    meta = {"config": asdict(cfg)}
    t_start = time.perf_counter()
    train_seconds = 0.0
    last_save = t_start
    with Progress(cfg.epochs, f"train {cfg.dataset}", enabled=progress) as bar:
        for epoch in range(cfg.epochs):
            t0 = time.perf_counter()
            perm = torch.randperm(len(xtr), generator=gen)
            total_loss = 0.0
            for s in range(0, len(xtr), cfg.batch_size):
                idx = perm[s:s + cfg.batch_size]
                xb = xtr[idx]
                if cfg.shift:
                    xb = shift_images(xb, ds.image_shape, cfg.shift, gen)
                if cfg.noise:
                    xb = xb + cfg.noise * torch.randn(xb.shape, generator=gen)
                loss = F.cross_entropy(model(_encode_t(thr, xb)), ytr[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if sched is not None:
                    sched.step()
                total_loss += loss.item()
            train_seconds += time.perf_counter() - t0
            rec = {"epoch": epoch + 1, "train_loss": total_loss / steps_per_epoch,
                   "test_acc_relaxed": _accuracy(model, xte, yte, relaxed=True),
                   "test_acc_discrete": _accuracy(model, xte, yte, relaxed=False),
                   "seconds": round(train_seconds, 3)}
            history.append(rec)
            bar.advance(1, loss=rec["train_loss"], relaxed=rec["test_acc_relaxed"],
                        discrete=rec["test_acc_discrete"])
            if time.perf_counter() - last_save > 10 or epoch + 1 == cfg.epochs:
                _write_metrics(out_dir, cfg, history, None)
                save_checkpoint(os.path.join(out_dir, "model.pt"), model, meta)
                last_save = time.perf_counter()

    model.eval()
    net = discretize(model, encoding=enc, dataset=cfg.dataset)
    net.save(os.path.join(out_dir, "netlist.json"))
    # The netlist's software model must agree with the discrete torch model bit for bit.
    scores = SoftModel(net).scores(test_bits_np)
    with torch.no_grad():
        torch_scores = model(xte) * cfg.tau
    if not np.array_equal(scores, torch.round(torch_scores).numpy().astype(np.int32)):
        raise RuntimeError("software model and discrete torch model disagree (a bug: please report)")
    _, pruned = prune(net)
    log(f"train: pruning would keep {pruned['gates_after']} of {net.gates} gates "
        f"({pruned['logic_after']} two-input, {pruned['wires_after']} wires/inverters, "
        f"{pruned['constants_after']} constants)")
    final = history[-1]
    summary = {
        "dataset": cfg.dataset,
        "test_acc_relaxed": final["test_acc_relaxed"],
        "test_acc_discrete": float((predict_from_scores(scores) == ds.y_test).mean()),
        "gates": net.gates,
        "gates_after_prune": pruned["gates_after"],
        "logic_gates_after_prune": pruned["logic_after"],
        "seconds": round(train_seconds, 2),
        "wall_seconds": round(time.perf_counter() - t_start, 2),
        "epochs": cfg.epochs,
        "out": out_dir,
    }
    _write_metrics(out_dir, cfg, history, summary)
    _plot(out_dir, history)
    return summary


def _write_metrics(out_dir: str, cfg: TrainConfig, history: list[dict], summary: dict | None) -> None:
    doc = {"config": asdict(cfg), "epochs": history, "summary": summary}
    write_atomic(os.path.join(out_dir, "metrics.json"), json.dumps(doc, indent=1).encode())


def _plot(out_dir: str, history: list[dict]) -> None:
    """curves.png: loss and test accuracy per epoch (a person would rather look than read)."""
    from host.plots import pyplot, save_fig
    plt = pyplot()
    ep = [h["epoch"] for h in history]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.2))
    ax1.plot(ep, [h["train_loss"] for h in history])
    ax1.set(xlabel="epoch", ylabel="train loss", title="loss")
    ax2.plot(ep, [100 * h["test_acc_relaxed"] for h in history], label="relaxed")
    ax2.plot(ep, [100 * h["test_acc_discrete"] for h in history], label="discrete")
    ax2.set(xlabel="epoch", ylabel="test accuracy (%)", title="accuracy")
    late = [100 * h[k] for h in history[len(history) // 10:] for k in ("test_acc_relaxed", "test_acc_discrete")]
    ax2.set_ylim(max(0.0, min(late) - 2), min(100.0, max(late) + 1))  # zoom on where it ends
    ax2.legend()
    fig.tight_layout()
    save_fig(fig, os.path.join(out_dir, "curves.png"))
