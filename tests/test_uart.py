# SPDX-License-Identifier: MIT
"""lgn_uart_rx / lgn_uart_tx in Verilator under cocotb (tests/rtl_tb/uart_cocotb.py):
115,200 and 3,000,000 baud from 25 MHz and 100 MHz, sender baud skewed +-2.5%, framing
errors, transmitter bit timing."""
from pathlib import Path

import pytest

from tests.rtl_tb import build


@pytest.mark.needs("verilator")
@pytest.mark.parametrize("case", build.cases("uart_cocotb"))
def test_uart(case):
    sources = [Path(build.__file__).parent / "tb_uart.sv", build.HDL / "lgn_uart_rx.v",
               build.HDL / "lgn_uart_tx.v"]
    build.run(build.build("tb_uart", sources, {}), "uart_cocotb", case)
