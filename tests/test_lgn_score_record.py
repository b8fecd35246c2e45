# SPDX-License-Identifier: MIT
"""lgn_score_record alone in Verilator under cocotb (tests/rtl_tb/lgn_score_record_cocotb.py):
pipelined records and argmax, ties to the lowest class, every class count."""
import pytest

from tests.rtl_tb import build

pytestmark = pytest.mark.needs("verilator")


@pytest.mark.parametrize("case", build.cases("lgn_score_record_cocotb"))
def test_lgn_score_record(case):
    build.run(build.part("lgn_score_record", build.SMALL_CORE), "lgn_score_record_cocotb", case)
