# SPDX-License-Identifier: MIT
"""An FPGA part, as the synthesis flows need it. Boards (boards/registry.py) hold one;
rtl knows parts and never boards."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Part:
    family: str                     # a key of rtl.synth.FLOWS: "ecp5", "zynq7"
    device: str                     # as the tools name it
    package: str
    speed: str
    luts: int                       # LUT4 (ECP5) or LUT6 (7-series) in the part
    ffs: int
    brams: int = 0                  # 18 Kbit EBRs (ECP5), 36 Kbit BRAMs (7-series)
    pnr_device: str | None = None   # nextpnr-ecp5's device flag, e.g. "--85k"
