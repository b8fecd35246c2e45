# SPDX-License-Identifier: MIT
"""rtl/engine.py is the engine's one parameter set: the Verilog modules take their parameter
declarations and pass-throughs from headers generated from it, and no module restates one."""
import importlib
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from rtl.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
HDL = ROOT / "rtl" / "hdl"


@pytest.mark.parametrize("module", ["rtl.engine", "rtl.axi_regs"])
def test_generated_headers_are_up_to_date(module):
    for path, text in importlib.import_module(module).headers().items():
        assert path.read_text() == text, f"{path} is stale: run python -m {module} --header"
    r = subprocess.run([sys.executable, "-m", module, "--check"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_no_module_restates_an_engine_parameter():
    names = {f.name.upper() for f in fields(Engine)}
    for p in sorted(HDL.glob("*.v")):
        declared = set(re.findall(r"parameter\s+integer\s+(\w+)", p.read_text()))
        assert not declared & names, f"{p.name} declares {sorted(declared & names)} itself"
        for inst in re.findall(r"\blgn_\w+\s+#\(([^;]*?)\)\s+u_", p.read_text(), re.S):
            assert not set(re.findall(r"\.(\w+)\(", inst)) & names, f"{p.name} passes engine parameters by hand"


def test_info_and_parameters_come_from_the_fields():
    e = Engine(lanes=8, max_body=512)
    assert e.parameters()["LANES"] == 8 and e.parameters()["MAX_BODY"] == 512
    info = e.info(config_tag=5)
    assert (info.lanes, info.max_body, info.config_tag, info.protocol_version) == (8, 512, 5, 1)
    assert e.mismatches(info) == []
    other = type(info)(**{**info.as_dict(), "lanes": 16})
    assert e.mismatches(other) == ["lanes: board 16, build 8"]


def test_unbuildable_parameters_are_named():
    with pytest.raises(ValueError, match=r"lanes = 3 is not a power of 2.*max_gates = 10 is not a multiple"):
        Engine(lanes=3, max_gates=10).parameters()
    with pytest.raises(ValueError, match=r"out_bytes_per_clk = 13 is over 12"):
        Engine(in_bytes_per_clk=13, out_bytes_per_clk=13).parameters()
    Engine(in_bytes_per_clk=12, out_bytes_per_clk=12).parameters()
