# SPDX-License-Identifier: MIT
"""The boards, once: which FPGA each board name means, how the host reaches it, and the
engine build that fits it (an rtl.engine.Engine: its Verilog parameters and its INFO).

Data only. The synthesis flow (rtl/synth.py), the board builds (boards/ulx3s, boards/pynq_z2),
the virtual board and the CLI read it. Capacities are the parts' datasheet figures (Lattice
ECP5 family data sheet FPGA-DS-02012, AMD/Xilinx DS190 Zynq-7000): LUT4s = 2 per slice x 4
slices per PFU for ECP5; `brams` counts 18 Kbit EBRs (ECP5) or 36 Kbit BRAMs (Zynq-7000).
"""
from __future__ import annotations

from dataclasses import dataclass

from boards.sim import ENGINE as SIM_ENGINE
from rtl.engine import Engine
from rtl.part import Part


@dataclass(frozen=True)
class Board:
    name: str
    part: Part | None           # None: the virtual board (no FPGA)
    clock_mhz: float            # the board's oscillator
    link: str                   # how a host reaches it: "uart", "axi" (through the agent), "sim"
    engine: Engine              # the engine build that fits it
    url: str                    # a typical board URL for lgn --board

    def capacity(self) -> dict:
        e = self.engine
        return {"gates": e.max_gates, "inputs": e.max_inputs, "width": e.max_width,
                "layers": e.max_layers, "classes": e.max_classes, "lanes": e.lanes,
                "gates_per_clock": e.gates_per_cycle, "clock_mhz": e.clock_hz / 1e6}


def _ecp5(device: str, luts: int, brams: int, pnr: str) -> Part:
    return Part("ecp5", device, "CABGA381", "6", luts=luts, ffs=luts, brams=brams, pnr_device=pnr)


#: The ULX3S builds: the engine behind the FT231X UART at 3 Mbaud, clocked by the ECP5 PLL
#: at 60 MHz (an exact 20 clocks a bit). One gate a clock over 8 lanes is far faster than
#: the UART (a 2,352-input sample takes 294 bytes, ~1 ms on the wire, and 32,000 gates take
#: 4,000 clocks, 67 us), so the builds spend the block RAM on capacity, not parallelism.
ULX3S_CLOCK_HZ = 60_000_000
_ULX3S = Engine(lanes=8, gates_per_cycle=1, max_layers=8, max_classes=10, clock_hz=ULX3S_CLOCK_HZ,
                frame_bufs=1, result_bufs=1)
#: Holds the default digits network (512 inputs, 4 x 2,000 gates) in the 12F's 12,096 LUTs:
#: 2 lanes (two digits samples take 8,000 clocks, 0.13 ms, against 0.4 ms on the wire) and
#: 1 KiB frames (15 samples a RUN): each halving saved about 1,000 LUT4 in synthesis.
ULX3S_SMALL = _ULX3S.replace(lanes=2, max_inputs=512, max_width=2048, max_gates=8192, max_body=1024)
#: Holds mnist5k networks up to 4 x 8,000 gates (2,352 inputs; the default is 4 x 5,000).
ULX3S_LARGE = _ULX3S.replace(max_inputs=2560, max_width=8192, max_gates=32768, max_body=4096)
#: The PYNQ-Z2 build: the AXI wrapper at the PS's 100 MHz FCLK0; holds mnist5k.
PYNQ_Z2 = _ULX3S.replace(clock_hz=100_000_000, max_inputs=2560, max_width=8192, max_gates=32768,
                         max_body=8192)

BOARDS: dict[str, Board] = {b.name: b for b in [
    Board("ulx3s-12f", _ecp5("LFE5U-12F", 12_096, 32, "--12k"), 25.0, "uart", ULX3S_SMALL,
          "/dev/ttyUSB0?baud=3000000"),
    Board("ulx3s-25f", _ecp5("LFE5U-25F", 24_288, 56, "--25k"), 25.0, "uart", ULX3S_SMALL,
          "/dev/ttyUSB0?baud=3000000"),
    Board("ulx3s-45f", _ecp5("LFE5U-45F", 43_848, 108, "--45k"), 25.0, "uart", ULX3S_LARGE,
          "/dev/ttyUSB0?baud=3000000"),
    Board("ulx3s-85f", _ecp5("LFE5U-85F", 83_640, 208, "--85k"), 25.0, "uart", ULX3S_LARGE,
          "/dev/ttyUSB0?baud=3000000"),
    Board("pynq-z2", Part("zynq7", "xc7z020", "clg400", "1", luts=53_200, ffs=106_400, brams=140),
          125.0, "axi", PYNQ_Z2, "tcp://pynq:9000?token=..."),
    Board("sim", None, SIM_ENGINE.clock_hz / 1e6, "sim", SIM_ENGINE, "sim"),
]}


def get(name: str) -> Board:
    try:
        return BOARDS[name]
    except KeyError:
        raise ValueError(f"unknown board {name!r}; known boards: {', '.join(BOARDS)}") from None


def fpga_boards() -> list[str]:
    """The boards with an FPGA part (synthesis targets)."""
    return [n for n, b in BOARDS.items() if b.part is not None]
