# SPDX-License-Identifier: MIT
"""rtl/protocol/: CRC, COBS, frame codec, body (de)serialisers, the generated Verilog header."""
import subprocess
import sys

import numpy as np
import pytest

from rtl import protocol as P


# CRC -----------------------------------------------------------------------------------
def test_crc_check_value():
    # The catalogue check value of CRC-16/CCITT-FALSE.
    assert P.crc16(b"123456789") == 0x29B1
    assert P.crc16_bitwise(b"123456789") == 0x29B1


def test_crc_fast_matches_bitwise(rng):
    for n in (0, 1, 2, 17, 300):
        d = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        assert P.crc16(d) == P.crc16_bitwise(d), n


# COBS ----------------------------------------------------------------------------------
def cobs_reference(data: bytes) -> bytes:
    """Byte-at-a-time COBS encoder (the textbook algorithm) to check the vectorised one."""
    out, block = bytearray(), bytearray()
    for i, b in enumerate(data):
        if b == 0:
            out += bytes([len(block) + 1]) + block
            block = bytearray()
        else:
            block.append(b)
            if len(block) == 254:
                out += b"\xff" + block
                block = bytearray()
                if i == len(data) - 1:
                    return bytes(out)
    out += bytes([len(block) + 1]) + block
    return bytes(out)


@pytest.mark.parametrize("data,enc", [
    (b"", b"\x01"),
    (b"\x00", b"\x01\x01"),
    (b"\x00\x00", b"\x01\x01\x01"),
    (b"\x11\x22\x00\x33", b"\x03\x11\x22\x02\x33"),
    (b"\x11\x22\x33\x44", b"\x05\x11\x22\x33\x44"),
    (b"\x11\x00\x00\x00", b"\x02\x11\x01\x01\x01"),
    (bytes(range(1, 255)), b"\xff" + bytes(range(1, 255))),
    (bytes(range(0, 255)), b"\x01\xff" + bytes(range(1, 255))),
    (bytes(range(1, 256)), b"\xff" + bytes(range(1, 255)) + b"\x02\xff"),
    (bytes(range(1, 255)) + b"\x00", b"\xff" + bytes(range(1, 255)) + b"\x01\x01"),
])
def test_cobs_known_vectors(data, enc):
    # The Wikipedia examples plus the full-block edge cases.
    assert P.cobs_encode(data) == enc
    assert P.cobs_decode(enc) == data
    assert cobs_reference(data) == enc


def test_cobs_random_roundtrip(rng):
    for _ in range(300):
        n = int(rng.integers(0, 1200))
        p0 = rng.random()
        d = np.where(rng.random(n) < p0 * 0.3, 0, rng.integers(1, 256, n)).astype(np.uint8).tobytes()
        e = P.cobs_encode(d)
        assert 0 not in e
        assert e == cobs_reference(d)
        assert P.cobs_decode(e) == d
        assert len(e) <= len(d) + len(d) // 254 + 1


def test_cobs_decode_accepts_noncanonical_trailing_block():
    assert P.cobs_decode(b"\xff" + bytes(range(1, 255)) + b"\x01") == bytes(range(1, 255))


@pytest.mark.parametrize("bad", [b"", b"\x03\x11", b"\x05\x11\x00\x22\x33", b"\xff\x01"])
def test_cobs_decode_rejects(bad):
    with pytest.raises(P.CobsError):
        P.cobs_decode(bad)


# Frames --------------------------------------------------------------------------------
def test_frame_roundtrip_and_layout():
    wire = P.encode_frame(7, P.Cmd.RUN, b"\x01\x00\x02")
    assert wire.endswith(b"\x00") and 0 not in wire[:-1]
    payload = P.cobs_decode(wire[:-1])
    assert payload[:4] == bytes([7, 5, 3, 0])
    assert int.from_bytes(payload[-2:], "little") == P.crc16(payload[:-2])
    assert P.decode_frame(wire[:-1]) == P.Frame(7, 5, b"\x01\x00\x02")


