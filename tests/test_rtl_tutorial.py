# SPDX-License-Identifier: MIT
"""docs/tutorial-compiled-rtl.md: every `$ lgn ...` line runs, in order, in an empty folder."""
import re
from pathlib import Path

import pytest

from tests.helpers import lgn

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "tutorial-compiled-rtl.md"


def commands():
    text = DOC.read_text()
    blocks = re.findall(r"```console\n(.*?)```", text, flags=re.S)
    return [ln[2:].strip() for b in blocks for ln in b.splitlines() if ln.startswith("$ lgn ")]


def test_tutorial_lists_the_steps():
    cmds = commands()
    assert any(" rtl " in c and "--verify" in c and "--waves" in c for c in cmds)
    assert any(c.startswith("lgn synth") and "ulx3s-85f" in c for c in cmds)


@pytest.mark.slow(seconds=120)
@pytest.mark.needs("verilator", "yowasp")
def test_tutorial_commands_run(tmp_path):
    outputs, stderr = {}, {}
    for cmd in commands():
        r = lgn(*cmd.split()[1:], cwd=tmp_path)
        outputs[cmd] = r.json
        stderr[cmd] = r.err
    verify = next(v for c, v in outputs.items() if "--verify" in c)
    assert verify["samples"] == 143 and verify["mismatches"] == 0
    assert (tmp_path / "run/bc/rtl/sim_build/run/dump.vcd").stat().st_size > 0
    cmd, ecp5 = next((c, v) for c, v in outputs.items() if "ulx3s-85f" in c)
    for k in ("luts", "carry_cells", "ffs", "fmax_mhz", "gates"):
        assert k in ecp5, k
    assert ecp5["fmax_mhz"] > 50 and ecp5["gates"] == 800
    for k in ("luts", "carry_cells", "ffs"):
        assert ecp5[k] == ecp5["gate_layers"][k] + ecp5["groupsum_argmax"][k]
    assert ecp5["gate_layers"]["luts"] > 0 and ecp5["groupsum_argmax"]["ffs"] > 0
    for log in ("yosys.log", "nextpnr.log", "report.json"):
        assert (tmp_path / "run/bc/synth" / log).stat().st_size > 0, log
    assert "synth: yosys" in stderr[cmd] and "nextpnr-ecp5" in stderr[cmd]  # progress on stderr
    z2 = next(v for c, v in outputs.items() if "pynq-z2" in c)
    assert z2["luts"] > 0 and z2["ffs"] > 0 and z2["fmax_mhz"] is None and "estimate" in z2
    assert "lgn_netlist" in (tmp_path / "run/bc/rtl/lgn_netlist.v").read_text()
