# SPDX-License-Identifier: MIT
"""cocotb tests of lgn_framer alone (tests/rtl_tb/build.py FRAMER: 3 decoded slots a clock).

Decoded payload bytes go in as the COBS decoder hands them over (up to 3 a clock, an end
marker last; held while a frame is pending); each captured frame must be what the
protocol's own payload checker (rtl.protocol.parse_payload) says: the error code and detail,
seq, type, len, the first body bytes, and the body in the frame store (RUN samples
lane-major), read back through the store's read port."""
from __future__ import annotations

import random

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge

from rtl import protocol as P
from tests.rtl_tb.build import FRAMER, fs_depth
from tests.rtl_tb import common as tb

L, W, MAX_BODY = FRAMER["LANES"], FRAMER["IN_BYTES_PER_CLK"], FRAMER["MAX_BODY"]
DEPTH = fs_depth(FRAMER)
END, END_ERR = -1, -2          # slot markers: end of frame (good COBS / bad COBS)


class FramerTB:
    def __init__(self, dut, seed: int):
        self.dut = dut
        self.rng = random.Random(seed)
        self.slots: list[int] = []
        tb.start(dut, ("d_data", "d_valid", "d_end", "d_err", "cfg_valid", "cfg_nbytes",
                     "fr_release", "fs_raddr", "fs_ren"))

    async def reset(self) -> None:
        await tb.reset(self.dut)
        cocotb.start_soon(self._feed())

    async def _feed(self) -> None:
        """Up to W slots a clock, an end marker only last; while a frame is pending the slots
        stay offered (as the held decoder's are) and are not taken."""
        dut = self.dut
        offered, held = 0, False
        while True:
            await FallingEdge(dut.clk)
            if offered and not held:        # taken at the edge before this one
                del self.slots[:offered]
                offered = 0
            held = bool(int(dut.fr_pending.value))
            if offered:
                continue                    # held: the same slots stay offered
            data = valid = end = err = 0
            n = self.rng.randint(0, W)
            for k in range(min(n, len(self.slots))):
                s = self.slots[k]
                valid |= 1 << k
                offered += 1
                if s < 0:
                    end |= 1 << k
                    err |= (s == END_ERR) << k
                    break
                data |= s << (8 * k)
            dut.d_data.value, dut.d_valid.value = data, valid
            dut.d_end.value, dut.d_err.value = end, err

    def send(self, payload: bytes, cobs_ok: bool = True) -> None:
        self.slots += list(payload) + [END if cobs_ok else END_ERR]

    async def frame(self, max_cycles: int = 5000) -> dict:
        """Wait for the next pending frame; return what the framer captured."""
        dut = self.dut
        for _ in range(max_cycles):
            await FallingEdge(dut.clk)
            if int(dut.fr_pending.value):
                break
        else:
            raise AssertionError("no frame became pending")
        head = int(dut.fr_head.value).to_bytes(P.RUN_FIXED_BYTES, "little")
        return dict(seq=int(dut.fr_seq.value), type=int(dut.fr_type.value),
                    len=int(dut.fr_len.value), head=head, code=int(dut.fr_code.value),
                    detail=int(dut.fr_detail.value), base=int(dut.fr_base.value))

    async def read_store(self, words) -> list[bytes]:
        """The frame store's words at these addresses (one-clock read port)."""
        dut = self.dut
        out = []
        for a in words:
            dut.fs_raddr.value, dut.fs_ren.value = a, 1
            await FallingEdge(dut.clk)
            dut.fs_ren.value = 0
            out.append(int(dut.fs_rword.value).to_bytes(L, "little"))
        return out

    async def release(self) -> None:
        self.dut.fr_release.value = 1
        await FallingEdge(self.dut.clk)
        self.dut.fr_release.value = 0
        assert not int(self.dut.fr_pending.value), "the frame is still pending after fr_release"


