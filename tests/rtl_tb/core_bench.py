# SPDX-License-Identifier: MIT
"""cocotb driver for lgn_core's byte streams, shared by the framer and engine tests.

Drives `in_data/in_valid` honouring `in_ready`, takes `out_data` with `out_ready` (both
optionally with random stalls), and decodes the replies with the protocol's own host-side
decoder (rtl.protocol.FrameDecoder), so every reply's COBS and CRC are checked too.
Handshakes are decided at the falling edge, where every output is stable.
"""
from __future__ import annotations

import random

import cocotb
from cocotb.triggers import FallingEdge, RisingEdge

from rtl import protocol as P
from tests.rtl_tb.build import SMALL_CORE
from tests.rtl_tb import common as tb

MAX_BODY = SMALL_CORE["MAX_BODY"]


class Commands:
    """ok() and error() for a bench that has command(seq, type, body) -> the reply Frame."""

    async def ok(self, seq: int, ftype: int, body: bytes = b"") -> bytes:
        r = await self.command(seq, ftype, body)
        if r.type == P.TYPE_ERROR:
            raise AssertionError(f"{P.Cmd(ftype).name} failed: {P.ErrorBody.unpack(r.body).describe()}")
        assert r.type == ftype | P.REPLY_FLAG, r
        return r.body

    async def error(self, seq: int, ftype: int, body: bytes = b"") -> P.ErrorBody:
        r = await self.command(seq, ftype, body)
        assert r.type == P.TYPE_ERROR, f"expected an error reply, got {r}"
        return P.ErrorBody.unpack(r.body)


class CoreTB(Commands):
    def __init__(self, dut, seed: int = 1, in_stall: float = 0.0, out_stall: float = 0.0):
        self.dut = dut
        self.rng = random.Random(seed)
        self.in_stall, self.out_stall = in_stall, out_stall
        self.tx = bytearray()          # host -> board, not yet taken
        self.rx = bytearray()          # board -> host
        self.dec = P.FrameDecoder(MAX_BODY)
        self.replies: list = []
        self.cycles = 0
        tb.start(dut, ("in_valid", "in_data", "in_valid2", "in_data2", "out_ready", "fault_we", "fault_gate", "fault_stuck",
                     "flip_mask"))

    async def reset(self) -> None:
        await tb.reset(self.dut)
        cocotb.start_soon(self._drive())

    async def _drive(self) -> None:
        dut = self.dut
        while True:
            await FallingEdge(dut.clk)
            self.cycles += 1
            ready = self.rng.random() >= self.out_stall
            dut.out_ready.value = int(ready)
            if ready and int(dut.out_valid.value):
                self.rx.append(int(dut.out_data.value))
            if self.tx and self.rng.random() >= self.in_stall:
                dut.in_valid.value = 1
                dut.in_data.value = self.tx[0]
                if int(dut.in_ready.value):
                    del self.tx[0]
            else:
                dut.in_valid.value = 0

    def send(self, data: bytes) -> None:
        self.tx += data

    async def replies_n(self, n: int, max_cycles: int = 200_000) -> list:
        """Wait until n more replies have arrived; return them (Frame or BadFrame)."""
        start = self.cycles
        while len(self.replies) < n:
            if self.rx:
                self.replies += self.dec.feed(bytes(self.rx))
                self.rx.clear()
            if len(self.replies) >= n:
                break
            assert self.cycles - start < max_cycles, \
                f"only {len(self.replies)} of {n} replies after {max_cycles} cycles"
            await RisingEdge(self.dut.clk)
        got, self.replies = self.replies[:n], self.replies[n:]
        for r in got:
            assert isinstance(r, P.Frame), f"the board sent a damaged reply: {r}"
        return got

    async def idle_check(self, cycles: int = 200) -> None:
        """No stray replies: nothing may arrive during `cycles` quiet clocks."""
        for _ in range(cycles):
            await RisingEdge(self.dut.clk)
        self.replies += self.dec.feed(bytes(self.rx))
        self.rx.clear()
        assert not self.replies, f"unexpected replies {self.replies}"
        assert int(self.dut.idle.value) == 1, "the core is not idle"

    async def command(self, seq: int, ftype: int, body: bytes = b"") -> P.Frame:
        self.send(b"\x00" + P.encode_frame(seq, ftype, body))
        (r,) = await self.replies_n(1)
        assert r.seq == seq, (r, seq)
        return r


def info_expected(tag: int = 0) -> P.Info:
    p = SMALL_CORE
    return P.Info(P.PROTOCOL_VERSION, p["MAX_INPUTS"], p["MAX_WIDTH"], p["MAX_LAYERS"],
                  p["MAX_CLASSES"], p["GATES_PER_CYCLE"], p["LANES"], p["MAX_BODY"],
                  p["MAX_GATES"], p["CLOCK_HZ"], tag)
