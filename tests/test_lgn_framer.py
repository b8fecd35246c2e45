# SPDX-License-Identifier: MIT
"""lgn_framer alone in Verilator under cocotb (tests/rtl_tb/lgn_framer_cocotb.py): decoded
bytes at up to 3 a clock, held while a frame is pending; every capture (error code and
detail, seq, type, len, first body bytes, the body in the frame store, RUN samples
lane-major, alternating buffers) against rtl.protocol.parse_payload."""
import pytest

from tests.rtl_tb import build

pytestmark = pytest.mark.needs("verilator")


@pytest.mark.parametrize("case", build.cases("lgn_framer_cocotb"))
def test_lgn_framer(case):
    build.run(build.part("lgn_framer", build.FRAMER), "lgn_framer_cocotb", case)
