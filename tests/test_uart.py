# SPDX-License-Identifier: MIT
"""lgn_uart_rx / lgn_uart_tx in Verilator under cocotb (tests/rtl_tb/uart_cocotb.py):
115,200 and 3,000,000 baud from 25 MHz and 100 MHz, sender baud skewed +-2.5%, framing
errors, transmitter bit timing."""
import pytest

from tests.rtl_tb import build


def test_uart():
    from rtl.verilator import ToolchainError, tool_env
    try:
        tool_env()
    except ToolchainError as e:
        pytest.skip(str(e))
    sources = [build.TB / "tb_uart.sv", build.HDL / "lgn_uart_rx.v", build.HDL / "lgn_uart_tx.v"]
    runner, bdir = build.build("uart", "tb_uart", sources, {})
    build.run(runner, bdir, "tb_uart", "uart_cocotb")
