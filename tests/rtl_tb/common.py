# SPDX-License-Identifier: MIT
"""What every cocotb bench here does alike: the clock, inputs at rest, a synchronous reset,
reading one field of a flattened bus, and the engine's cycle formula."""
from __future__ import annotations

from cocotb.clock import Clock
from cocotb.triggers import RisingEdge


def start(dut, inputs) -> None:
    """A 100 MHz clock on dut.clk and every named input at 0."""
    Clock(dut.clk, 10, unit="ns").start()
    for name in inputs:
        getattr(dut, name).value = 0


async def reset(dut, cycles: int = 3) -> None:
    """rst high for `cycles` rising edges, then low."""
    dut.rst.value = 1
    for _ in range(cycles):
        await RisingEdge(dut.clk)
    dut.rst.value = 0


def field(value: int, k: int, bits: int) -> int:
    """Field k of `bits` bits of a flattened bus value."""
    return (value >> (k * bits)) & ((1 << bits) - 1)


def run_cycles(widths, inputs: int, count: int, mode: int, last: int, lanes: int, gates_per_cycle: int) -> int:
    """Engine cycles of one RUN (layers 0..last of `widths`), as lgn_gate_engine.v documents them."""
    nbytes = -(-inputs // 8)
    total = 0
    for c in range(0, count, lanes):
        n = min(lanes, count - c)
        emit = n if mode == 0 else n * -(-widths[last] // 8)
        total += (nbytes + 1) + sum(-(-w // gates_per_cycle) + 3 for w in widths[:last + 1]) + emit + 2
    return max(total, 1)
