# SPDX-License-Identifier: MIT
"""lgn_gate_engine alone in Verilator under cocotb (tests/rtl_tb/lgn_gate_engine_cocotb.py):
random netlists at the small build's edges, the result records byte for byte against
host.softmodel.SoftModel (scores, predictions, every layer's raw bits with padding 0, also
after a wider netlist), the documented cycle count, stuck-at slots and flip masks. (The
padding rule on the whole board: tests/test_protocol_rules.py.)"""
import pytest

from tests.rtl_tb import build

pytestmark = pytest.mark.needs("verilator")


@pytest.mark.parametrize("case", build.cases("lgn_gate_engine_cocotb"))
def test_lgn_gate_engine(case):
    build.run(build.part("lgn_gate_engine", build.GATE_ENGINE), "lgn_gate_engine_cocotb", case)
