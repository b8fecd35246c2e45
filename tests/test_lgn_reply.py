# SPDX-License-Identifier: MIT
"""lgn_reply alone in Verilator under cocotb (tests/rtl_tb/lgn_reply_cocotb.py): 3 bytes a
clock into a stalling encoder; every reply (empty, head only, head plus records from either
result bank, written while the previous reply goes out) is exactly
rtl.protocol.build_payload of it, its last byte flagged."""
import pytest

from tests.rtl_tb import build

pytestmark = pytest.mark.needs("verilator")


@pytest.mark.parametrize("case", build.cases("lgn_reply_cocotb"))
def test_lgn_reply(case):
    build.run(build.part("lgn_reply", build.REPLY), "lgn_reply_cocotb", case)
