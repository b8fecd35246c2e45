# SPDX-License-Identifier: MIT
"""lgn_core framing in Verilator under cocotb (tests/rtl_tb/framer_cocotb.py): random frames
with backpressure, garbage between frames, corrupted and truncated frames, length limits,
error replies and counters."""
import pytest

from tests.rtl_tb import build


@pytest.fixture(scope="session")
def small_core():
    from rtl.verilator import ToolchainError, tool_env
    try:
        tool_env()
    except ToolchainError as e:
        pytest.skip(str(e))
    return build.small_core()


def test_framer(small_core):
    runner, bdir = small_core
    build.run(runner, bdir, "lgn_core", "framer_cocotb")
