# SPDX-License-Identifier: MIT
"""cocotb tests of lgn_axi_top, the engine behind AXI4-Lite (the PYNQ-Z2 wrapper), on the
small core (tests/rtl_tb/build.py AXI_TOP: FIFOs of 1024 words; AXI_TOP_TINY: 8 and 4 words,
for the tests named small_fifos_*).

The host side is what the board's agent does: write request bytes into the IN window no
faster than IN_FREE allows, read OUT_COUNT words from the OUT window, and decode replies with
the protocol's own decoder (rtl.protocol.FrameDecoder: COBS and CRC of every reply checked).
The bus is driven by cocotbext-axi's AxiLiteMaster, or by a raw driver of the five channels
here (every AW/W order and gap, random BREADY/RREADY stalls, non-contiguous strobes). Netlists
are loaded and run with the engine tests' own helpers (tests/rtl_tb/engine_cocotb.py), bit
for bit against host.softmodel."""
from __future__ import annotations

import os
import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge
from cocotbext.axi import AxiLiteBus, AxiLiteMaster

from host.netlist import random_netlist
from rtl import axi_regs as R
from rtl import protocol as P
from tests.rtl_tb.build import AXI_TOP, AXI_TOP_TINY
from tests.rtl_tb.core_bench import MAX_BODY, Commands, info_expected
from tests.rtl_tb.engine_cocotb import check_runs, load

WORD = R.DATA_BYTES
INPUTS = ("s_axi_awaddr", "s_axi_awprot", "s_axi_awvalid", "s_axi_wdata", "s_axi_wstrb",
          "s_axi_wvalid", "s_axi_bready", "s_axi_araddr", "s_axi_arprot", "s_axi_arvalid",
          "s_axi_rready")


class CocotbextBus:
    """Words over cocotbext-axi's AxiLiteMaster (a multi-word write or read goes back to back)."""

    def __init__(self, dut):
        self.axi = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axi"), dut.aclk, dut.aresetn,
                                 reset_active_level=False)
        self.axi.write_if.log.setLevel("WARNING")
        self.axi.read_if.log.setLevel("WARNING")

    async def write(self, addr: int, data: bytes) -> None:
        """Bytes at consecutive byte addresses (partial words get partial strobes)."""
        await self.axi.write(addr, data)

    async def read(self, addr: int, words: int = 1, step: int = WORD) -> list[int]:
        if step == 0:       # the same address `words` times
            return [int.from_bytes((await self.axi.read(addr, WORD)).data, "little") for _ in range(words)]
        data = (await self.axi.read(addr, WORD * words)).data
        return [int.from_bytes(data[k:k + WORD], "little") for k in range(0, len(data), WORD)]


