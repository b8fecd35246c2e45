# SPDX-License-Identifier: MIT
"""The RTL testbenches' builds (rtl.verilator caches each by content, so the several pytest
files that share one, like the framer and engine tests on the small lgn_core, compile it
once) and their cocotb runs."""
from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from rtl.engine import Engine

ROOT = Path(__file__).resolve().parents[2]
HDL = ROOT / "rtl" / "hdl"

#: A small engine for cocotb: every limit is reachable with small, fast frames.
SMALL = Engine(lanes=8, gates_per_cycle=4, max_inputs=64, max_width=64, max_layers=4,
               max_gates=192, max_classes=8, max_body=512)
SMALL_CORE = SMALL.parameters()
#: lgn_core's parts alone (their own testbenches), the small core's sizes: the framer and the
#: reply streamer with several bytes a clock (the small core has one), the gate engine with
#: fault injection (the small core has none), the command handler with one result bank.
CONFIG = SMALL_CORE
FRAMER = SMALL.replace(in_bytes_per_clk=3).parameters()
REPLY = SMALL.replace(result_bufs=2, out_bytes_per_clk=3).parameters()
GATE_ENGINE = SMALL.replace(faults=1).parameters()
CMD = SMALL_CORE


def fs_depth(p: dict) -> int:
    """Words per frame-store buffer (rtl/hdl/lgn_core_sizes.vh FS_DEPTH)."""
    return p["MAX_BODY"] // p["LANES"] + -(-p["MAX_INPUTS"] // 8) + 1


class TbError(RuntimeError):
    pass


def build(top: str, sources: list[Path], parameters: dict, optimize: bool = True):
    """The cocotb model of `top` (rtl.verilator.CocotbBuild)."""
    from rtl.verilator import cocotb_build
    return cocotb_build(top, sources, parameters, includes=[HDL], timescale=("1ns", "1ps"),
                        build_args=["-Wno-fatal", "--x-assign", "unique", "--x-initial", "unique"],
                        optimize=optimize, quiet=False)


def cases(module: str) -> list[str]:
    """The cocotb tests of tests/rtl_tb/<module>.py, in order (one pytest test each, so each is
    selectable with -k and a failure names it)."""
    text = (Path(__file__).parent / f"{module}.py").read_text()
    names = re.findall(r"^@cocotb\.test\(\)\nasync def (\w+)", text, re.M)
    if len(names) != text.count("@cocotb.test"):
        raise TbError(f"{module}: a @cocotb.test is not followed by its async def as expected")
    return names


def run(model, module: str, case: str, extra_env: dict | None = None) -> None:
    """Run cocotb test `case` of module `tests.rtl_tb.<module>`; raise TbError if it fails."""
    from cocotb_tools.runner import get_results
    work = tempfile.mkdtemp(prefix=f"lgn-{module}-{case}-")
    try:
        xml = model.test(f"tests.rtl_tb.{module}", work, extra_env=extra_env, testcase=case)
    except SystemExit as e:     # cocotb's runner exits when a test fails
        raise TbError(f"cocotb test {module}.{case} failed (exit {e.code}); see the log above") from None
    total, failed = get_results(xml)
    if total != 1 or failed:
        raise TbError(f"cocotb test {module}.{case}: {total} run, {failed} failed (see the log above, {xml})")
    shutil.rmtree(work)     # kept only when the case fails, for its results file


def small_core():
    return build("lgn_core", sorted(HDL.glob("lgn_*.v")), SMALL_CORE)


def part(top: str, parameters: dict):
    """One of lgn_core's parts (lgn_framer, lgn_cmd, lgn_config, lgn_gate_engine, lgn_reply) alone;
    these models run briefly, so they are compiled without optimisation."""
    return build(top, sorted(HDL.glob("lgn_*.v")), parameters, optimize=False)


#: lgn_axi_top (the PYNQ-Z2 wrapper, tests/rtl_tb/lgn_axi_top_cocotb.py) around the small core:
#: FIFOs of the default depth, and tiny ones (filled by a few frames, for back-pressure).
AXI_TOP = {**SMALL_CORE, "IN_WORDS": 1024, "OUT_WORDS": 1024}
AXI_TOP_TINY = {**SMALL_CORE, "IN_WORDS": 8, "OUT_WORDS": 4}


def axi_top(parameters: dict):
    return build("lgn_axi_top", sorted(HDL.glob("lgn_*.v")), parameters)