async def check_frame(tb: FramerTB, payload: bytes, nbytes: int | None = None, cobs_ok: bool = True) -> None:
    """Send one payload, check the capture against parse_payload, release it. `nbytes`: the
    configured sample size (cfg_valid) that decides where a RUN's samples go."""
    tb.send(payload, cobs_ok)
    got = await tb.frame()
    want = P.parse_payload(payload, MAX_BODY)
    assert got["base"] in (0, DEPTH), got
    if not cobs_ok:
        assert (got["code"], got["detail"]) == (P.Err.BAD_COBS, 0), got
    elif isinstance(want, P.BadFrame):
        assert (got["code"], got["detail"], got["seq"], got["type"]) == \
            (want.code, want.detail, want.seq, want.type), (got, want, payload.hex())
    else:
        assert (got["code"], got["seq"], got["type"], got["len"]) == (0, want.seq, want.type, len(want.body)), \
            (got, want)
        n = min(len(want.body), P.RUN_FIXED_BYTES)
        assert got["head"][:n] == want.body[:n], (got["head"].hex(), want.body.hex())
        body = want.body
        if want.type == P.Cmd.RUN and nbytes is not None:
            samples = body[P.RUN_FIXED_BYTES:]
            count = len(samples) // nbytes
            chunks = -(-count // L)
            words = await tb.read_store([got["base"] + w for w in range(chunks * nbytes)])
            for s in range(count):
                for j in range(nbytes):
                    stored = words[(s // L) * nbytes + j][s % L]
                    assert stored == samples[s * nbytes + j], f"sample {s} byte {j}: {stored} in the store"
        else:
            words = await tb.read_store([got["base"] + w for w in range(-(-len(body) // L))])
            stored = b"".join(words)[:len(body)]
            assert stored == body, f"body {body.hex()} stored as {stored.hex()}"
    await tb.release()


def random_payload(rng: random.Random) -> bytes:
    """A payload that is good, or damaged in one of the ways a link damages frames."""
    seq, ftype = rng.randrange(256), rng.choice([0x01, 0x03, 0x04, 0x06, 0x33, 0xFF])
    body = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 4, 5, 6, 9, rng.randrange(80)])))
    p = bytearray(P.build_payload(seq, ftype, body))
    kind = rng.choice(["good", "good", "flip", "cut", "len"])
    if kind == "flip":
        i = rng.randrange(len(p))
        p[i] ^= 1 << rng.randrange(8)
    elif kind == "cut":
        p = p[:rng.randrange(len(p))]
    elif kind == "len":                  # a good CRC over a wrong len field
        p[2] ^= 1 << rng.randrange(8)
        p[-2:] = P.crc16(bytes(p[:-2])).to_bytes(2, "little")
    return bytes(p)


@cocotb.test()
async def frames_and_errors_match_the_payload_checker(dut):
    tb = FramerTB(dut, seed=31)
    await tb.reset()
    rng = random.Random(31)
    for _ in range(150):
        await check_frame(tb, random_payload(rng))
    for n in (0, 5, 6, 7, 8):            # every length around header + crc
        await check_frame(tb, bytes(rng.randrange(1, 256) for _ in range(n)))
    bases = []
    for _ in range(4):                   # alternating buffers
        tb.send(P.build_payload(1, 0x01))
        bases.append((await tb.frame())["base"])
        await tb.release()
    assert bases in ([0, DEPTH] * 2, [DEPTH, 0] * 2), bases
    for n in range(1, 4):                # COBS errors, whatever was received
        await check_frame(tb, P.build_payload(2, 0x03, bytes(n))[:n + 4], cobs_ok=False)


@cocotb.test()
async def length_limits(dut):
    tb = FramerTB(dut, seed=32)
    await tb.reset()
    rng = random.Random(32)
    big = bytes(rng.randrange(256) for _ in range(MAX_BODY + 1))
    await check_frame(tb, P.build_payload(3, 0x33, big[:MAX_BODY]))       # the largest body
    await check_frame(tb, P.build_payload(4, 0x33, big))                   # one byte too many
    await check_frame(tb, bytes(rng.randrange(256) for _ in range(MAX_BODY + 40)))
    await check_frame(tb, P.build_payload(5, 0x01))                        # all is well after


@cocotb.test()
async def run_samples_go_lane_major(dut):
    """A configured RUN's samples: byte j of sample s at lane s%L of word (s/L)*nbytes + j;
    an unconfigured one (and any other type) is stored in body order."""
    tb = FramerTB(dut, seed=33)
    await tb.reset()
    rng = np.random.default_rng(33)
    for inputs, count in ((13, 9), (64, 2 * L + 3), (1, 40), (24, L)):
        nb = P.sample_bytes(inputs)
        dut.cfg_valid.value, dut.cfg_nbytes.value = 1, nb
        body = P.encode_run(0, 0, rng.integers(0, 256, (count, nb), dtype=np.uint8))
        await check_frame(tb, P.build_payload(6, P.Cmd.RUN, body), nbytes=nb)
        await check_frame(tb, P.build_payload(7, P.Cmd.LOAD, body[:40]), nbytes=nb)
    dut.cfg_valid.value = 0
    await check_frame(tb, P.build_payload(8, P.Cmd.RUN, bytes(range(5)) + bytes(30)))
