# SPDX-License-Identifier: MIT
"""rtl/hdl/sim/CCU2C.v, the model the tests simulate the ECP5 popcount chains with
(`lgn rtl --verify --carry ecp5`), is the cell that yosys maps for nextpnr: yosys's SAT
solver proves it equivalent to yosys's own simulation model of CCU2C, on every input, for
random INIT values, the INIT values the popcount uses and all four INJECT1 settings."""
import shutil

import numpy as np
import pytest

from rtl import compiled_sim
from tests.helpers import yosys

pytestmark = pytest.mark.needs("yowasp")
PINS = "CIN A0 B0 C0 D0 A1 B1 C1 D1".split()


def _wrapper(name, cell, init0, init1, inj0, inj1):
    conns = ", ".join(f".{p}({p})" for p in PINS + ["S0", "S1", "COUT"])
    return (f"module {name}(input {', '.join(PINS)}, output S0, S1, COUT);\n"
            f"  {cell} #(.INIT0(16'h{init0:04X}), .INIT1(16'h{init1:04X}), .INJECT1_0(\"{inj0}\"), "
            f".INJECT1_1(\"{inj1}\")) u({conns});\nendmodule\n")


def test_ccu2c_model_is_yosys_ccu2c(tmp_path):
    rng = np.random.default_rng(3)
    cases = [(0x96AA, 0x96AA, "NO", "NO"), (0x000A, 0xAA5A, "NO", "NO"), (0x000F, 0x0000, "NO", "NO")]
    cases += [(int(rng.integers(0, 1 << 16)), int(rng.integers(0, 1 << 16)), i0, i1)
              for i0 in ("NO", "YES") for i1 in ("NO", "YES") for _ in range(3)]
    text, script = [], ["read_verilog -sv +/lattice/common_sim.vh", "read_verilog -sv +/lattice/ccu2c_sim.vh",
                        "rename CCU2C ref_ccu2c", "read_verilog -sv CCU2C.v", "read_verilog -sv cases.v",
                        "hierarchy", "proc", "flatten", "opt_clean"]
    for k, c in enumerate(cases):
        text += [_wrapper(f"ref{k}", "ref_ccu2c", *c), _wrapper(f"own{k}", "CCU2C", *c)]
        script += [f"miter -equiv -flatten -make_assert ref{k} own{k} miter{k}",
                   f"sat -verify -prove-asserts miter{k}"]
    (tmp_path / "cases.v").write_text("".join(text))
    shutil.copy(compiled_sim.CCU2C_MODEL, tmp_path / "CCU2C.v")
    r = yosys(script, tmp_path)
    assert "proof did fail" not in r.stdout + r.stderr
