# SPDX-License-Identifier: MIT
"""boards/pynq_z2/build.tcl (Vivado is not needed here) against the facts it must agree with:
its generated parameter file is up to date with boards/pynq_z2/__init__.py and the board
registry's pynq-z2 engine; the cell name, address, range, part and top are those facts, and
the register map's window; every port and interface of the wrapper the script names exists
in rtl/hdl/lgn_axi_top.v; every parameter it sets is one of lgn_axi_top's."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import boards.pynq_z2 as pz
from boards import registry
from rtl import axi_regs
from rtl.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
TCL = ROOT / "boards" / "pynq_z2" / "build.tcl"
TOP_V = ROOT / "rtl" / "hdl" / "lgn_axi_top.v"


def _tcl_sets(text: str) -> dict:
    return dict(re.findall(r"^set (LGN_\w+) (\S+)$", text, re.M))


def _tcl_params(text: str) -> dict:
    body = re.search(r"set LGN_PARAMS \[dict create \\\n(.*?)\n\]", text, re.S).group(1)
    return {k: int(v) for k, v in re.findall(r"^\s+(\w+) (-?\d+) \\$", body, re.M)}


def _ports() -> set:
    text = TOP_V.read_text()
    start = text.index("module lgn_axi_top")
    head = text[start:text.index(");", start)]
    return set(re.findall(r"\b(?:input|output)\s+wire\s+(?:\[[^\]]+\]\s*)?(\w+)", head))


def _parameters() -> set:
    own = set(re.findall(r"parameter\s+integer\s+(\w+)", TOP_V.read_text()))
    return own | {k.upper() for k in Engine.__dataclass_fields__}


def test_generated_parameters_are_up_to_date():
    for path, text in pz.headers().items():
        assert path.read_text() == text, f"{path} is stale: run python -m boards.pynq_z2 --header"
    r = subprocess.run([sys.executable, "-m", "boards.pynq_z2", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_facts():
    sets = _tcl_sets(pz.TCL_PARAMS.read_text())
    board = registry.get("pynq-z2")
    part = board.part
    assert sets["LGN_PART"] == pz.PART == f"{part.device}{part.package}-{part.speed}"
    assert sets["LGN_CELL"] == pz.IP_CELL == "lgn_axi_top_0"
    assert sets["LGN_TOP"] == pz.TOP == "lgn_axi_top"
    assert int(sets["LGN_BASE"], 16) == pz.BASE_ADDRESS == 0x43C0_0000
    assert int(sets["LGN_RANGE"], 16) == pz.ADDRESS_RANGE == axi_regs.SPACE_BYTES == 1 << axi_regs.ADDRESS_BITS
    assert pz.BASE_ADDRESS % pz.ADDRESS_RANGE == 0
    assert sets["LGN_STEM"] == pz.OVERLAY_STEM and pz.BITFILE == "lgn_pynq.bit" and pz.HWHFILE == "lgn_pynq.hwh"
    assert int(sets["LGN_FCLK0_MHZ"]) * 1_000_000 == board.engine.clock_hz


def test_engine_parameters_are_the_registrys():
    engine = registry.get("pynq-z2").engine
    params = _tcl_params(pz.TCL_PARAMS.read_text())
    assert params == {**pz.WRAPPER_PARAMETERS, **engine.parameters()}
    # what lgn_axi_top builds with (it refuses anything else at elaboration)
    assert (engine.in_bytes_per_clk, engine.out_bytes_per_clk, engine.faults) == (1, 1, 0)
    assert set(params) <= _parameters(), set(params) - _parameters()


def test_script_uses_the_facts_and_existing_ports():
    text = TCL.read_text()
    code = "\n".join(ln.split("#", 1)[0] if ln.lstrip().startswith("#") else ln for ln in text.splitlines())
    assert "source [file join $here generated build_params.tcl]" in code
    assert re.search(r"create_project .* -part \$LGN_PART", code)
    assert re.search(r"create_bd_cell -type module -reference \$LGN_TOP \$LGN_CELL", code)
    assert re.search(r"assign_bd_address -offset \$LGN_BASE -range \$LGN_RANGE", code)
    assert "CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ $LGN_FCLK0_MHZ" in code
    assert "CONFIG.PCW_USE_M_AXI_GP0 {1}" in code
    assert "$LGN_STEM.bit" in code and "$LGN_STEM.hwh" in code
    # no fact restated as a literal
    for literal in (pz.IP_CELL, pz.PART, f"{pz.BASE_ADDRESS:08X}", "0x43C0", "lgn_pynq.bit", "lgn_pynq.hwh"):
        assert literal.lower() not in code.lower(), f"build.tcl restates {literal}"
    # every pin/interface of the wrapper cell the script names is a port (or the s_axi bundle)
    ports = _ports()
    assert {"aclk", "aresetn", "s_axi_awaddr", "s_axi_rready"} <= ports
    interfaces = {p.split("_")[0] + "_" + p.split("_")[1] for p in ports if p.startswith("s_axi_")}
    named = re.findall(r"\$LGN_CELL/(\w+)", code)
    assert named, "build.tcl names no pin of the wrapper"
    for name in named:
        assert name in ports or name in interfaces, f"build.tcl names {name}, not a port of lgn_axi_top"
    for name in re.findall(r"get_bd_intf_pins \$LGN_CELL/(\w+)", code):
        assert any(p.startswith(name + "_") for p in ports) and name in interfaces


@pytest.mark.skipif(shutil.which("tclsh") is None, reason="no tclsh here (Debian package tcl)")
def test_tcl_parses_and_the_parameter_file_runs():
    """The generated file runs in plain Tcl; build.tcl is complete Tcl (braces and brackets
    balance) command by command."""
    script = (f"source {{{pz.TCL_PARAMS}}}\n"
              "puts [dict get $LGN_PARAMS CLOCK_HZ]\n"
              f"set f [open {{{TCL}}}]; set text [read $f]; close $f\n"
              "puts [info complete $text]\n")
    r = subprocess.run(["tclsh"], input=script, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    clock, complete = r.stdout.split()
    assert int(clock) == registry.get("pynq-z2").engine.clock_hz and complete == "1"
