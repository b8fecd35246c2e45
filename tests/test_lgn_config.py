# SPDX-License-Identifier: MIT
"""lgn_config alone in Verilator under cocotb (tests/rtl_tb/lgn_config_cocotb.py): CONFIG
bodies streamed as the command handler streams them; every answer (done, or the error's code
and detail) against rtl.protocol.ReferenceBoard, and what the gate engine is given after a
good one (widths, gate-memory bases, group size, class trackers)."""
import pytest

from tests.rtl_tb import build

pytestmark = pytest.mark.needs("verilator")


@pytest.mark.parametrize("case", build.cases("lgn_config_cocotb"))
def test_lgn_config(case):
    build.run(build.part("lgn_config", build.CONFIG), "lgn_config_cocotb", case)
