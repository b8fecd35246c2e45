# SPDX-License-Identifier: MIT
"""cocotb tests of the ULX3S top level (boards/ulx3s/lgn_ulx3s_top.v) with the ulx3s-12f
engine build, driven only through its pins: frames go in on ftdi_txd and replies come out on
ftdi_rxd at 3,000,000 baud (cocotbext-uart), the reset is the F1 button. The simulated PLL is
a wire, so clk_25mhz is driven at the PLL's output, the engine clock (60 MHz)."""
from __future__ import annotations

import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, Timer
from cocotb.utils import get_sim_time
from cocotbext.uart import UartSink, UartSource

from host.netlist import random_netlist
from rtl import protocol as P
from tests.rtl_tb.core_bench import Commands
from tests.rtl_tb.engine_cocotb import check_runs, load

PARAMS = {k: int(v) for k, v in (kv.split("=") for kv in os.environ["LGN_TB_PARAMS"].split(","))}
BAUD = PARAMS["BAUD"]


class UartBench(Commands):
    """The host side of the link, bytes on the UART pins; ok() as CoreTB's."""

    def __init__(self, dut):
        self.dut = dut
        period_ps = 2 * round(0.5e12 / PARAMS["CLOCK_HZ"])       # an even number of ps
        Clock(dut.clk_25mhz, period_ps, unit="ps").start()
        self.src = UartSource(dut.ftdi_txd, baud=BAUD, bits=8, stop_bits=1)
        self.sink = UartSink(dut.ftdi_rxd, baud=BAUD, bits=8, stop_bits=1)
        self.dec = P.FrameDecoder(PARAMS["MAX_BODY"])
        self.replies: list = []
        dut.btn.value = 0

    async def reset(self) -> None:
        self.dut.btn.value = 0b10                 # F1 held
        await ClockCycles(self.dut.clk_25mhz, 10)
        self.dut.btn.value = 0
        await ClockCycles(self.dut.clk_25mhz, 40)
        assert int(self.dut.led.value) >> 7 & 1, "the PLL lock LED is off"

    async def command(self, seq: int, ftype: int, body: bytes = b"", timeout_us: float = 200_000):
        await self.src.write(b"\x00" + P.encode_frame(seq, ftype, body))
        start = get_sim_time("us")
        while not self.replies:
            await self.sink.wait(timeout=20, timeout_unit="us")
            data = self.sink.read_nowait()
            if data:
                self.replies += self.dec.feed(bytes(data))
            assert get_sim_time("us") - start < timeout_us, f"no reply to {P.Cmd(ftype).name}"
        r = self.replies.pop(0)
        assert isinstance(r, P.Frame), f"the board sent a damaged reply: {r}"
        assert r.seq == seq, (r, seq)
        return r


@cocotb.test()
async def info_over_the_pins(dut):
    """INFO at 3 Mbaud reports this build's parameters; the LEDs show the traffic."""
    tb = UartBench(dut)
    await tb.reset()
    seen = []

    async def watch():
        while True:
            await ClockCycles(dut.clk_25mhz, 50)
            seen.append(int(dut.led.value))
    cocotb.start_soon(watch())
    info = P.Info.unpack(await tb.ok(5, P.Cmd.INFO))
    want = {k.lower(): v for k, v in PARAMS.items()}
    for f in ("max_inputs", "max_width", "max_layers", "max_classes", "gates_per_cycle", "lanes",
              "max_body", "max_gates", "clock_hz"):
        assert getattr(info, f) == want[f], (f, getattr(info, f), want[f])
    assert any(v & 1 for v in seen) and any(v & 2 for v in seen), "no rx/tx activity LED"
    assert not any(v & 4 for v in seen), "framing-error LED lit on a clean line"


@cocotb.test()
async def random_netlists_bit_exact(dut):
    """Random netlists load over the UART and every RUN mode equals the software model."""
    tb = UartBench(dut)
    await tb.reset()
    rng = np.random.default_rng(int(os.environ.get("LGN_TB_SEED", "31")))
    for i, (inputs, widths, classes, n) in enumerate([(24, [30, 20], 5, 11), (9, [6, 6, 3], 3, 9)]):
        net = random_netlist(rng, inputs, widths, classes)
        await load(tb, net, 0x200 + i, PARAMS)
        bits = rng.integers(0, 2, (n, inputs), dtype=np.uint8)
        await check_runs(tb, net, bits, 0x200 + i, PARAMS)
    st = P.Status.unpack(await tb.ok(9, P.Cmd.STATUS))
    assert st.crc_errors == 0 and st.other_errors == 0, st


@cocotb.test()
async def reset_button_clears_the_configuration(dut):
    """F1 resets the engine: a CONFIG tag set before reads back as 0 after."""
    tb = UartBench(dut)
    await tb.reset()
    await tb.ok(1, P.Cmd.CONFIG, P.Config(8, (4,), 2, 0x77).pack())
    assert P.Info.unpack(await tb.ok(2, P.Cmd.INFO)).config_tag == 0x77
    await tb.reset()
    await Timer(1, unit="us")
    assert P.Info.unpack(await tb.ok(3, P.Cmd.INFO)).config_tag == 0
