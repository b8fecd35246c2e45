# SPDX-License-Identifier: MIT
"""Board parameters: the one place that says which FPGA each board name means.

Data only. The synthesis flow (rtl/synth.py), the engine builds and the CLI read it.
Capacities are the parts' datasheet figures (Lattice ECP5 family data sheet FPGA-DS-02012,
AMD/Xilinx DS190 Zynq-7000): LUT4s = 2 per slice x 4 slices per PFU for ECP5.
"""
from __future__ import annotations

from dataclasses import dataclass

from rtl.part import Part


@dataclass(frozen=True)
class Board:
    name: str
    part: Part
    clock_mhz: float    # the board's oscillator


BOARDS: dict[str, Board] = {
    "ulx3s-85f": Board("ulx3s-85f", Part("ecp5", "LFE5U-85F", "CABGA381", "6", luts=83_640, ffs=83_640,
                                         pnr_device="--85k"), clock_mhz=25.0),
    "ulx3s-12f": Board("ulx3s-12f", Part("ecp5", "LFE5U-12F", "CABGA381", "6", luts=12_096, ffs=12_096,
                                         pnr_device="--12k"), clock_mhz=25.0),
    "pynq-z2": Board("pynq-z2", Part("zynq7", "xc7z020", "clg400", "1", luts=53_200, ffs=106_400),
                     clock_mhz=125.0),
}


def get(name: str) -> Board:
    try:
        return BOARDS[name]
    except KeyError:
        raise ValueError(f"unknown board {name!r}; known boards: {', '.join(BOARDS)}") from None
