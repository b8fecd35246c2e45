# SPDX-License-Identifier: MIT
"""lgn_core framing in Verilator under cocotb (tests/rtl_tb/framer_cocotb.py): random frames
with backpressure, garbage between frames, corrupted and truncated frames, length limits,
error replies and counters."""
import pytest

from tests.rtl_tb import build


@pytest.mark.needs("verilator")
@pytest.mark.parametrize("case", build.cases("framer_cocotb"))
def test_framer(small_core, case):
    build.run(small_core, "framer_cocotb", case)
