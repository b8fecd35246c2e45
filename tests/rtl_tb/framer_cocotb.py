# SPDX-License-Identifier: MIT
"""cocotb tests of lgn_core's framing: COBS decoder, CRC, length checks, error replies,
garbage and resynchronisation, reply encoding. The oracle for what each stretch of bytes
between delimiters deserves is the protocol's own host-side decoder (rtl.protocol)."""
from __future__ import annotations

import random

import cocotb
from cocotb.triggers import RisingEdge

from rtl import protocol as P
from tests.rtl_tb.core_bench import MAX_BODY, CoreTB, info_expected

FRAME_LEVEL = {P.Err.BAD_CRC, P.Err.BAD_COBS, P.Err.FRAME_TOO_LONG, P.Err.BAD_LENGTH}


def expected(stream: bytes) -> list:
    """What each non-empty chunk between 0x00 bytes decodes to (Frame or BadFrame)."""
    chunks = stream.split(b"\x00")
    assert chunks[-1] == b"", "streams in these tests end with a delimiter"
    return [P.decode_frame(c, MAX_BODY) for c in chunks[:-1] if c]


def check_reply(want, got: P.Frame) -> None:
    """`got` is the board's reply to a chunk that the reference decodes to `want`."""
    if isinstance(want, P.BadFrame):
        assert got.type == P.TYPE_ERROR, (want, got)
        e = P.ErrorBody.unpack(got.body)
        assert e.code == want.code, (want, e)
        return
    if want.type == P.Cmd.INFO and not want.body:
        assert got.seq == want.seq and got.type == 0x81, (want, got)
        assert P.Info.unpack(got.body).max_body == MAX_BODY
        return
    assert got.type == P.TYPE_ERROR and got.seq == want.seq, (want, got)
    e = P.ErrorBody.unpack(got.body)
    if want.type in (P.Cmd.INFO, P.Cmd.STATUS, P.Cmd.RESET):
        assert e == (P.Err.BAD_LENGTH, want.type, len(want.body)), (want, e)
    else:
        assert e == (P.Err.UNKNOWN_CMD, want.type, 0), (want, e)


def random_frame(rng: random.Random) -> bytes:
    """A valid frame: INFO (empty body) or an unknown type with a random body."""
    seq = rng.randrange(256)
    if rng.random() < 0.4:
        return P.encode_frame(seq, P.Cmd.INFO)
    t = rng.choice([0x00, 0x07, 0x10, 0x7E, 0x7F, 0x81, 0xFF])
    n = rng.choice([0, 1, 2, 253, 254, 255, rng.randrange(120)])
    body = bytes(rng.choice([0, rng.randrange(256)]) for _ in range(n))
    return P.encode_frame(seq, t, body)


async def run_stream(tb: CoreTB, stream: bytes) -> None:
    want = expected(stream)
    tb.send(stream)
    got = await tb.replies_n(len(want))
    for w, g in zip(want, got):
        check_reply(w, g)
    await tb.idle_check()


@cocotb.test()
async def info_reply_exact(dut):
    tb = CoreTB(dut)
    await tb.reset()
    body = await tb.ok(7, P.Cmd.INFO)
    assert P.Info.unpack(body) == info_expected(0), P.Info.unpack(body)
    # the whole reply on the wire is exactly what the host codec would send
    tb.send(b"\x00" + P.encode_frame(9, P.Cmd.INFO))
    for _ in range(400):
        await RisingEdge(dut.clk)
        if 0 in tb.rx:
            break
    wire = bytes(tb.rx)
    tb.rx.clear()
    assert wire == P.encode_frame(9, 0x81, info_expected(0).pack()), wire.hex()


@cocotb.test()
async def random_frames_with_backpressure(dut):
    rng = random.Random(11)
    tb = CoreTB(dut, seed=3, in_stall=0.3, out_stall=0.5)
    await tb.reset()
    await run_stream(tb, b"".join(b"\x00" + random_frame(rng) for _ in range(60)))


@cocotb.test()
async def garbage_between_frames(dut):
    rng = random.Random(12)
    tb = CoreTB(dut, seed=4)
    await tb.reset()
    parts = []
    for _ in range(60):
        garbage = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40)))
        parts.append(garbage + b"\x00" + random_frame(rng))
    await run_stream(tb, b"".join(parts))