def test_frame_errors():
    good = P.build_payload(9, P.Cmd.INFO, b"")
    bad_crc = good[:-1] + bytes([good[-1] ^ 1])
    assert P.decode_frame(P.cobs_encode(bad_crc)).code == P.Err.BAD_CRC
    short = P.cobs_encode(b"\x01\x02\x03")
    assert P.decode_frame(short).code == P.Err.BAD_LENGTH
    head = bytearray(P.build_payload(1, 1, b"xy"))
    head[2] = 5                                  # len field disagrees with the frame
    head[-2:] = P.crc16(bytes(head[:-2])).to_bytes(2, "little")
    r = P.decode_frame(P.cobs_encode(bytes(head)))
    assert r.code == P.Err.BAD_LENGTH and r.detail == 5 and r.seq == 1
    assert P.decode_frame(b"\x05\x01").code == P.Err.BAD_COBS
    big = P.cobs_encode(P.build_payload(1, 5, bytes(100)))
    assert P.decode_frame(big, max_body=50).code == P.Err.FRAME_TOO_LONG


def test_stream_decoder_resyncs_and_splits(rng):
    frames = [P.Frame(i, P.Cmd.RUN | P.REPLY_FLAG,
                      rng.integers(0, 256, int(rng.integers(0, 700)), dtype=np.uint8).tobytes())
              for i in range(30)]
    stream = b"\x13\x37garbage\x00\x00"
    for f in frames:
        stream += P.encode_frame(*f) + (b"\x00" if f.seq % 3 == 0 else b"")
    dec = P.FrameDecoder(max_body=1024)
    got, pos = [], 0
    while pos < len(stream):                      # ragged chunks
        k = int(rng.integers(1, 97))
        got += dec.feed(stream[pos:pos + k])
        pos += k
    good = [g for g in got if isinstance(g, P.Frame)]
    assert good == frames
    assert [g.code for g in got if isinstance(g, P.BadFrame)] in ([P.Err.BAD_COBS], [P.Err.BAD_LENGTH],
                                                                  [P.Err.BAD_CRC])


def test_stream_decoder_drops_overlong_runs():
    dec = P.FrameDecoder(max_body=16)
    out = dec.feed(b"\x01" * 100)
    out += dec.feed(b"\x01" * 100)
    assert [o.code for o in out] == [P.Err.FRAME_TOO_LONG]
    out = dec.feed(b"\x00" + P.encode_frame(3, 0x81, b"hi"))
    assert out == [P.Frame(3, 0x81, b"hi")]


# Bodies --------------------------------------------------------------------------------
def test_info_status_error_roundtrip():
    info = P.Info(1, 1024, 4096, 8, 16, 64, 64, 4096, 32768, 50_000_000, 0xDEADBEEF)
    assert len(info.pack()) == P.INFO_BODY_BYTES
    assert P.Info.unpack(info.pack()) == info
    st = P.Status(*range(1, 10))
    assert len(st.pack()) == P.STATUS_BODY_BYTES
    assert P.Status.unpack(st.pack()) == st
    e = P.ErrorBody(P.Err.OVER_CAPACITY, P.Cmd.CONFIG, 4096)
    assert P.ErrorBody.unpack(e.pack()) == e
    assert "OVER_CAPACITY" in e.describe() and "CONFIG" in e.describe()
    with pytest.raises(ValueError):
        P.Info.unpack(info.pack()[:-1])


def test_config_load_run_roundtrip(rng):
    c = P.Config(512, (2000, 2000, 1000), 10, 0x1234)
    assert P.Config.unpack(c.pack()) == c
    a = rng.integers(0, 512, 40)
    b = rng.integers(0, 512, 40)
    op = rng.integers(0, 16, 40)
    layer, first, rec = P.decode_load(P.encode_load(2, 100, a, b, op))
    assert (layer, first) == (2, 100)
    assert (rec["a"] == a).all() and (rec["b"] == b).all() and (rec["op"] == op).all()
    bits = rng.integers(0, 2, (13, 37)).astype(np.uint8)
    packed = P.pack_samples(bits)
    assert packed.shape == (13, 5)
    assert packed[0, 0] == sum(int(bits[0, i]) << i for i in range(8))   # LSB-first
    mode, lay, back = P.decode_run(P.encode_run(0, 0, packed), 37)
    assert (mode, lay) == (0, 0)
    assert (P.unpack_samples(back, 37) == bits).all()


