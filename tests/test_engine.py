# SPDX-License-Identifier: MIT
"""The engine inside lgn_core in Verilator under cocotb (tests/rtl_tb/engine_cocotb.py):
random netlists at the edges of a small build's capacity, bit-exact against
host.softmodel.SoftModel (scores, predictions, raw bits of every layer), the RTL's cycle
counts, and every capacity/argument error. The trained netlists run on the default-size
build through the virtual board (tests/test_virtual_board.py)."""
import pytest

from tests.rtl_tb import build


@pytest.mark.needs("verilator")
@pytest.mark.parametrize("case", build.cases("engine_cocotb"))
def test_engine(small_core, case):
    build.run(small_core, "engine_cocotb", case)
