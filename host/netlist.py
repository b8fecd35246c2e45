# SPDX-License-Identifier: MIT
"""The netlist: layers of (input a, input b, gate op), plus GroupSum (DESIGN.md contract 2).

On disk it is versioned JSON:

    {"format": "lgn-netlist", "version": 1, "inputs": 320, "encoding": {...},
     "layers": [{"a": [..], "b": [..], "op": [..]}, ...], "classes": 10, "tau": 10.0}

Layer 0's `a`/`b` index the input bits; layer k's index layer k-1's outputs. The last
layer's outputs split into `classes` consecutive groups; a class score is the popcount
of its group. This module needs numpy only (no torch): the PYNQ board agent imports it.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from host.gates import NAMES, N_OPS

FORMAT = "lgn-netlist"
VERSION = 1


class NetlistError(ValueError):
    """A netlist that cannot be honoured; the message names the problem."""


@dataclass
class Layer:
    a: np.ndarray  # int32 [width]: index into the previous layer's outputs
    b: np.ndarray
    op: np.ndarray  # uint8 [width]: gate truth table

    @property
    def width(self) -> int:
        return int(self.op.shape[0])


@dataclass
class Netlist:
    inputs: int
    layers: list[Layer]
    classes: int
    tau: float = 1.0
    encoding: dict = field(default_factory=lambda: {"kind": "none"})
    extra: dict = field(default_factory=dict)  # keys we carry but do not interpret

    # -- shape -------------------------------------------------------------------
    @property
    def widths(self) -> list[int]:
        return [layer.width for layer in self.layers]

    @property
    def gates(self) -> int:
        return sum(self.widths)

    @property
    def outputs(self) -> int:
        return self.layers[-1].width

    @property
    def group_size(self) -> int:
        return self.outputs // self.classes

    def __repr__(self) -> str:
        return (f"Netlist(inputs={self.inputs}, widths={self.widths}, classes={self.classes}, "
                f"tau={self.tau}, gates={self.gates})")

    # -- checks ------------------------------------------------------------------
    def validate(self) -> "Netlist":
        """Raise NetlistError naming the first problem; return self when sound."""
        if not isinstance(self.inputs, (int, np.integer)) or self.inputs < 1:
            raise NetlistError(f"'inputs' must be a positive integer, got {self.inputs!r}")
        if not self.layers:
            raise NetlistError("netlist has no layers")
        prev = self.inputs
        for k, layer in enumerate(self.layers):
            n = layer.op.shape[0]
            if n == 0:
                raise NetlistError(f"layer {k} is empty")
            if layer.a.shape != (n,) or layer.b.shape != (n,):
                raise NetlistError(f"layer {k}: 'a', 'b' and 'op' must have the same length "
                                   f"(got {layer.a.shape[0]}, {layer.b.shape[0]}, {n})")
            for name, idx in (("a", layer.a), ("b", layer.b)):
                bad = np.flatnonzero((idx < 0) | (idx >= prev))
                if bad.size:
                    g = int(bad[0])
                    raise NetlistError(f"layer {k} gate {g}: input {name}={int(idx[g])} is out of "
                                       f"range 0..{prev - 1}")
            bad = np.flatnonzero(layer.op >= N_OPS)
            if bad.size:
                g = int(bad[0])
                raise NetlistError(f"layer {k} gate {g}: op {int(layer.op[g])} is outside 0..15")
            prev = n
        if not isinstance(self.classes, (int, np.integer)) or self.classes < 1:
            raise NetlistError(f"'classes' must be a positive integer, got {self.classes!r}")
        if prev % self.classes:
            raise NetlistError(f"last layer width {prev} does not split into {self.classes} "
                               f"equal class groups")
        if not (isinstance(self.tau, (int, float)) and np.isfinite(self.tau) and self.tau > 0):
            raise NetlistError(f"'tau' must be a positive number, got {self.tau!r}")
        if not isinstance(self.encoding, dict) or "kind" not in self.encoding:
            raise NetlistError("'encoding' must be an object with a 'kind'")
        return self

    # -- (de)serialisation ---------------------------------------------------------
    def to_dict(self) -> dict:
        d = dict(self.extra)
        d.update({
            "format": FORMAT, "version": VERSION, "inputs": int(self.inputs),
            "encoding": self.encoding,
            "layers": [{"a": l.a.tolist(), "b": l.b.tolist(), "op": l.op.tolist()}
                       for l in self.layers],
            "classes": int(self.classes), "tau": float(self.tau),
        })
        return d

    @classmethod
    def from_dict(cls, d: Any) -> "Netlist":
        if not isinstance(d, dict):
            raise NetlistError(f"netlist must be a JSON object, got {type(d).__name__}")
        if d.get("format") != FORMAT:
            raise NetlistError(f"'format' must be {FORMAT!r}, got {d.get('format')!r}")
        if d.get("version") != VERSION:
            raise NetlistError(f"unsupported netlist version {d.get('version')!r} "
                               f"(this reader supports version {VERSION})")
        for key in ("inputs", "layers", "classes"):
            if key not in d:
                raise NetlistError(f"missing key {key!r}")
        if not isinstance(d["layers"], list):
            raise NetlistError("'layers' must be a list")
        layers = []
        for k, ld in enumerate(d["layers"]):
            if not isinstance(ld, dict):
                raise NetlistError(f"layer {k} must be an object with 'a', 'b', 'op'")
            arrs = []
            for key in ("a", "b", "op"):
                if key not in ld:
                    raise NetlistError(f"layer {k}: missing key {key!r}")
                v = ld[key]
                if not isinstance(v, list) or not all(
                        isinstance(x, int) and not isinstance(x, bool) for x in v):
                    raise NetlistError(f"layer {k}: {key!r} must be a list of integers")
                arrs.append(np.asarray(v, dtype=np.int64).reshape(-1))
            a, b, op = arrs
            if op.size and (op.min() < 0 or op.max() >= N_OPS):
                g = int(np.flatnonzero((op < 0) | (op >= N_OPS))[0])
                raise NetlistError(f"layer {k} gate {g}: op {int(op[g])} is outside 0..15")
            for name, idx in (("a", a), ("b", b)):
                if idx.size and (idx.min() < 0 or idx.max() > np.iinfo(np.int32).max):
                    g = int(np.flatnonzero((idx < 0) | (idx > np.iinfo(np.int32).max))[0])
                    raise NetlistError(f"layer {k} gate {g}: input {name}={int(idx[g])} is out of range")
            layers.append(Layer(a.astype(np.int32), b.astype(np.int32), op.astype(np.uint8)))
        for key, typ in (("inputs", int), ("classes", int)):
            if not isinstance(d[key], typ) or isinstance(d[key], bool):
                raise NetlistError(f"{key!r} must be an integer, got {d[key]!r}")
        tau = d.get("tau", 1.0)
        if not isinstance(tau, (int, float)) or isinstance(tau, bool):
            raise NetlistError(f"'tau' must be a number, got {tau!r}")
        known = {"format", "version", "inputs", "encoding", "layers", "classes", "tau"}
        net = cls(inputs=d["inputs"], layers=layers, classes=d["classes"], tau=float(tau),
                  encoding=d.get("encoding", {"kind": "none"}),
                  extra={k: v for k, v in d.items() if k not in known})
        return net.validate()

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    def save(self, path: str | os.PathLike) -> None:
        write_atomic(path, self.to_json().encode())

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Netlist":
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except OSError as e:
            raise NetlistError(f"cannot read netlist {os.fspath(path)!r}: {e.strerror}") from None
        try:
            d = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise NetlistError(f"{os.fspath(path)!r} is not valid JSON ({e})") from None
        return cls.from_dict(d)

    # -- a stable text dump for golden tests --------------------------------------------
    def dump(self) -> str:
        lines = [f"(netlist inputs={self.inputs} classes={self.classes} tau={self.tau:g})"]
        for k, layer in enumerate(self.layers):
            lines.append(f"(layer {k} width={layer.width}")
            for g in range(layer.width):
                lines.append(f"  ({g} {NAMES[layer.op[g]]} {layer.a[g]} {layer.b[g]})")
            lines.append(")")
        return "\n".join(lines)


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` so that `path` is either the old file or the whole new one, never a part."""
    path = os.fspath(path)
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; give the file a normal mode
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def changed_gates(a: Netlist, b: Netlist) -> list[np.ndarray]:
    """Per layer, the indices of the gates whose inputs or op differ between two netlists of
    the same widths."""
    return [np.flatnonzero((x.a != y.a) | (x.b != y.b) | (x.op != y.op)) for x, y in zip(a.layers, b.layers)]


def random_netlist(rng: np.random.Generator, inputs: int, widths: list[int], classes: int,
                   tau: float = 1.0) -> Netlist:
    """A random, valid netlist (for tests and benchmarks): uniform ops and wiring."""
    assert widths[-1] % classes == 0, (widths, classes)
    layers, prev = [], inputs
    for w in widths:
        layers.append(Layer(rng.integers(0, prev, w, dtype=np.int32),
                            rng.integers(0, prev, w, dtype=np.int32),
                            rng.integers(0, N_OPS, w, dtype=np.uint8)))
        prev = w
    return Netlist(inputs=inputs, layers=layers, classes=classes, tau=tau).validate()
