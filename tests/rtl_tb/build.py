# SPDX-License-Identifier: MIT
"""The RTL testbenches' builds (rtl.verilator caches each by content, so the several pytest
files that share one, like the framer and engine tests on the small lgn_core, compile it
once) and their cocotb runs."""
from __future__ import annotations

import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HDL = ROOT / "rtl" / "hdl"

#: A small engine for cocotb: every limit is reachable with small, fast frames.
SMALL_CORE = dict(LANES=8, GATES_PER_CYCLE=4, MAX_INPUTS=64, MAX_WIDTH=64, MAX_LAYERS=4,
                  MAX_GATES=192, MAX_CLASSES=8, MAX_BODY=512, FRAME_BUFS=2, CLOCK_HZ=50_000_000)


class TbError(RuntimeError):
    pass


def build(top: str, sources: list[Path], parameters: dict):
    """The cocotb model of `top` (rtl.verilator.CocotbBuild)."""
    from rtl.verilator import cocotb_build
    return cocotb_build(top, sources, parameters, includes=[HDL], timescale=("1ns", "1ps"),
                        build_args=["-Wno-fatal", "--x-assign", "unique", "--x-initial", "unique"],
                        quiet=False)


def run(model, module: str, extra_env: dict | None = None) -> None:
    """Run cocotb test module `tests.rtl_tb.<module>`; raise TbError naming failed tests."""
    from cocotb_tools.runner import get_results
    work = tempfile.mkdtemp(prefix=f"lgn-{module}-")
    try:
        xml = model.test(f"tests.rtl_tb.{module}", work, extra_env=extra_env)
    except SystemExit as e:     # cocotb's runner exits when a test fails
        raise TbError(f"cocotb tests in {module} failed (exit {e.code}); see the log above") from None
    total, failed = get_results(xml)
    if total == 0 or failed:
        raise TbError(f"{failed} of {total} cocotb tests in {module} failed (see the log above, {xml})")


def small_core():
    return build("lgn_core", sorted(HDL.glob("lgn_*.v")), SMALL_CORE)