def test_run_reply_roundtrip(rng):
    scores = rng.integers(0, 300, (9, 10))
    pred = np.argmax(scores, axis=1)
    body = P.encode_run_reply(5, 1234, scores=scores, pred=pred)
    assert len(body) == P.run_reply_bytes(0, 9, classes=10)
    r = P.decode_run_reply(body, 0, 9, classes=10)
    assert (r.tag, r.cycles) == (5, 1234)
    assert (r.scores == scores).all() and (r.pred == pred).all()
    bits = rng.integers(0, 2, (9, 21)).astype(np.uint8)
    r = P.decode_run_reply(P.encode_run_reply(5, 7, bits=bits), 1, 9, width=21)
    assert (r.bits == bits).all()


def test_max_counts():
    n = P.max_run_count(4096, 512, 0, classes=10)
    assert P.RUN_FIXED_BYTES + 64 * n <= 4096 < P.RUN_FIXED_BYTES + 64 * (n + 1)
    assert P.max_load_count(4096) == (4096 - 6) // 5


# The generated Verilog header ----------------------------------------------------------------
def test_verilog_header_is_up_to_date():
    assert P.HEADER_PATH.read_text() == P.verilog_header(), \
        "rtl/hdl/generated/lgn_protocol.vh is stale: run python -m rtl.protocol --header"
    r = subprocess.run([sys.executable, "-m", "rtl.protocol", "--check"], cwd=P.HEADER_PATH.parents[3],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_verilog_header_values():
    text = P.verilog_header()
    assert "localparam [7:0]  LGN_CMD_RUN" in text and "8'h05;" in text
    for e in P.Err:
        assert f"LGN_ERR_{e.name}" in text


_TWO_MODULES = """/* verilator lint_off DECLFILENAME */
module lgn_hdr_a(input wire [7:0] x, output wire y);
`include "lgn_protocol.vh"
assign y = (x == LGN_CMD_RUN);
endmodule
module lgn_hdr_b(input wire [7:0] x, output wire y);
`include "lgn_protocol.vh"
assign y = (x == (LGN_ERR_BAD_CRC | LGN_REPLY_FLAG));
endmodule
module lgn_hdr_top(input wire [7:0] x, output wire y, output wire z);
lgn_hdr_a a(.x(x), .y(y));
lgn_hdr_b b(.x(x), .y(z));
endmodule
"""


@pytest.mark.needs("iverilog")
def test_verilog_header_compiles_iverilog(tmp_path):
    (tmp_path / "t.sv").write_text(_TWO_MODULES)
    r = subprocess.run(["iverilog", "-g2012", "-I", str(P.HEADER_PATH.parent), "-o",
                        str(tmp_path / "t.vvp"), str(tmp_path / "t.sv")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


@pytest.mark.needs("verilator")
def test_verilog_header_lints_verilator(tmp_path):
    from rtl.verilator import tool_env, verilator_bin
    env, vbin = tool_env(), verilator_bin()
    (tmp_path / "t.sv").write_text(_TWO_MODULES)
    r = subprocess.run([vbin, "--lint-only", "-Wall", f"-I{P.HEADER_PATH.parent}", "--top-module",
                        "lgn_hdr_top", str(tmp_path / "t.sv")], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr


def test_large_frames_roundtrip(rng):
    # frames as large as the virtual board's max_body, with long zero runs and long non-zero
    # runs (full 254-byte COBS blocks), through the stream decoder in odd-sized chunks
    body = rng.integers(1, 256, 32768, dtype=np.uint8)
    body[1000:3000] = 0
    body[5000:5000 + 254 * 7] = rng.integers(1, 256, 254 * 7, dtype=np.uint8)
    body[rng.integers(0, 32768, 3000)] = 0
    wire = P.encode_frame(200, P.Cmd.RUN, body.tobytes())
    assert len(wire) <= P.max_encoded_frame(32768)
    dec = P.FrameDecoder(32768)
    out = []
    for k in range(0, len(wire), 4093):
        out += dec.feed(wire[k:k + 4093])
    assert out == [P.Frame(200, P.Cmd.RUN, body.tobytes())]
