# SPDX-License-Identifier: MIT
"""Defect-tolerant placement: measure which of the engine's gate slots do not compute, then
lay a netlist out so that none of its gates sits on one (as FPGAs and memories are repaired
around bad cells).

    slots = probe(board)                      # measured on the board, nothing else read
    pl = place(net.widths, net.classes, slots, board.capacity)
    board.load(pl.apply(net))                 # the physical netlist
    pl.logical_bits(k, bits)                  # the board's layer-k bits in the netlist's order
    scores = pl.logical_scores(board_scores)  # the netlist's own class scores

The engine stores layer k's gate j in slot base_k + j, each layer starting on a new row of
`gates_per_cycle` slots (rtl.protocol.gate_slots). `probe` loads every slot with FALSE and
reads it back, then with TRUE: a slot that reads 1 the first time is stuck at 1, one that
reads 0 the second time is stuck at 0. Each read is the majority of LANES samples, so
random output flips do not pass for dead slots.

`place` widens each layer with padding gates so that the netlist's gates land on good slots
in their original order; the next layer's inputs follow them. The last layer keeps its
GroupSum shape: every class group gets the same widened size, its gates on good slots,
and padding that reads 1 (dead slots stuck at 1, topped up with TRUE gates on good ones)
in equal number in every group. Each class score is then the netlist's score plus that
number, `score_offset`, and argmax and ties are unchanged.

With `copies` = R > 1 the netlist is placed R times side by side (copy r of a layer reads
copy r of the layer before) and every class group counts all copies' gates: on a board
whose gates flip at random, the class scores are a vote of R independent evaluations.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from host.gates import NAMES
from host.netlist import Layer, Netlist
from rtl import protocol as P

FALSE, TRUE = NAMES.index("FALSE"), NAMES.index("TRUE")
GOOD, UNKNOWN = -1, -2           # SlotMap.stuck values besides the stuck value 0 or 1


class PlacementError(ValueError):
    """The netlist cannot be laid out on the good slots within the board's limits."""