class RawBus:
    """The five channels driven here: AW and W in a random order with random gaps (or
    together), BREADY and RREADY held low for random stretches. Decisions at the falling edge,
    where the slave's outputs are stable; a handshake happens at the next rising edge."""

    ORDERS = ("together", "aw_first", "w_first")

    def __init__(self, dut, seed: int, max_gap: int = 3, max_stall: int = 4):
        self.dut, self.rng = dut, random.Random(seed)
        self.max_gap, self.max_stall = max_gap, max_stall
        self.orders = {o: 0 for o in self.ORDERS}

    async def _handshake(self, valid: str, ready: str, gap: int, **values) -> None:
        dut = self.dut
        for _ in range(gap + 1):
            await FallingEdge(dut.aclk)
        for name, v in values.items():
            getattr(dut, name).value = v
        getattr(dut, valid).value = 1       # (READY does not depend on VALID here)
        while not int(getattr(dut, ready).value):
            await FallingEdge(dut.aclk)
        await RisingEdge(dut.aclk)
        getattr(dut, valid).value = 0

    async def _response(self, valid: str, ready: str, data: str | None = None) -> int:
        dut = self.dut
        while True:
            await FallingEdge(dut.aclk)
            if not int(getattr(dut, valid).value):
                continue
            for _ in range(self.rng.randint(0, self.max_stall)):     # VALID waits, READY low
                await FallingEdge(dut.aclk)
                assert int(getattr(dut, valid).value), f"{valid} dropped before {ready}"
            value = int(getattr(dut, data).value) if data else 0
            if valid == "s_axi_bvalid":
                assert int(dut.s_axi_bresp.value) == 0
            else:
                assert int(dut.s_axi_rresp.value) == 0
            getattr(dut, ready).value = 1
            await RisingEdge(dut.aclk)
            getattr(dut, ready).value = 0
            return value

    async def write_word(self, addr: int, value: int, strb: int = 0xF, order: str | None = None) -> None:
        order = order or self.rng.choice(self.ORDERS)
        self.orders[order] += 1
        gap = self.rng.randint(0, self.max_gap)
        aw = dict(s_axi_awaddr=addr)
        w = dict(s_axi_wdata=value, s_axi_wstrb=strb)
        if order == "together":
            a = cocotb.start_soon(self._handshake("s_axi_awvalid", "s_axi_awready", 0, **aw))
            b = cocotb.start_soon(self._handshake("s_axi_wvalid", "s_axi_wready", 0, **w))
            await a
            await b
        elif order == "aw_first":
            await self._handshake("s_axi_awvalid", "s_axi_awready", 0, **aw)
            await self._handshake("s_axi_wvalid", "s_axi_wready", gap, **w)
        else:
            await self._handshake("s_axi_wvalid", "s_axi_wready", 0, **w)
            await self._handshake("s_axi_awvalid", "s_axi_awready", gap, **aw)
        await self._response("s_axi_bvalid", "s_axi_bready")

    async def write(self, addr: int, data: bytes) -> None:
        """Bytes as words, each with a random non-empty strobe pattern (lanes need not be
        contiguous); the bytes fill the strobed lanes low first."""
        k = 0
        while k < len(data):
            strb = self.rng.randint(1, 15)
            value, used = 0, 0
            for lane in range(WORD):
                if strb >> lane & 1:
                    if k < len(data):
                        value |= data[k] << (8 * lane)
                        k += 1
                        used |= 1 << lane
                else:
                    value |= self.rng.randint(0, 255) << (8 * lane)    # junk in unstrobed lanes
            await self.write_word(addr, value, used)

    async def read(self, addr: int, words: int = 1, step: int = WORD) -> list[int]:
        out = []
        for k in range(words):
            await self._handshake("s_axi_arvalid", "s_axi_arready", self.rng.randint(0, self.max_gap),
                                  s_axi_araddr=addr + k * step)
            out.append(await self._response("s_axi_rvalid", "s_axi_rready", "s_axi_rdata"))
        return out


