# SPDX-License-Identifier: MIT
"""Every module under rtl/hdl is `verilator --lint-only -Wall` clean (the only waivers are
in the sources, each with its reason) and compiles with Icarus (`iverilog -g2012`) where it
is installed; also in the parameter variants the boards and the virtual board use."""
import re
import subprocess
from pathlib import Path

import pytest

HDL = Path(__file__).resolve().parents[1] / "rtl" / "hdl"
SOURCES = sorted(HDL.glob("*.v"))
MODULES = sorted({m for p in SOURCES for m in re.findall(r"^module\s+(\w+)", p.read_text(), re.M)})


def _g(engine, **extra) -> list[str]:
    return [f"-G{k}={v}" for k, v in {**engine.parameters(), **extra}.items()]


def _variants():
    """The builds that exist (rtl.engine instances) and corners of the parameter space."""
    from boards import pynq_z2
    from boards.sim import ENGINE, uart_engine
    from rtl.engine import Engine
    return [("virtual board", "lgn_sim_top", _g(ENGINE)),
            ("virtual board, uart", "lgn_sim_top", _g(uart_engine(), BAUD=3_000_000)),
            ("3 bytes a clock", "lgn_core", _g(ENGINE.replace(in_bytes_per_clk=3, out_bytes_per_clk=3))),
            ("1 gate a clock, 1 frame buffer", "lgn_core",
             _g(Engine(lanes=8, gates_per_cycle=1, frame_bufs=1, max_classes=1))),
            ("uart 115200 at 100 MHz", "lgn_uart_top", ["-GCLOCK_HZ=100000000", "-GBAUD=115200"]),
            ("pynq-z2 axi", "lgn_axi_top", _g(pynq_z2.engine(), **pynq_z2.WRAPPER_PARAMETERS)),
            ("axi, tiny fifos", "lgn_axi_top", _g(Engine(lanes=8, gates_per_cycle=4), IN_WORDS=2, OUT_WORDS=4))]


def test_every_source_has_a_module():
    assert len(MODULES) >= len(SOURCES) >= 8, (MODULES, SOURCES)


@pytest.mark.needs("verilator")
@pytest.mark.parametrize("name,top,params", [(m, m, []) for m in MODULES] + _variants(),
                         ids=lambda x: x if isinstance(x, str) else None)
def test_verilator_lint_clean(name, top, params):
    from rtl.verilator import run_verilator
    r = run_verilator(["--lint-only", "-Wall", f"-I{HDL}", "--top-module", top, *params,
                       *map(str, SOURCES)], check=False)
    assert r.returncode == 0 and "%Warning" not in r.stderr, r.stderr[-3000:]


@pytest.mark.needs("verilator")
@pytest.mark.parametrize("top", ["lgn_uart_top", "lgn_sim_top"])
def test_uart_refuses_a_wide_byte_stream(top):
    """A UART moves one byte a clock: the UART top (alone, or in the virtual board with
    BAUD > 0) with wider streams fails elaboration, also under -Wno-fatal as the virtual
    board builds it, instead of silently narrowing."""
    from rtl.verilator import run_verilator
    for extra in (["-Wall"], ["-Wno-fatal"]):
        for widths in (["-GIN_BYTES_PER_CLK=8"], ["-GIN_BYTES_PER_CLK=1", "-GOUT_BYTES_PER_CLK=2"]):
            r = run_verilator(["--lint-only", *extra, f"-I{HDL}", "--top-module", top,
                               "-GBAUD=3000000", *widths, *map(str, SOURCES)], check=False)
            assert r.returncode != 0 and "needs_IN_and_OUT_BYTES_PER_CLK_1" in r.stderr, r.stderr[-2000:]


@pytest.mark.needs("verilator")
def test_axi_top_refuses_what_it_cannot_build():
    """The AXI wrapper moves one byte a clock and has no fault-injection registers: wider
    streams or FAULTS = 1 fail elaboration (also under -Wno-fatal) instead of building."""
    from rtl.verilator import run_verilator
    for extra in (["-Wall"], ["-Wno-fatal"]):
        for params, name in ((["-GIN_BYTES_PER_CLK=8"], "needs_IN_and_OUT_BYTES_PER_CLK_1"),
                             (["-GOUT_BYTES_PER_CLK=2"], "needs_IN_and_OUT_BYTES_PER_CLK_1"),
                             (["-GFAULTS=1"], "needs_FAULTS_0"),
                             (["-GIN_WORDS=1000"], "needs_DEPTH_a_power_of_2")):
            r = run_verilator(["--lint-only", *extra, f"-I{HDL}", "--top-module", "lgn_axi_top",
                               *params, *map(str, SOURCES)], check=False)
            assert r.returncode != 0 and name in r.stderr, r.stderr[-2000:]


@pytest.mark.needs("verilator")
def test_reply_refuses_more_bytes_a_clock_than_a_run_reply_head():
    """The reply streamer reads its records two clocks ahead: wider than a RUN reply's header
    and fixed head (12 bytes) it would need them before they are read, so it fails
    elaboration; 12 builds."""
    from rtl.verilator import run_verilator
    for width, ok in ((13, False), (12, True)):
        r = run_verilator(["--lint-only", "-Wno-fatal", f"-I{HDL}", "--top-module", "lgn_core",
                           f"-GIN_BYTES_PER_CLK={width}", f"-GOUT_BYTES_PER_CLK={width}", *map(str, SOURCES)],
                          check=False)
        assert (r.returncode == 0) == ok and ("needs_OUT_BYTES_PER_CLK_at_most_12" in r.stderr) != ok, \
            r.stderr[-2000:]


@pytest.mark.needs("iverilog")
@pytest.mark.parametrize("top", MODULES)
def test_icarus_compiles(top, tmp_path):
    r = subprocess.run(["iverilog", "-g2012", f"-I{HDL}", "-s", top, "-o", str(tmp_path / "a.vvp"),
                        *map(str, SOURCES)], capture_output=True, text=True)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr[-3000:]
