# SPDX-License-Identifier: MIT
"""Hardware-in-the-loop fine-tuning: forward on the board, backward through the relaxed twin
(physics-aware training, Wright et al., Nature 2022).

    summary = finetune(HilConfig(), run_dir="runs/digits", board_url="sim?faults=stuck=0.25")

Each step discretizes the relaxed model, pushes the gates that changed to the board, and
reads back the board's outputs of every layer for the batch. Layer k of the twin is then
fed the board's own bits of layer k-1, and its output is replaced, in the forward pass, by
the board's bits of layer k (straight-through): the loss is the hardware's, the gradient
the twin's. What the host knows of the board is only what it measured (hil.placement's
probe), never its fault configuration.

Methods, reported separately by the fault studies:
- `remap`: place the netlist around slots the board shows to be dead (hil.placement);
- `hil` training: the loop above;
- `progressive`: layers frozen into the board one at a time from the input side, the rest
  trained on the host against the board's outputs of the frozen prefix;
- `software`: the baseline, fine-tuning that never reads the board (it cannot see faults).

Everything lives in RUN/hil/ (hil.records): the config, per-epoch metrics, a state file
written atomically at the end of each epoch (so a kill loses at most the epoch under way
and `resume=True` continues from it), plots and report.md.
"""
from __future__ import annotations

import copy
import os
import time
from dataclasses import asdict

import numpy as np
import torch
import torch.nn.functional as F

from hil import placement as PL
from hil.hardware import Hardware
from hil.records import RunRecord
from host import datasets
from host.encoding import encode
from host.model import LogicNet, discretize, load_checkpoint
from host.netlist import Netlist, NetlistError, changed_gates
from host.progress import Progress, log
from host.softmodel import SoftModel, predict_from_scores
from hil.config import HilConfig

class BoardLost(OSError):
    """The board stopped answering mid-run; the records up to the last epoch are kept."""


def load_run(run_dir: str) -> tuple[LogicNet, dict, Netlist]:
    """The trained model and its netlist from a `lgn train` run folder, checked to agree."""
    ckpt = os.path.join(run_dir, "model.pt")
    npath = os.path.join(run_dir, "netlist.json")
    if not os.path.isdir(run_dir):
        raise ValueError(f"run folder {run_dir!r} does not exist (make one with lgn train --out)")
    if not os.path.exists(ckpt):
        raise ValueError(f"{run_dir!r} has no model.pt checkpoint: train first with "
                         f"lgn train --out {run_dir}")
    if not os.path.exists(npath):
        raise ValueError(f"{run_dir!r} has no netlist.json")
    model, meta = load_checkpoint(ckpt)
    net = Netlist.load(npath)
    twin = discretize(model, encoding=net.encoding)
    if (twin.inputs, twin.widths, twin.classes) != (net.inputs, net.widths, net.classes):
        raise NetlistError(f"{npath} ({net.inputs} inputs, widths {net.widths}) does not match "
                           f"model.pt ({twin.inputs} inputs, widths {twin.widths})")
    for k, bad in enumerate(changed_gates(twin, net)):
        if bad.size:
            raise NetlistError(f"{npath} does not match model.pt: layer {k} differs at "
                               f"{bad.size} gates (first: gate {int(bad[0])})")
    return model, meta, net


def _data(meta: dict, net: Netlist):
    cfg = meta.get("config", {})
    name = cfg.get("dataset")
    if name not in datasets.NAMES:
        raise ValueError(f"model.pt does not say which dataset it was trained on ({name!r})")
    ds = datasets.load(name, cfg.get("data_dir"))
    xtr, xte = encode(net.encoding, ds.x_train), encode(net.encoding, ds.x_test)
    if xtr.shape[1] != net.inputs:
        raise ValueError(f"dataset {name!r} encodes to {xtr.shape[1]} bits, the netlist has {net.inputs}")
    return name, xtr, ds.y_train, xte, ds.y_test


def _prefix(net: Netlist, j: int) -> Netlist:
    """Layers 0..j-1 as a netlist the board can hold (one class: its bits are what we read)."""
    if j == len(net.layers):
        return net
    return Netlist(inputs=net.inputs, layers=net.layers[:j], classes=1, encoding=net.encoding)


@torch.no_grad()
def _relaxed_acc(model: LogicNet, x: torch.Tensor, y: np.ndarray) -> float:
    model.train(True)
    return float((model(x).argmax(1).numpy() == y).mean())