@cocotb.test()
async def corrupted_frames(dut):
    """One bit flipped anywhere in the wire bytes of a frame (a flip can also make a 0x00
    and split the frame): every piece gets the reply the reference decoder predicts."""
    rng = random.Random(13)
    tb = CoreTB(dut, seed=5)
    await tb.reset()
    parts = []
    for _ in range(80):
        f = bytearray(random_frame(rng))
        i = rng.randrange(len(f) - 1)              # not the delimiter itself
        f[i] ^= 1 << rng.randrange(8)
        parts.append(b"\x00" + bytes(f))
    await run_stream(tb, b"".join(parts))


@cocotb.test()
async def truncated_frames(dut):
    rng = random.Random(14)
    tb = CoreTB(dut, seed=6)
    await tb.reset()
    parts = []
    for _ in range(80):
        f = random_frame(rng)
        cut = rng.randrange(1, len(f) - 1)
        parts.append(b"\x00" + f[:cut] + b"\x00")
        parts.append(b"\x00" + random_frame(rng))  # the next frame is unharmed
    await run_stream(tb, b"".join(parts))


@cocotb.test()
async def lengths_and_limits(dut):
    tb = CoreTB(dut, seed=7)
    await tb.reset()
    # payloads shorter than a header + crc: BAD_LENGTH with the payload length
    for n in range(0, 6):
        payload = bytes(range(1, n + 1))
        tb.send(b"\x00" + P.cobs_encode(payload) + b"\x00")
        (r,) = await tb.replies_n(1)
        assert r.type == P.TYPE_ERROR, r
        assert P.ErrorBody.unpack(r.body).code == P.Err.BAD_LENGTH, r
        assert P.ErrorBody.unpack(r.body).detail == n, r
    # a good CRC over a wrong len field
    payload = bytearray(P.build_payload(5, 0x55, b"abc"))
    payload[2] = 7
    payload[-2:] = P.crc16(bytes(payload[:-2])).to_bytes(2, "little")
    tb.send(b"\x00" + P.cobs_encode(bytes(payload)) + b"\x00")
    (r,) = await tb.replies_n(1)
    assert P.ErrorBody.unpack(r.body) == (P.Err.BAD_LENGTH, 0x55, 7), r
    # the largest body is accepted, one more byte is FRAME_TOO_LONG (then all is well)
    e = await tb.error(1, 0x33, bytes(MAX_BODY))
    assert e == (P.Err.UNKNOWN_CMD, 0x33, 0), e
    e = await tb.error(2, 0x33, bytes(MAX_BODY + 1))
    assert e.code == P.Err.FRAME_TOO_LONG and e.detail == MAX_BODY, e
    tb.send(b"\x00" + bytes([0x55]) * 5000 + b"\x00")   # far too long and not even COBS
    (r,) = await tb.replies_n(1)
    assert P.ErrorBody.unpack(r.body).code in (P.Err.FRAME_TOO_LONG, P.Err.BAD_COBS), r
    body = await tb.ok(3, P.Cmd.INFO)
    assert P.Info.unpack(body) == info_expected(0)
    # empty frames are ignored
    tb.send(b"\x00" * 10)
    await tb.idle_check()


@cocotb.test()
async def status_counters(dut):
    tb = CoreTB(dut, seed=8)
    await tb.reset()
    await tb.ok(1, P.Cmd.INFO)
    tb.send(b"\x00\x03\x01\x01\x00")                 # COBS fine, payload of 3 bytes
    tb.send(b"\x00\x05\x01\x02\x00")                 # block runs past the delimiter
    f = bytearray(P.build_payload(4, P.Cmd.INFO))
    f[-1] ^= 0xFF
    tb.send(b"\x00" + P.cobs_encode(bytes(f)) + b"\x00")
    await tb.replies_n(3)
    await tb.error(5, 0x44)
    st = P.Status.unpack(await tb.ok(6, P.Cmd.STATUS))
    assert (st.frames_ok, st.crc_errors, st.cobs_errors, st.other_errors) == (3, 1, 1, 2), st
    assert st.runs == 0 and st.busy_cycles == 0 and st.idle_cycles > 0, st
    await tb.ok(7, P.Cmd.RESET)
    st = P.Status.unpack(await tb.ok(8, P.Cmd.STATUS))
    assert (st.tag, st.frames_ok, st.crc_errors, st.other_errors) == (0, 1, 0, 0), st
