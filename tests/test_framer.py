# SPDX-License-Identifier: MIT
"""lgn_core framing in Verilator under cocotb (tests/rtl_tb/framer_cocotb.py): random frames
with backpressure, garbage between frames, corrupted and truncated frames, length limits,
error replies and counters."""
import pytest

from tests.rtl_tb import build


@pytest.mark.needs("verilator")
def test_framer(small_core):
    build.run(small_core, "framer_cocotb")
