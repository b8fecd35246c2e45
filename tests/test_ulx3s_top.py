# SPDX-License-Identifier: MIT
"""The ULX3S top level under cocotb, through its pins only (tests/rtl_tb/ulx3s_cocotb.py): the
ulx3s-12f engine build behind the UART at 3,000,000 baud, as `lgn board build` makes it."""
import pytest

from boards import ulx3s
from boards.registry import get
from tests.rtl_tb import build

pytestmark = pytest.mark.slow(seconds=25)   # (a model build)

PARAMS = ulx3s.parameters(get("ulx3s-12f"))


@pytest.fixture(scope="module")
def model():
    return build.build(ulx3s.TOP, ulx3s.sources(), PARAMS)


@pytest.mark.needs("verilator")
@pytest.mark.parametrize("case", build.cases("ulx3s_cocotb"))
def test_ulx3s_top(model, case):
    env = {"LGN_TB_PARAMS": ",".join(f"{k}={v}" for k, v in PARAMS.items())}
    build.run(model, "ulx3s_cocotb", case, extra_env=env)
