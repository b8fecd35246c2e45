# SPDX-License-Identifier: MIT
"""A board seen through a placement, in the netlist's own terms.

    hw = Hardware(session, slots)        # slots: a measured SlotMap, or None to place as is
    hw = Hardware(session, slots, copies=3)   # three copies voting in every class score
    hw.push(net)                         # only the gates that changed since the last push go
    hw.scores(bits)                      # the netlist's class scores as the board computed them
                                         # (times hw.copies)
    hw.layer_bits(bits, k)               # layer k's outputs on the board, in netlist order

The training loop never sees physical slots: placement (hil.placement) is applied on the
way to the board and undone on the way back.
"""
from __future__ import annotations

import math

import numpy as np

from hil import placement as PL
from host.netlist import Netlist
from rtl import protocol as P


class Hardware:
    def __init__(self, session, slots: PL.SlotMap | None = None, copies: int = 1):
        """copies: copies of the network placed side by side (0: as many as fit)."""
        if slots is None and copies != 1:
            slots = PL.SlotMap.all_good(session.capacity.max_gates)
        self.session, self.slots, self.copies = session, slots, copies
        self.placement: PL.Placement | None = None
        self._layouts: dict = {}
        self.gates_sent = 0

    def layout(self, widths: list[int], classes: int) -> PL.Placement:
        key = (tuple(widths), classes)
        if key not in self._layouts:
            self._layouts[key] = (PL.identity(widths) if self.slots is None else self._place(widths, classes))
        return self._layouts[key]

    def _place(self, widths: list[int], classes: int) -> PL.Placement:
        info = self.session.capacity
        if self.copies:
            return PL.place(widths, classes, self.slots, info, self.copies)
        for r in range(max(1, info.max_width // max(widths)), 1, -1):
            try:
                return PL.place(widths, classes, self.slots, info, r)
            except PL.PlacementError:
                pass
        return PL.place(widths, classes, self.slots, info, 1)

    def push(self, net: Netlist) -> int:
        """Bring the board to `net`; returns the number of gates sent."""
        pl = self.layout(net.widths, net.classes)
        sent = self.session.update(pl.apply(net))
        self.placement = pl
        self.gates_sent += sent
        return sent

    @property
    def copies_placed(self) -> int:
        return self.placement.copies

    def scores(self, bits: np.ndarray) -> np.ndarray:
        return self.placement.logical_scores(self.session.run(bits).scores)

    def flip_rate(self, bits: np.ndarray) -> float:
        """The probability that a gate output flips per evaluation, as measured: two runs of
        layer 0 on the same inputs disagree in a fraction d = 2p(1-p) of its bits."""
        d = float((self.layer_bits(bits, 0) != self.layer_bits(bits, 0)).mean())
        return (1 - math.sqrt(max(0.0, 1 - 2 * d))) / 2

    def layer_bits(self, bits: np.ndarray, k: int) -> np.ndarray:
        out = self.session.run(bits, mode=P.RunMode.LAYER_BITS, layer=k)
        return self.placement.logical_bits(k, out.bits)
