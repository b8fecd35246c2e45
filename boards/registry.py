# SPDX-License-Identifier: MIT
"""Board parameters: the one place that says which FPGA each board name means.

Data only. The synthesis flow (rtl/synth.py), the engine builds and the CLI read it.
Capacities are the parts' datasheet figures (Lattice ECP5 family data sheet FPGA-DS-02012,
AMD/Xilinx DS190 Zynq-7000): LUT4s = 2 per slice x 4 slices per PFU for ECP5.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Board:
    name: str
    vendor: str         # "lattice" | "xilinx"
    family: str         # "ecp5" | "zynq7"
    device: str         # part as the tools name it
    package: str
    speed: str
    luts: int           # LUT4 (ECP5) or LUT6 (7-series) in the part
    ffs: int
    clock_mhz: float    # the board's oscillator
    nextpnr_device: str | None = None   # nextpnr-ecp5 device flag, e.g. "--85k"
    yosys_synth: str = "synth_ecp5"


BOARDS: dict[str, Board] = {
    "ulx3s-85f": Board("ulx3s-85f", "lattice", "ecp5", "LFE5U-85F", "CABGA381", "6",
                       luts=83_640, ffs=83_640, clock_mhz=25.0, nextpnr_device="--85k"),
    "ulx3s-12f": Board("ulx3s-12f", "lattice", "ecp5", "LFE5U-12F", "CABGA381", "6",
                       luts=12_096, ffs=12_096, clock_mhz=25.0, nextpnr_device="--12k"),
    "pynq-z2": Board("pynq-z2", "xilinx", "zynq7", "xc7z020", "clg400", "1",
                     luts=53_200, ffs=106_400, clock_mhz=125.0, yosys_synth="synth_xilinx"),
}


def get(name: str) -> Board:
    try:
        return BOARDS[name]
    except KeyError:
        raise ValueError(f"unknown board {name!r}; known boards: {', '.join(BOARDS)}") from None