class AxiHost(Commands):
    """The agent's loop, in simulation: request bytes in as IN_FREE allows, replies out as
    OUT_COUNT says. ok()/error() have CoreTB's signature, so the engine tests' helpers run."""

    def __init__(self, dut, raw_seed: int | None = None):
        self.dut = dut
        for name in INPUTS:
            getattr(dut, name).value = 0
        dut.aresetn.value = 0
        Clock(dut.aclk, 10, unit="ns").start()
        self.bus = CocotbextBus(dut) if raw_seed is None else RawBus(dut, raw_seed)
        self.dec = P.FrameDecoder(MAX_BODY)
        self.replies: list = []
        self.words_out = 0
        self.cycles = 0
        cocotb.start_soon(self._count())

    async def _count(self) -> None:
        while True:
            await RisingEdge(self.dut.aclk)
            self.cycles += 1

    async def reset(self) -> None:
        self.dut.aresetn.value = 0
        for _ in range(5):
            await RisingEdge(self.dut.aclk)
        self.dut.aresetn.value = 1
        for _ in range(2):
            await RisingEdge(self.dut.aclk)

    async def reg(self, addr: int) -> int:
        return (await self.bus.read(addr))[0]

    async def write_reg(self, addr: int, value: int) -> None:
        await self.bus.write(addr, value.to_bytes(WORD, "little"))

    async def drain(self) -> int:
        """Read every word the OUT FIFO holds now into the decoder; how many."""
        n = await self.reg(R.OUT_COUNT)
        if n:
            words = await self.bus.read(R.OUT_WINDOW, n, step=WORD if n * WORD <= R.WINDOW_BYTES else 0)
            self.words_out += n
            self.replies += self.dec.feed(b"".join(w.to_bytes(WORD, "little") for w in words))
        return n

    async def send(self, data: bytes) -> None:
        """Write `data` into the IN window, never more words than IN_FREE says; while the IN
        FIFO is full, drain replies (an engine waiting for OUT space takes no more bytes)."""
        k = 0
        while k < len(data):
            free = await self.reg(R.IN_FREE)
            if free == 0:
                await self.drain()
                continue
            n = min(free * WORD, len(data) - k, R.WINDOW_BYTES)
            if isinstance(self.bus, RawBus):
                n = min(n, free)            # up to one byte a word with random strobes
            await self.bus.write(R.IN_WINDOW, data[k:k + n])
            k += n

    async def replies_n(self, n: int, max_polls: int = 20_000) -> list:
        for _ in range(max_polls):
            if len(self.replies) >= n:
                break
            if not await self.drain():
                for _ in range(8):
                    await RisingEdge(self.dut.aclk)
        else:
            raise AssertionError(f"only {len(self.replies)} of {n} replies")
        got, self.replies = self.replies[:n], self.replies[n:]
        for r in got:
            assert isinstance(r, P.Frame), f"the board sent a damaged reply: {r}"
        return got

    async def command(self, seq: int, ftype: int, body: bytes = b"") -> P.Frame:
        await self.send(b"\x00" + P.encode_frame(seq, ftype, body))
        (r,) = await self.replies_n(1)
        assert r.seq == seq, (r, seq)
        return r

    async def wait_idle(self, max_polls: int = 1000) -> int:
        """Until the engine is idle with every request byte taken (its replies are then in the
        OUT FIFO); the STATUS read."""
        want = R.STATUS_IDLE | R.STATUS_IN_EMPTY
        for _ in range(max_polls):
            st = await self.reg(R.STATUS)
            if st & want == want:
                return st
        raise AssertionError("the engine did not go idle")


async def started(dut, raw_seed: int | None = None) -> AxiHost:
    host = AxiHost(dut, raw_seed)
    await host.reset()
    return host


def info_frame(seq: int) -> bytes:
    return b"\x00" + P.encode_frame(seq, P.Cmd.INFO)


@cocotb.test()
async def registers_after_reset(dut):
    h = await started(dut)
    in_words = AXI_TOP["IN_WORDS"]
    assert await h.reg(R.ID) == R.ID_VALUE
    assert await h.reg(R.IN_FREE) == in_words
    assert await h.reg(R.OUT_COUNT) == 0
    assert await h.reg(R.STATUS) == R.STATUS_IDLE | R.STATUS_IN_EMPTY | R.STATUS_OUT_EMPTY
    # reads of write-only places, unmapped places and an empty OUT FIFO: 0
    for addr in (R.CTRL, 0x0014, 0x0FFC, R.IN_WINDOW, R.IN_WINDOW + 0xFFC, R.OUT_WINDOW,
                 R.OUT_WINDOW + 0x7F0, 0x3000, 0xFFFC):
        assert await h.reg(addr) == 0, hex(addr)
    # writes to read-only and unmapped places: OKAY, ignored (nothing reaches the FIFOs)
    for addr in (R.ID, R.STATUS, R.IN_FREE, R.OUT_COUNT, R.OUT_WINDOW, 0x0020, 0x3000, 0xFFFC):
        await h.write_reg(addr, 0xDEADBEEF)
    assert await h.reg(R.ID) == R.ID_VALUE
    assert await h.reg(R.IN_FREE) == in_words
    assert await h.reg(R.STATUS) == R.STATUS_IDLE | R.STATUS_IN_EMPTY | R.STATUS_OUT_EMPTY


