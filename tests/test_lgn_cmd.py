# SPDX-License-Identifier: MIT
"""lgn_cmd alone in Verilator under cocotb (tests/rtl_tb/lgn_cmd_cocotb.py): every reply to
scripted and random frames against rtl.protocol.ReferenceBoard, the configuration handed to
the gate engine, every gate write of a LOAD (none for a rejected one), what RUN starts, and
CONFIG/RESET holding the framer until their reply."""
import pytest

from tests.rtl_tb import build

pytestmark = pytest.mark.needs("verilator")


@pytest.mark.parametrize("case", build.cases("lgn_cmd_cocotb"))
def test_lgn_cmd(case):
    build.run(build.part("lgn_cmd", build.CMD), "lgn_cmd_cocotb", case)
