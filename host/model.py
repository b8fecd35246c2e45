# SPDX-License-Identifier: MIT
"""A relaxed logic-gate network (LogicLayer stack + GroupSum), its checkpoint, and its
discretization into a netlist."""
from __future__ import annotations

import io
import os
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from host.layers import GroupSum, LogicLayer
from host.netlist import Layer, Netlist, write_atomic

CHECKPOINT_FORMAT = "lgn-model"
CHECKPOINT_VERSION = 1


@dataclass
class Architecture:
    inputs: int
    widths: list[int]
    classes: int
    tau: float
    connections: str = "random"
    init: str = "gaussian"
    grid: tuple[int, int] | None = None   # (h, w) of the input image, for local wiring
    window: int = 0                       # local wiring's reach in pixels (0: by the grid's size)

    def check(self) -> "Architecture":
        if not self.widths or any(w < 1 for w in self.widths):
            raise ValueError(f"layer widths must be positive, got {self.widths}")
        if self.widths[-1] % self.classes:
            raise ValueError(f"the last layer's width {self.widths[-1]} must be a multiple of "
                             f"the {self.classes} classes")
        if self.tau <= 0:
            raise ValueError(f"tau must be positive, got {self.tau}")
        return self


class LogicNet(nn.Sequential):
    """LogicLayer x len(widths), then GroupSum. Input: [batch, inputs] bits as floats."""

    def __init__(self, arch: Architecture, generator: torch.Generator | None = None):
        arch.check()
        layers, prev = [], arch.inputs
        grid = tuple(arch.grid) if arch.grid else None
        for k, w in enumerate(arch.widths):
            last = k == len(arch.widths) - 1
            layers.append(LogicLayer(prev, w, connections=arch.connections, init=arch.init,
                                     generator=generator, grid=grid, groups=arch.classes if last else None,
                                     window=arch.window))
            prev = w
        super().__init__(*layers, GroupSum(arch.classes, arch.tau))
        self.arch = arch

    @property
    def logic_layers(self) -> list[LogicLayer]:
        return [m for m in self if isinstance(m, LogicLayer)]


def discretize(model: LogicNet, encoding: dict | None = None, **extra) -> Netlist:
    """Each node becomes its most likely gate: the netlist the hardware runs."""
    layers = [Layer(l.idx_a.numpy().astype(np.int32), l.idx_b.numpy().astype(np.int32),
                    l.ops().numpy().astype(np.uint8)) for l in model.logic_layers]
    return Netlist(inputs=model.arch.inputs, layers=layers, classes=model.arch.classes,
                   tau=float(model.arch.tau), encoding=encoding or {"kind": "none"},
                   extra=dict(extra)).validate()


def save_checkpoint(path: str | os.PathLike, model: LogicNet, meta: dict | None = None) -> None:
    """Plain tensors and primitives only, so torch.load(..., weights_only=True) reads it."""
    ckpt = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION,
            "architecture": asdict(model.arch), "state_dict": model.state_dict(), "meta": meta or {}}
    buf = io.BytesIO()
    torch.save(ckpt, buf)
    write_atomic(path, buf.getvalue())


def load_checkpoint(path: str | os.PathLike) -> tuple[LogicNet, dict]:
    ckpt = torch.load(path, weights_only=True, map_location="cpu")
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{os.fspath(path)!r} is not an lgn-hil model checkpoint")
    if ckpt.get("version") != CHECKPOINT_VERSION:
        raise ValueError(f"unsupported checkpoint version {ckpt.get('version')!r}")
    model = LogicNet(Architecture(**ckpt["architecture"]))
    model.load_state_dict(ckpt["state_dict"])
    return model, ckpt.get("meta", {})


def from_netlist(net: Netlist, confidence: float = 10.0) -> LogicNet:
    """A relaxed model whose argmax gates and wiring are the netlist's (its eval mode computes
    the netlist exactly); `confidence` is the logit given to each node's gate."""
    net.validate()
    model = LogicNet(Architecture(inputs=net.inputs, widths=net.widths, classes=net.classes, tau=net.tau))
    with torch.no_grad():
        for layer, l in zip(model.logic_layers, net.layers):
            layer.weights.zero_()
            layer.weights[torch.arange(l.width), torch.from_numpy(l.op.astype(np.int64))] = confidence
            layer.idx_a.copy_(torch.from_numpy(l.a.astype(np.int64)))
            layer.idx_b.copy_(torch.from_numpy(l.b.astype(np.int64)))
    return model