@cocotb.test()
async def info_round_trip(dut):
    h = await started(dut)
    await h.send(info_frame(7))
    await h.wait_idle()
    n = await h.reg(R.OUT_COUNT)
    # the whole reply is in the FIFO (its last word padded), and nothing else
    enc = P.encode_frame(7, P.Cmd.INFO | P.REPLY_FLAG, info_expected().pack())   # ends in 0x00
    assert n == -(-len(enc) // WORD), (n, len(enc))
    words = await h.bus.read(R.OUT_WINDOW, n)
    raw = b"".join(w.to_bytes(WORD, "little") for w in words)
    assert raw == enc.ljust(n * WORD, b"\x00"), (raw.hex(), enc.hex())
    (r,) = h.dec.feed(raw)
    assert r.type == P.Cmd.INFO | P.REPLY_FLAG and P.Info.unpack(r.body) == info_expected(), r
    assert await h.reg(R.OUT_COUNT) == 0 and await h.reg(R.OUT_WINDOW) == 0
    assert await h.reg(R.STATUS) == R.STATUS_IDLE | R.STATUS_IN_EMPTY | R.STATUS_OUT_EMPTY
    # and again through ok(), several in a row
    for seq in range(3):
        assert P.Info.unpack(await h.ok(seq, P.Cmd.INFO)) == info_expected()


@cocotb.test()
async def ctrl_reset(dut):
    h = await started(dut)
    rng = np.random.default_rng(3)
    net = random_netlist(rng, 16, [16, 8], 4)
    await load(h, net, 0x55)
    assert P.Info.unpack(await h.ok(1, P.Cmd.INFO)).config_tag == 0x55
    # replies waiting in the OUT FIFO, half a frame in the engine: CTRL reset drops them all
    await h.send(info_frame(2) + info_frame(3))
    await h.wait_idle()
    assert await h.reg(R.OUT_COUNT) > 0
    half = info_frame(4)
    await h.send(half[:len(half) // 2])
    await h.write_reg(R.CTRL, R.CTRL_RESET)
    assert await h.reg(R.OUT_COUNT) == 0
    assert await h.reg(R.IN_FREE) == AXI_TOP["IN_WORDS"]
    assert await h.wait_idle() == R.STATUS_IDLE | R.STATUS_IN_EMPTY | R.STATUS_OUT_EMPTY
    # the engine starts over: unconfigured, and the half frame is gone
    assert P.Info.unpack(await h.ok(5, P.Cmd.INFO)) == info_expected(0)
    assert not h.replies
    # CTRL with bit 0 clear, or without its strobe, resets nothing
    await load(h, net, 0x66)
    await h.write_reg(R.CTRL, 0xFFFFFFFE)
    await h.bus.write(R.CTRL + 1, b"\xff\xff\xff")
    assert P.Info.unpack(await h.ok(6, P.Cmd.INFO)).config_tag == 0x66


NETS = [(64, [64, 64, 64], 8, 17), (13, [7, 5, 9, 6], 3, 9)]


@cocotb.test()
async def random_netlists_bit_exact(dut):
    h = await started(dut)
    rng = np.random.default_rng(31)
    for i, (inputs, widths, classes, n) in enumerate(NETS):
        net = random_netlist(rng, inputs, widths, classes)
        await load(h, net, 0x2000 + i)
        await check_runs(h, net, rng.integers(0, 2, (n, inputs), dtype=np.uint8), 0x2000 + i)
    st = P.Status.unpack(await h.ok(9, P.Cmd.STATUS))
    assert st.other_errors == 0 and st.crc_errors == 0 and st.cobs_errors == 0, st


@cocotb.test()
async def wstrb_partial_words(dut):
    """Frames written in pieces at every byte offset: contiguous partial strobes, as
    cocotbext-axi makes them (the raw-bus test does non-contiguous ones, zero-strobe words and
    junk in unstrobed lanes)."""
    h = await started(dut)
    rng = random.Random(5)
    for seq in range(6):
        frame = info_frame(seq)
        k = 0
        while k < len(frame):
            off = rng.randint(0, 3)
            n = min(rng.randint(1, WORD - off), len(frame) - k)
            await h.bus.write(R.IN_WINDOW + off, frame[k:k + n])
            k += n
        (r,) = await h.replies_n(1)
        assert r.seq == seq and P.Info.unpack(r.body) == info_expected(), r
    # an unaligned multi-word write: first word strobes 1110, last 0011
    rngn = np.random.default_rng(6)
    net = random_netlist(rngn, 8, [8], 2)
    frame = b"\x00" + P.encode_frame(1, P.Cmd.CONFIG, P.Config(8, (8,), 2, 9).pack())
    await h.bus.write(R.IN_WINDOW + 1, frame)
    (r,) = await h.replies_n(1)
    assert r.type == P.Cmd.CONFIG | P.REPLY_FLAG, r
    await load(h, net, 10)
    await check_runs(h, net, rngn.integers(0, 2, (5, 8), dtype=np.uint8), 10)


@cocotb.test()
async def raw_bus_orders_strobes_and_stalls(dut):
    """The raw driver: AW before W, W before AW (0-3 clocks apart) and together; random
    non-contiguous strobes with junk in the other lanes, zero-strobe words; BREADY and RREADY
    held low up to 4 clocks (an OUT-window read pops exactly once however long R waits)."""
    h = await started(dut, raw_seed=8)
    bus: RawBus = h.bus

    assert await h.reg(R.ID) == R.ID_VALUE
    for order in RawBus.ORDERS:             # CTRL through every order
        await bus.write_word(R.CTRL, R.CTRL_RESET, order=order)
        assert await h.reg(R.IN_FREE) == AXI_TOP["IN_WORDS"]
    await bus.write_word(R.IN_WINDOW, 0x12345678, strb=0)       # no bytes: nothing happens
    assert P.Info.unpack(await h.ok(1, P.Cmd.INFO)) == info_expected()
    rng = np.random.default_rng(9)
    net = random_netlist(rng, 12, [10, 6], 3)
    await load(h, net, 0x77)
    await check_runs(h, net, rng.integers(0, 2, (9, 12), dtype=np.uint8), 0x77)
    # OUT-window reads with long RREADY stalls: each pops one word
    bus.max_stall = 12
    await h.send(info_frame(3))
    await h.wait_idle()
    n = await h.reg(R.OUT_COUNT)
    words = await bus.read(R.OUT_WINDOW + 0x40, n, step=0)
    (r,) = h.dec.feed(b"".join(w.to_bytes(WORD, "little") for w in words))
    assert r.seq == 3 and P.Info.unpack(r.body) == info_expected(0x77), r
    assert await h.reg(R.OUT_COUNT) == 0
    assert all(bus.orders.values()), bus.orders
    dut._log.info("raw writes by order: %s", bus.orders)


@cocotb.test()
async def small_fifos_out_backpressure(dut):
    """OUT FIFO of 4 words, replies of ~10 words: the packer stalls the engine, nothing is
    lost; a RUN reply of many words comes through while the host drains."""
    h = await started(dut)
    out_cap = AXI_TOP_TINY["OUT_WORDS"] + 1          # the memory and the output register
    await h.send(info_frame(1) + info_frame(2))
    for _ in range(300):
        await RisingEdge(dut.aclk)
    assert await h.reg(R.OUT_COUNT) == out_cap
    st = await h.reg(R.STATUS)
    assert not st & R.STATUS_IDLE and not st & R.STATUS_OUT_EMPTY, st
    for seq, r in zip((1, 2), await h.replies_n(2)):
        assert r.seq == seq and P.Info.unpack(r.body) == info_expected(), r
    rng = np.random.default_rng(12)
    net = random_netlist(rng, 40, [48, 32], 8)
    await load(h, net, 0x31)
    await check_runs(h, net, rng.integers(0, 2, (20, 40), dtype=np.uint8), 0x31)
    assert h.words_out > 20 * out_cap


@cocotb.test()
async def small_fifos_in_full_drops(dut):
    """With the OUT FIFO full and nobody reading, the engine stops taking bytes and the IN
    FIFO fills; IN_FREE reads 0, and a write then is dropped (a junk word that would have
    turned into an error reply). Once drained, every INFO gets its reply and nothing else."""
    h = await started(dut)
    sent = 0
    for _ in range(40):
        free = await h.reg(R.IN_FREE)
        if free == 0:
            break
        frame = info_frame(sent)
        if len(frame) > free * WORD:
            frame = b"\x00" * (free * WORD)     # empty frames fill the rest
        else:
            sent += 1
        await h.bus.write(R.IN_WINDOW, frame.ljust(-(-len(frame) // WORD) * WORD, b"\x00"))
        for _ in range(50):
            await RisingEdge(dut.aclk)
    else:
        raise AssertionError("the IN FIFO never filled")
    for _ in range(200):
        await RisingEdge(dut.aclk)
    assert await h.reg(R.IN_FREE) == 0
    await h.bus.write(R.IN_WINDOW, b"\x05\x01\x02\x03")     # dropped
    assert await h.reg(R.IN_FREE) == 0
    await h.send(info_frame(0xAA))
    got = await h.replies_n(sent + 1)
    assert [r.seq for r in got] == list(range(sent)) + [0xAA], got
    assert all(r.type == P.Cmd.INFO | P.REPLY_FLAG for r in got), got
    st = P.Status.unpack(await h.ok(0xAB, P.Cmd.STATUS))
    assert st.other_errors == 0 and st.crc_errors == 0 and st.cobs_errors == 0, st
    assert sent >= 3, sent
    await h.wait_idle()
    assert await h.reg(R.IN_FREE) == AXI_TOP_TINY["IN_WORDS"]


@cocotb.test()
async def throughput(dut):
    """Bytes a clock through AXI-Lite with cocotbext-axi's back-to-back transactions: a
    LOAD-sized write burst into the IN window and a burst of OUT-window reads of a waiting
    RUN reply (each measured from its first VALID to its last response), and end to end (a
    whole RUN: request in, reply out)."""
    h = await started(dut)
    rng = np.random.default_rng(40)
    net = random_netlist(rng, 64, [64, 64], 8)
    await load(h, net, 0x44)
    # IN: a RUN request of 60 samples (~490 bytes) written as one back-to-back burst
    bits = rng.integers(0, 2, (56, 64), dtype=np.uint8)
    req = b"\x00" + P.encode_frame(1, P.Cmd.RUN, P.encode_run(1, 1, P.pack_samples(bits)))
    req = req.ljust(-(-len(req) // WORD) * WORD, b"\x00")
    c0 = h.cycles
    await h.bus.write(R.IN_WINDOW, req)
    c_in = h.cycles - c0
    await h.wait_idle()
    # OUT: the reply (layer-1 bits of 56 samples, ~460 bytes) waits whole in the OUT FIFO
    n = await h.reg(R.OUT_COUNT)
    c0 = h.cycles
    words = await h.bus.read(R.OUT_WINDOW, n)
    c_out = h.cycles - c0
    (r,) = h.dec.feed(b"".join(w.to_bytes(WORD, "little") for w in words))
    assert r.type == P.Cmd.RUN | P.REPLY_FLAG, r
    # end to end, through the agent's loop (IN_FREE / OUT_COUNT polls included)
    c0 = h.cycles
    body = await h.ok(2, P.Cmd.RUN, P.encode_run(1, 1, P.pack_samples(bits)))
    c_e2e = h.cycles - c0
    assert body == r.body
    msg = (f"AXI-Lite throughput (cocotbext-axi, back to back): IN {len(req)} B in {c_in} clk = "
           f"{len(req) / c_in:.3f} B/clk; OUT {4 * n} B in {c_out} clk = {4 * n / c_out:.3f} B/clk; "
           f"end to end RUN ({len(req)} B in, {4 * n} B out) {c_e2e} clk")
    dut._log.info(msg)
    path = os.environ.get("LGN_AXI_THROUGHPUT_OUT")
    if path:
        with open(path, "w") as f:
            f.write(msg + "\n")
