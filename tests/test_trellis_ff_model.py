# SPDX-License-Identifier: MIT
"""rtl/hdl/sim/TRELLIS_FF.v, the flip-flop model `lgn rtl --verify --carry ecp5` simulates
GroupSum's table address registers with, is yosys's TRELLIS_FF in the configuration they
use: yosys's SAT solver proves the two equal over 8 clocks from the same start, on every
input sequence."""
import shutil

import pytest

from rtl import compiled_sim, gen_groupsum
from tests.helpers import yosys

pytestmark = pytest.mark.needs("yowasp")


def _wrapper(name, cell):   # M (preload) open, as GroupSum leaves it
    return (f"module {name}(input clk, LSR, CE, DI, output Q);\n"
            f"  {cell} #({gen_groupsum.TRELLIS_FF_PARAMS}) u(.CLK(clk), .LSR(LSR), .CE(CE), .DI(DI), "
            f".Q(Q));\nendmodule\n")


def test_trellis_ff_model_is_yosys_trellis_ff(tmp_path):
    script = ["read_verilog -sv +/lattice/common_sim.vh", "rename TRELLIS_FF ref_ff",
              "read_verilog -sv TRELLIS_FF.v", "read_verilog -sv cases.v", "hierarchy", "proc",
              "flatten", "opt_clean", "miter -equiv -flatten -make_assert ref own miter",
              "sat -verify -prove-asserts -set-init-zero -seq 8 miter"]
    (tmp_path / "cases.v").write_text(_wrapper("ref", "ref_ff") + _wrapper("own", "TRELLIS_FF"))
    shutil.copy(compiled_sim.TRELLIS_FF_MODEL, tmp_path / "TRELLIS_FF.v")
    r = yosys(script, tmp_path)
    assert "proof did fail" not in r.stdout + r.stderr
