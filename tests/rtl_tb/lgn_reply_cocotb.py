# SPDX-License-Identifier: MIT
"""cocotb tests of lgn_reply alone (tests/rtl_tb/build.py REPLY: 3 bytes a clock, two result
banks).

Replies of every shape (empty, a fixed head only, a head plus records from the result
memory) go in as the command handler hands them over; what comes out into the COBS encoder
(with random stalls) must be exactly rtl.protocol.build_payload of the reply: header, body,
CRC, the last byte flagged. The next RUN's records are written into the other bank while a
reply goes out, as the gate engine does."""
from __future__ import annotations

import random

import cocotb
from cocotb.triggers import FallingEdge

from rtl import protocol as P
from tests.rtl_tb.build import REPLY
from tests.rtl_tb import common as tb

WO, MAX_BODY, MAX_CLASSES = REPLY["OUT_BYTES_PER_CLK"], REPLY["MAX_BODY"], REPLY["MAX_CLASSES"]
RECW = P.SCORE_BYTES * MAX_CLASSES + P.PRED_BYTES
HB = max(P.INFO_BODY_BYTES, P.STATUS_BODY_BYTES, P.ERROR_BODY_BYTES, P.RUN_REPLY_FIXED_BYTES)


class ReplyTB:
    def __init__(self, dut, seed: int, stall: float):
        self.dut = dut
        self.rng = random.Random(seed)
        self.stall = stall
        self.out = bytearray()
        self.payloads: list[bytes] = []
        tb.start(dut, ("tx_start", "rp_seq", "rp_type", "rp_len", "rp_hlen", "hreg", "rm_we",
                     "rm_wa", "rm_wd", "rm_wn", "enc_ready"))

    async def reset(self) -> None:
        await tb.reset(self.dut)
        cocotb.start_soon(self._sink())
        await FallingEdge(self.dut.clk)       # inputs change at falling edges only

    async def _sink(self) -> None:
        """Take the offered bytes when enc_ready; a payload ends at the byte flagged last."""
        dut = self.dut
        while True:
            await FallingEdge(dut.clk)
            ready = self.rng.random() >= self.stall
            valid = int(dut.enc_valid.value)
            if ready and valid:
                assert valid & (valid + 1) == 0, f"valid bytes must be the low ones: {valid:b}"
                data = int(dut.enc_data.value)
                n = valid.bit_length()
                self.out += bytes((data >> (8 * k)) & 0xFF for k in range(n))
                if int(dut.enc_last.value):
                    self.payloads.append(bytes(self.out))
                    self.out.clear()
            dut.enc_ready.value = int(ready)

    async def write_results(self, data: bytes) -> None:
        """Into the bank the engine writes now, in random pieces of up to RECW bytes."""
        dut = self.dut
        a = 0
        while a < len(data):
            n = min(self.rng.randint(1, RECW), len(data) - a)
            dut.rm_we.value, dut.rm_wa.value, dut.rm_wn.value = 1, a, n
            dut.rm_wd.value = int.from_bytes(data[a:a + n], "little")
            await FallingEdge(dut.clk)
            a += n
        dut.rm_we.value = 0

    async def start(self, seq: int, rtype: int, head: bytes, records_len: int) -> None:
        """Hand over a reply when the streamer is free (as lgn_cmd does: tx_start)."""
        dut = self.dut
        while int(dut.tx_busy.value):
            await FallingEdge(dut.clk)
        dut.rp_seq.value, dut.rp_type.value = seq, rtype
        dut.rp_len.value, dut.rp_hlen.value = len(head) + records_len, len(head)
        dut.hreg.value = int.from_bytes(head + bytes(self.rng.randrange(256) for _ in range(HB - len(head))),
                                        "little")
        dut.tx_start.value = 1
        await FallingEdge(dut.clk)
        dut.tx_start.value = 0

    async def payloads_n(self, n: int, max_cycles: int = 20000) -> list[bytes]:
        for _ in range(max_cycles):
            if len(self.payloads) >= n:
                break
            await FallingEdge(self.dut.clk)
        assert len(self.payloads) >= n and not self.out, (len(self.payloads), n, self.out.hex())
        got, self.payloads = self.payloads[:n], self.payloads[n:]
        return got


def random_bytes(rng: random.Random, n: int) -> bytes:
    return bytes(rng.choice([0, rng.randrange(256)]) for _ in range(n))


@cocotb.test()
async def fixed_replies_are_exact(dut):
    """Empty bodies and bodies that are all head (INFO, STATUS, an error)."""
    tb = ReplyTB(dut, seed=41, stall=0.3)
    await tb.reset()
    rng = random.Random(41)
    want = []
    for seq, rtype, n in [(1, 0x82, 0), (2, 0x81, P.INFO_BODY_BYTES), (3, 0x86, P.STATUS_BODY_BYTES),
                          (4, P.TYPE_ERROR, P.ERROR_BODY_BYTES), (255, 0x83, 0), (0, 0x81, 1)]:
        head = random_bytes(rng, n)
        await tb.start(seq, rtype, head, 0)
        want.append(P.build_payload(seq, rtype, head))
    got = await tb.payloads_n(len(want))
    for g, w in zip(got, want):
        assert g == w, f"sent {g.hex()}, want {w.hex()}"


@cocotb.test()
async def run_replies_from_both_banks(dut):
    """RUN replies: an 8-byte head and records from the result memory; the next reply's
    records are written while the previous one goes out (the other bank)."""
    tb = ReplyTB(dut, seed=42, stall=0.5)
    await tb.reset()
    rng = random.Random(42)
    want = []
    sizes = [0, 1, 2, 3, 4, 5, 17, 33, 100, MAX_BODY - P.RUN_REPLY_FIXED_BYTES, 7, 64]
    records = random_bytes(rng, sizes[0])
    await tb.write_results(records)
    for i, n in enumerate(sizes):
        head = random_bytes(rng, P.RUN_REPLY_FIXED_BYTES)
        await tb.start(i, 0x85, head, len(records))
        want.append(P.build_payload(i, 0x85, head + records))
        if i + 1 < len(sizes):
            records = random_bytes(rng, sizes[i + 1])
            await tb.write_results(records)       # while reply i streams
    got = await tb.payloads_n(len(want), max_cycles=60000)
    for k, (g, w) in enumerate(zip(got, want)):
        assert g == w, f"reply {k}: sent {g.hex()}, want {w.hex()}"