@dataclass
class SlotMap:
    """stuck[s]: GOOD, 0 or 1 (the constant slot s outputs), or UNKNOWN (not probed)."""
    stuck: np.ndarray

    @property
    def dead(self) -> np.ndarray:
        return self.stuck != GOOD

    def summary(self) -> dict:
        s = self.stuck
        return {"slots": int(s.size), "good": int((s == GOOD).sum()), "stuck_0": int((s == 0).sum()),
                "stuck_1": int((s == 1).sum()), "unknown": int((s == UNKNOWN).sum())}

    def to_dict(self) -> dict:
        return {"stuck": self.stuck.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "SlotMap":
        return cls(np.asarray(d["stuck"], dtype=np.int8))

    @classmethod
    def all_good(cls, slots: int) -> "SlotMap":
        return cls(np.full(slots, GOOD, dtype=np.int8))


def _probe_widths(info: P.Info) -> list[int]:
    row = info.gates_per_cycle
    w = max(row, info.max_width // row * row)
    n = min(info.max_layers, -(-info.max_gates // w))
    return [w] * n


def probe(board, samples: int | None = None) -> SlotMap:
    """Measure every gate slot of a connected board (a hil.session.Session). Leaves the
    board loaded with the probe network: load the real netlist afterwards."""
    info = board.capacity
    widths = _probe_widths(info)
    n = samples or max(1, info.lanes)
    zeros = np.zeros((n, 1), dtype=np.uint8)
    reads = {}
    for const in (FALSE, TRUE):
        layers = [Layer(np.zeros(w, np.int32), np.zeros(w, np.int32), np.full(w, const, np.uint8))
                  for w in widths]
        board.load(Netlist(inputs=1, layers=layers, classes=1))
        reads[const] = [board.run(zeros, mode=P.RunMode.LAYER_BITS, layer=k).bits.mean(0) > 0.5
                        for k in range(len(widths))]
    stuck = np.full(info.max_gates, UNKNOWN, dtype=np.int8)
    base = 0
    for k, w in enumerate(widths):
        ones_when_false, ones_when_true = reads[FALSE][k], reads[TRUE][k]
        s = np.full(w, GOOD, dtype=np.int8)
        s[~ones_when_true] = 0
        s[ones_when_false] = 1          # reads 1 loaded FALSE (and 1 loaded TRUE)
        s[ones_when_false & ~ones_when_true] = UNKNOWN   # inverted: not a constant fault
        end = min(base + w, info.max_gates)
        stuck[base:end] = s[:end - base]
        base += w
    return SlotMap(stuck)


@dataclass
class Placement:
    """Where each gate of a netlist shape goes: `apply(net)` gives the physical netlist."""
    widths: list[int]             # physical layer widths
    positions: list[np.ndarray]   # per layer: [copies, width] physical index of each gate copy
    ones: np.ndarray              # last layer: padding slots given a TRUE gate
    score_offset: int             # physical class score = copies x logical score + score_offset

    @property
    def copies(self) -> int:
        return int(self.positions[0].shape[0])

    def apply(self, net: Netlist) -> Netlist:
        layers, prev = [], None
        for lay, pos, width in zip(net.layers, self.positions, self.widths):
            op = np.full(width, FALSE, np.uint8)
            pa = np.zeros(width, np.int32)
            pb = np.zeros(width, np.int32)
            for r, p in enumerate(pos):          # copy r reads copy r of the layer before
                op[p] = lay.op
                pa[p] = lay.a if prev is None else prev[r][lay.a]
                pb[p] = lay.b if prev is None else prev[r][lay.b]
            layers.append(Layer(pa, pb, op))
            prev = pos
        layers[-1].op[self.ones] = TRUE
        return Netlist(inputs=net.inputs, layers=layers, classes=net.classes, tau=net.tau,
                       encoding=net.encoding, extra={"placement": self.summary()})

    def logical_bits(self, k: int, bits: np.ndarray) -> np.ndarray:
        """The board's layer-k bits in the netlist's order (the first copy's)."""
        return bits[:, self.positions[k][0]]

    def logical_scores(self, scores: np.ndarray) -> np.ndarray:
        """Physical class scores -> the sum of the copies' scores, in the netlist's scale
        times `copies` (same argmax and ties)."""
        return scores - self.score_offset

    def summary(self) -> dict:
        return {"physical_widths": list(self.widths), "score_offset": self.score_offset,
                "copies": self.copies}


def identity(widths: list[int]) -> Placement:
    return Placement(list(widths), [np.arange(w)[None] for w in widths], np.zeros(0, np.int64), 0)


def place(widths: list[int], classes: int, slots: SlotMap, info: P.Info, copies: int = 1) -> Placement:
    """Lay a netlist of these layer widths out on the good slots of a board with capacity
    `info` (see the module doc); `copies` > 1 places that many copies of the network side by
    side, each class group counting every copy's gates (a vote against random flips)."""
    if copies < 1:
        raise ValueError(f"copies must be >= 1, got {copies}")
    good = slots.stuck == GOOD
    row = info.gates_per_cycle
    phys, positions = [], []
    ones, offset = np.zeros(0, np.int64), 0
    base = 0
    for k, n in enumerate(widths):
        if k < len(widths) - 1:
            pos = _place_hidden(good, base, n * copies, info.max_width).reshape(copies, n)
            width = int(pos.max()) + 1
        else:
            pos, width, ones, offset = _place_groups(slots.stuck, base, n, classes, info.max_width,
                                                     copies)
        phys.append(width)
        positions.append(pos)
        base += -(-width // row) * row
        if base > slots.stuck.size:
            raise PlacementError(f"the netlist needs {base} gate slots around the dead ones; "
                                 f"the board has {slots.stuck.size}")
    return Placement(phys, positions, ones, offset)


def _place_hidden(good: np.ndarray, base: int, n: int, max_width: int) -> np.ndarray:
    free = np.flatnonzero(good[base:base + max_width])
    if free.size < n:
        raise PlacementError(f"{n} gates do not fit the {free.size} good slots of a layer of at most "
                             f"{max_width} starting at slot {base}")
    return free[:n].astype(np.int64)


def _place_groups(stuck: np.ndarray, base: int, n: int, classes: int, max_width: int, copies: int):
    """The last layer: (positions [copies, n], physical width, TRUE padding positions,
    ones per group)."""
    gs = n // classes
    per = gs * copies
    for g in range(per, max_width // classes + 1):
        seg = stuck[base:base + g * classes]
        if seg.size < g * classes:
            break
        seg = seg.reshape(classes, g)
        good = seg == GOOD
        ones = (seg == 1).sum(1)
        top = int(ones.max())
        if ((good.sum(1) - per) < (top - ones)).any():
            continue
        pos, pad = [], []
        for c in range(classes):
            free = np.flatnonzero(good[c]) + c * g
            pos.append(free[:per].reshape(copies, gs))
            pad.append(free[per:per + top - int(ones[c])])
        return (np.concatenate(pos, axis=1).astype(np.int64), g * classes,
                np.concatenate(pad).astype(np.int64), top)
    raise PlacementError(f"the last layer's {classes} class groups of {per} gate copies do not fit the "
                         f"good slots within a width of {max_width}")