class _Loop:
    def __init__(self, cfg: HilConfig, model: LogicNet, net: Netlist, hw: Hardware, data, rec: RunRecord):
        self.cfg, self.model, self.hw, self.rec = cfg, model, hw, rec
        self.net0 = net
        self.name, self.xtr, self.ytr, self.xte, self.yte = data
        self.layers = model.logic_layers
        self.opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        self.steps = -(-len(self.xtr) // cfg.batch_size)
        self.sched = (torch.optim.lr_scheduler.CosineAnnealingLR(self.opt, T_max=max(1, cfg.epochs * self.steps))
                      if cfg.schedule == "cosine" else None)
        self.gen = torch.Generator().manual_seed(cfg.seed)
        self.xte_t = torch.from_numpy(self.xte).float()
        self.noise = cfg.twin_noise or 0.0

    # -- what the board computes ----------------------------------------------------------
    def stage(self, epoch: int) -> int:
        """How many layers are on the board during `epoch` (1-based; progressive mode)."""
        L = len(self.layers)
        if not self.cfg.progressive:
            return L
        if self.cfg.epochs == 0:
            return L
        return min(L - 1, 1 + (epoch - 1) * (L - 1) // self.cfg.epochs)

    def hw_eval(self, net: Netlist, j: int) -> dict:
        """Accuracy with layers 0..j-1 on the board (the rest, if any, in software), on the
        test split and on the training split (the latter picks the epoch to keep)."""
        self.hw.push(_prefix(net, j))
        test, test_passes, scores = self._hw_acc(net, j, self.xte, self.yte)
        train = self._hw_acc(net, j, self.xtr, self.ytr)[0]
        sw = SoftModel(net).scores(self.xte)
        full = j == len(net.layers)
        return {"hw_test_acc": test, "hw_test_acc_passes": test_passes, "hw_train_acc": train,
                "on_board": j, "sw_test_acc": float((predict_from_scores(sw) == self.yte).mean()),
                "mismatches": int((scores != sw * self.hw.copies_placed).any(axis=1).sum()) if full else None}

    def _hw_acc(self, net: Netlist, j: int, x: np.ndarray, y: np.ndarray):
        accs = []
        for _ in range(self.cfg.eval_passes):
            if j == len(net.layers):
                scores = self.hw.scores(x)
            else:
                h = torch.from_numpy(self.hw.layer_bits(x, j - 1)).float()
                with torch.no_grad():
                    self.model.eval()
                    for layer in self.layers[j:]:
                        h = layer(h)
                    self.model.train()
                scores = np.rint(h.reshape(len(h), net.classes, -1).sum(-1).numpy()).astype(np.int64)
            accs.append(float((predict_from_scores(scores) == y).mean()))
            if len(accs) == 1:
                first = scores
        return float(np.mean(accs)), accs, first

    # -- one epoch ------------------------------------------------------------------------
    def epoch(self, epoch: int, bar: Progress) -> dict:
        cfg, model = self.cfg, self.model
        j = self.stage(epoch)
        for k, layer in enumerate(self.layers):
            layer.weights.requires_grad_(k >= j or not cfg.progressive)
        t0 = time.perf_counter()
        link0 = self.hw.session.stats.link_time_s
        perm = torch.randperm(len(self.xtr), generator=self.gen).numpy()
        total, steps, sent, hw_samples = 0.0, 0, 0, 0
        for s in range(0, len(perm), cfg.batch_size):
            idx = perm[s:s + cfg.batch_size]
            xb, yb = self.xtr[idx], torch.from_numpy(self.ytr[idx])
            if cfg.method == "software":
                h = self._twin(torch.from_numpy(xb).float(), self.layers)
                logits = h.reshape(len(h), model.arch.classes, -1).sum(-1) / model.arch.tau
            else:
                net = discretize(model, encoding=self.net0.encoding)
                sent += self.hw.push(_prefix(net, j))
                logits = self._hw_forward(xb, j)
                hw_samples += len(idx) * (1 if cfg.progressive else len(self.layers))
            loss = F.cross_entropy(logits, yb)
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            if self.sched is not None:
                self.sched.step()
            total += loss.item()
            steps += 1
            bar.advance(1, epoch=epoch, loss=round(total / steps, 4))
        seconds = time.perf_counter() - t0
        link_s = self.hw.session.stats.link_time_s - link0
        net = discretize(model, encoding=self.net0.encoding)
        rec = {"epoch": epoch, "stage": j, "train_loss": total / max(steps, 1),
               "relaxed_test_acc": _relaxed_acc(model, self.xte_t, self.yte)}
        rec.update(self.hw_eval(net, len(self.layers) if epoch == cfg.epochs else j))
        rec.update({"gates_sent": sent, "gates_changed": _changed(self.last_net, net),
                    "seconds": round(seconds, 3),
                    "link_samples_per_s": round(hw_samples / link_s, 1) if link_s > 0 else None})
        self.last_net = net
        return rec

    def _twin(self, h: torch.Tensor, layers) -> torch.Tensor:
        """The relaxed layers on their own, each output flipped at random with probability
        `self.noise` (noise injection: the twin learns to live with a noisy board)."""
        for layer in layers:
            h = layer(h)
            if self.noise:
                m = (torch.rand(h.shape, generator=self.gen) < self.noise).float()
                h = h + m * (1 - 2 * h)
        return h

    def _hw_forward(self, xb: np.ndarray, j: int) -> torch.Tensor:
        """Logits whose values are the board's and whose gradient is the twin's."""
        tau = self.model.arch.tau
        if self.cfg.progressive:
            h = self._twin(torch.from_numpy(self.hw.layer_bits(xb, j - 1)).float(), self.layers[j:])
        else:
            h = torch.from_numpy(xb).float()
            for k, layer in enumerate(self.layers):
                z = layer(h)
                hw = torch.from_numpy(self.hw.layer_bits(xb, k)).float()
                h = z + (hw - z).detach()
        return h.reshape(len(h), self.model.arch.classes, -1).sum(-1) / tau


def _changed(a: Netlist | None, b: Netlist) -> int | None:
    return None if a is None else int(sum(c.size for c in changed_gates(a, b)))


def finetune(cfg: HilConfig, run_dir: str, board_url: str, resume: bool = False,
             out_dir: str | None = None, progress: bool = True, command: str | None = None,
             **connect_kw) -> dict:
    """Run (or resume) HIL fine-tuning of the trained run in `run_dir` on `board_url`."""
    from hil.session import connect
    from hil.transport import TransportError

    cfg.check()
    rec = RunRecord(out_dir or os.path.join(run_dir, "hil"))
    state = rec.load_state() if resume else None
    if resume and state is None:
        log(f"hil: nothing to resume in {rec.dir}; starting a new run")
    if state is None:
        rec.start(allow_existing=False)
    else:
        saved = HilConfig.from_dict(state["config"])   # a resumed run keeps its own settings
        if saved != cfg:
            log(f"hil: --resume continues with the run's saved settings: {asdict(saved)}")
        cfg = saved
    model, meta, net0 = load_run(run_dir)
    data = _data(meta, net0)
    t_start = time.perf_counter()
    try:
        session = connect(board_url, **connect_kw)
    except TransportError as e:
        raise BoardLost(f"cannot reach board {board_url!r}: {e}") from None
    with session:
        try:
            return _run(cfg, rec, state, model, net0, data, session, board_url, run_dir, t_start,
                        progress, command)
        except TransportError as e:
            done = len(rec.history)
            raise BoardLost(f"board {board_url!r} stopped answering after {done} complete "
                            f"epoch(s) ({e}); records kept in {rec.dir}; continue with "
                            f"lgn hil --board URL --run {run_dir} --resume") from None


def _run(cfg, rec, state, model, net0, data, session, board_url, run_dir, t_start, progress,
         command) -> dict:
    name = data[0]
    info = session.capacity
    if state is None:
        log(f"hil: {name}, {net0!r} on {board_url} ({info.max_gates} gate slots); "
            f"method {cfg.method}{', remap' if cfg.remap else ''}"
            f"{', progressive' if cfg.progressive else ''}, {cfg.epochs} epochs")
        naive = _Loop(cfg, model, net0, Hardware(session), data, rec)
        before = naive.hw_eval(net0, len(net0.layers))
        log(f"hil: hardware test accuracy as trained: {before['hw_test_acc']:.4f} "
            f"(software model {before['sw_test_acc']:.4f}, {before['mismatches']} samples differ)")
        slots = None
        if cfg.remap:
            t0 = time.perf_counter()
            slots = PL.probe(session)
            log(f"hil: probed {info.max_gates} gate slots in {time.perf_counter() - t0:.1f} s: "
                f"{slots.summary()}")
        header = {"config": asdict(cfg), "board": board_url, "command": command, "run": os.path.abspath(run_dir),
                  "dataset": name, "netlist": {"inputs": net0.inputs, "widths": net0.widths,
                                               "gates": net0.gates},
                  "before": before, "slots": slots.summary() if slots else None}
        state = {"config": asdict(cfg), "epoch": 0, "slots": slots.to_dict() if slots else None}
        loop = _Loop(cfg, model, net0, Hardware(session, slots, cfg.copies), data, rec)
        loop.last_net = net0
        if cfg.remap or cfg.copies != 1:
            header["placement"] = loop.hw.layout(net0.widths, net0.classes).summary()
        first = loop.hw_eval(net0, loop.stage(1) if cfg.progressive else len(net0.layers))
        rec0 = {"epoch": 0, "stage": loop.stage(1), "train_loss": None,
                "relaxed_test_acc": _relaxed_acc(model, loop.xte_t, loop.yte), **first,
                "gates_sent": loop.hw.gates_sent, "gates_changed": 0, "seconds": 0.0,
                "link_samples_per_s": None}
        if cfg.twin_noise is None:
            loop.noise = loop.hw.flip_rate(loop.xtr[:1024])
            log(f"hil: the board's gate outputs flip with p = {loop.noise:.4g} (measured); the "
                f"twin injects that")
        header["twin_noise"] = state["noise"] = loop.noise
        log(f"hil: epoch 0 (placed{' around dead slots' if cfg.remap else ''}"
            f"{f', {loop.hw.copies_placed} copies' if cfg.copies != 1 else ''}): hardware "
            f"test accuracy {first['hw_test_acc']:.4f}")
        _keep_best(state, loop, rec0)
        rec.write_config(header)              # before the state: a resumable run has its config
        rec.save_state(_state(state, loop, [rec0]))
        rec.append(rec0)
    else:
        slots = PL.SlotMap.from_dict(state["slots"]) if state["slots"] else None
        model.load_state_dict(state["model"])
        loop = _Loop(cfg, model, net0, Hardware(session, slots, cfg.copies), data, rec)
        loop.noise = state["noise"]
        loop.opt.load_state_dict(state["optimizer"])
        if loop.sched is not None:
            loop.sched.load_state_dict(state["scheduler"])
        loop.gen.set_state(state["generator"])
        loop.last_net = discretize(model, encoding=net0.encoding)
        rec.restore(state["history"])
        log(f"hil: resuming {rec.dir} after epoch {state['epoch']} of {cfg.epochs}")
    start = state["epoch"] + 1
    with Progress((cfg.epochs - start + 1) * loop.steps, f"hil {name}", enabled=progress) as bar:
        for epoch in range(start, cfg.epochs + 1):
            r = loop.epoch(epoch, bar)
            bar.advance(0, hw_acc=round(r["hw_test_acc"], 4),
                        link_samples_per_s=r["link_samples_per_s"])
            history = rec.history + [r]
            _keep_best(state, loop, r)
            rec.save_state(_state(state, loop, history, epoch))
            rec.append(r)
            bar.log(f"hil: epoch {epoch}/{cfg.epochs} loss {r['train_loss']:.4f} hardware test "
                    f"accuracy {r['hw_test_acc']:.4f} (software {r['sw_test_acc']:.4f}), "
                    f"{r['gates_sent']} gates sent")
    best = state["best"]
    loop.model.load_state_dict(best["model"])
    final = discretize(loop.model, encoding=net0.encoding, dataset=name)
    rec.save_netlist(final)
    header = rec.read_config()
    if header.get("placement"):
        rec.save_placement(loop.hw.layout(final.widths, final.classes).apply(final))
    before = header["before"]["hw_test_acc"]
    h = rec.history
    kept = h[best["epoch"]]
    summary = {
        "acc_before": before,
        "acc_placed": h[0]["hw_test_acc"],
        "acc_after": kept["hw_test_acc"],
        "sw_acc_before": header["before"]["sw_test_acc"],
        "sw_acc_after": kept["sw_test_acc"],
        "mismatches_after": kept["mismatches"],
        "kept_epoch": best["epoch"],
        "epochs": cfg.epochs,
        "per_epoch": [{k: r[k] for k in ("epoch", "stage", "train_loss", "hw_train_acc", "hw_test_acc", "sw_test_acc",
                                         "relaxed_test_acc", "mismatches", "gates_sent")} for r in h],
        "seconds": round(time.perf_counter() - t_start, 2),
        "dir": rec.dir,
    }
    rec.finish(summary)
    return summary


def _keep_best(state: dict, loop: _Loop, r: dict) -> None:
    """The netlist kept at the end is the epoch whose whole network on the board did best
    on the training split (the earliest on a tie): the test split never chooses. The
    software baseline cannot read the board, so it keeps its last epoch."""
    if r["on_board"] != len(loop.layers):
        return
    best = state.get("best")
    if best is None or r["hw_train_acc"] > best["hw_train_acc"] or loop.cfg.method == "software":
        state["best"] = {"epoch": r["epoch"], "hw_train_acc": r["hw_train_acc"],
                         "model": copy.deepcopy(loop.model.state_dict())}


def _state(state: dict, loop: _Loop, history: list[dict], epoch: int = 0) -> dict:
    s = dict(state)
    s.update({"epoch": epoch, "model": loop.model.state_dict(), "optimizer": loop.opt.state_dict(),
              "scheduler": loop.sched.state_dict() if loop.sched else None,
              "generator": loop.gen.get_state(), "history": history})
    return s
