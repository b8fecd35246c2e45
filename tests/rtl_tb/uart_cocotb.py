# SPDX-License-Identifier: MIT
"""cocotb tests of lgn_uart_rx / lgn_uart_tx (tests/rtl_tb/tb_uart.sv) at 115,200 and
3,000,000 baud from 25 MHz and 100 MHz clocks: random bytes with the sender's baud off by
up to +-2.5%, back-to-back and with idle gaps; framing errors; the transmitter's bit timing
measured on the line."""
from __future__ import annotations

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import Edge, FallingEdge, RisingEdge, Timer
from cocotb.utils import get_sim_time

INST = {  # index in tb_uart: (clock Hz, baud)
    "a": (0, 25_000_000, 115_200),
    "b": (1, 25_000_000, 3_000_000),
    "c": (2, 100_000_000, 3_000_000),
    "d": (3, 100_000_000, 115_200),
}


def bit(sig, i: int) -> int:
    return (int(sig.value) >> i) & 1


class UartTB:
    def __init__(self, dut):
        self.dut = dut
        self.line = 0xF                       # rxd of the four instances, idle high
        dut.rxd.value = self.line
        dut.tx_valid.value = 0
        dut.tx_data.value = 0
        Clock(dut.clk25, 40, unit="ns").start()
        Clock(dut.clk100, 10, unit="ns").start()

    async def reset(self):
        self.dut.rst.value = 1
        await Timer(200, unit="ns")
        await RisingEdge(self.dut.clk25)
        self.dut.rst.value = 0
        await Timer(200, unit="ns")

    def set_rxd(self, i: int, v: int) -> None:
        self.line = (self.line & ~(1 << i)) | (v << i)
        self.dut.rxd.value = self.line

    async def send_byte(self, i: int, byte: int, baud: float, stop: int = 1) -> None:
        t = round(1e12 / baud)               # bit time in ps
        for v in [0] + [(byte >> k) & 1 for k in range(8)] + [stop]:
            self.set_rxd(i, v)
            await Timer(t, unit="ps")
        self.set_rxd(i, 1)

    async def collect(self, i: int, out: list, errs: list) -> None:
        dut = self.dut
        clk = dut.clk25 if i < 2 else dut.clk100
        while True:
            await RisingEdge(clk)
            v, f = bit(dut.rx_valid, i), bit(dut.rx_ferr, i)
            if v:
                out.append((int(dut.rx_data.value) >> (8 * i)) & 0xFF)
            if f:
                errs.append(len(out))


async def rx_case(dut, name: str, n: int, skews=(1.0, 0.975, 1.025)):
    i, clk_hz, baud = INST[name]
    tb = UartTB(dut)
    await tb.reset()
    rng = random.Random(i)
    got, errs = [], []
    mon = cocotb.start_soon(tb.collect(i, got, errs))
    sent = []
    for skew in skews:
        for _ in range(n):
            b = rng.randrange(256)
            sent.append(b)
            await tb.send_byte(i, b, baud * skew)
            if rng.random() < 0.5:
                await Timer(round(1e12 / baud * rng.random() * 2), unit="ps")
    await Timer(round(2e12 / baud), unit="ps")
    mon.cancel()
    assert got == sent, f"{name}: sent {bytes(sent).hex()} got {bytes(got).hex()}"
    assert not errs, f"{name}: framing errors at {errs}"


async def ferr_case(dut, name: str):
    i, clk_hz, baud = INST[name]
    tb = UartTB(dut)
    await tb.reset()
    got, errs = [], []
    mon = cocotb.start_soon(tb.collect(i, got, errs))
    await tb.send_byte(i, 0x5A, baud)
    await tb.send_byte(i, 0xC3, baud, stop=0)      # stop bit low: a framing error
    await Timer(round(3e12 / baud), unit="ps")      # line back to idle
    await tb.send_byte(i, 0x00, baud, stop=0)      # a break-like all-zero character
    await Timer(round(3e12 / baud), unit="ps")
    await tb.send_byte(i, 0xA5, baud)
    await Timer(round(2e12 / baud), unit="ps")
    mon.cancel()
    assert got == [0x5A, 0xA5], f"{name}: got {bytes(got).hex()}"
    assert errs == [1, 1], f"{name}: framing errors flagged after bytes {errs}"


async def tx_case(dut, name: str, n: int):
    i, clk_hz, baud = INST[name]
    tb = UartTB(dut)
    await tb.reset()
    clk = dut.clk25 if i < 2 else dut.clk100
    rng = random.Random(100 + i)
    data = [rng.randrange(256) for _ in range(n)]
    seen, starts = [], []
    bit_ps = 1e12 / baud

    async def feed():
        for b in data:
            await FallingEdge(clk)            # handshakes are decided where ready is stable
            dut.tx_data.value = b << (8 * i)
            dut.tx_valid.value = 1 << i
            while not bit(dut.tx_ready, i):
                await FallingEdge(clk)
            await RisingEdge(clk)             # taken here
            dut.tx_valid.value = 0

    cocotb.start_soon(feed())
    for _ in range(n):
        while bit(dut.txd, i):
            await Edge(dut.txd)
        t0 = get_sim_time(unit="ps")
        starts.append(t0)
        await Timer(round(bit_ps / 2), unit="ps")
        assert bit(dut.txd, i) == 0, f"{name}: start bit did not last half a bit"
        b = 0
        for k in range(8):
            await Timer(round(bit_ps), unit="ps")
            b |= bit(dut.txd, i) << k
        await Timer(round(bit_ps), unit="ps")
        assert bit(dut.txd, i) == 1, f"{name}: stop bit low"
        seen.append(b)
        await Timer(round(bit_ps * 0.45), unit="ps")   # into the end of the stop bit
    assert seen == data, f"{name}: sent {bytes(data).hex()} line {bytes(seen).hex()}"
    # back-to-back characters: 10 bit times apart, within the handshake clocks plus rounding
    clk_ps = 1e12 / clk_hz
    for a, b in zip(starts, starts[1:]):
        assert abs((b - a) - 10 * bit_ps) <= 3 * clk_ps, \
            f"{name}: characters {b - a} ps apart, want {10 * bit_ps:.0f} ps"


@cocotb.test()
async def rx_25mhz_115200(dut):
    await rx_case(dut, "a", 4)


@cocotb.test()
async def rx_25mhz_3m(dut):
    await rx_case(dut, "b", 40)


@cocotb.test()
async def rx_100mhz_3m(dut):
    await rx_case(dut, "c", 40)


@cocotb.test()
async def rx_100mhz_115200(dut):
    await rx_case(dut, "d", 2, skews=(1.0, 1.02))


@cocotb.test()
async def framing_errors_25mhz_3m(dut):
    await ferr_case(dut, "b")


@cocotb.test()
async def framing_errors_25mhz_115200(dut):
    await ferr_case(dut, "a")


@cocotb.test()
async def tx_25mhz_3m(dut):
    await tx_case(dut, "b", 30)


@cocotb.test()
async def tx_100mhz_3m(dut):
    await tx_case(dut, "c", 30)


@cocotb.test()
async def tx_25mhz_115200(dut):
    await tx_case(dut, "a", 3)
