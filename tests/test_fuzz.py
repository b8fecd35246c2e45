# SPDX-License-Identifier: MIT
"""Fuzzing with hypothesis (deterministic: derandomize=True), 12,600 cases in all:

host side    the frame decoder on arbitrary byte streams in arbitrary chunks (4,000), on
             valid frames with one mutation (3,000), and a session whose board answers with
             garbage (600): no crash, no hang, damage always detected where CRC-16 guarantees it;
board side   the command handler of the virtual board (the real RTL in Verilator) on frames
             with a valid CRC but arbitrary type/length/body (3,000) and on damaged frames
             (2,000): exactly one reply per non-empty frame, the error code the host decoder
             assigns to each damaged piece, an error code wherever the
             reference model (rtl.protocol.ReferenceBoard) gives one and the same code,
             and the board still answers afterwards.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hil.session import LinkError, Session
from hil.transport import Transport
from rtl import protocol as P

pytestmark = pytest.mark.slow(seconds=140)   # (the whole file's time on a fresh clone, for scheduling)

def fuzz(n: int):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


def _frames_in(stream: bytes) -> int:
    return sum(1 for piece in stream.split(b"\x00") if piece)


# Host side ---------------------------------------------------------------------------------

@fuzz(4000)
@given(st.binary(max_size=600), st.lists(st.integers(1, 64), min_size=1, max_size=8),
       st.sampled_from([16, 300, P.MAX_LEN_FIELD]))
def test_decoder_never_crashes_on_any_stream(data, cuts, max_body):
    dec = P.FrameDecoder(max_body)
    out, pos, k = [], 0, 0
    while pos < len(data):
        step = cuts[k % len(cuts)]
        out += dec.feed(data[pos:pos + step])
        pos, k = pos + step, k + 1
    assert all(isinstance(o, (P.Frame, P.BadFrame)) for o in out)
    assert len(out) <= data.count(0) + 1
    for o in out:
        if isinstance(o, P.Frame):
            assert len(o.body) <= max_body


frames = st.builds(P.Frame, st.integers(0, 255), st.integers(0, 255), st.binary(max_size=400))


def _damage(enc: bytearray, how: str, i: int, value: int) -> None:
    """Damage an encoded frame in place at byte i."""
    if how == "flip":
        enc[i] ^= value
    elif how == "delete":
        del enc[i]
    elif how == "insert":
        enc.insert(i, value)
    elif how == "dup":
        enc.insert(i, enc[i])
    elif how == "truncate":
        del enc[i:]
    elif how == "zero":
        enc[i] = 0
    else:
        raise ValueError(how)


@fuzz(3000)
@given(frames, st.sampled_from(["flip", "delete", "insert", "dup", "truncate", "zero"]),
       st.integers(0, 10_000), st.integers(1, 255))
def test_decoder_on_damaged_frames(frame, how, where, value):
    wire = P.encode_frame(*frame)
    enc = bytearray(wire[:-1])
    assert P.decode_frame(bytes(enc)) == frame                 # the undamaged frame decodes
    i = where % len(enc)
    _damage(enc, how, i, value)
    stream = bytes(enc) + b"\x00"
    out = P.FrameDecoder().feed(stream)
    assert len(out) == _frames_in(stream)
    if how in ("flip", "delete", "truncate"):
        # one changed/missing byte, or a cut: never accepted as a frame (CRC-16 detects every
        # burst up to 16 bits; a structural COBS change shows up as BAD_COBS/BAD_LENGTH)
        assert not any(isinstance(o, P.Frame) and o == frame for o in out) or how == "truncate" and i == 0
        if how == "flip" and len(out) == 1:
            assert isinstance(out[0], P.BadFrame), (frame, i, value)


class Garbage(Transport):
    """A 'board' that answers every write with the given bytes (and then silence)."""
    synchronous = True

    def __init__(self, reply):
        self.reply, self.out, self.url = reply, b"", "garbage"

    def _write(self, data):
        self.out += self.reply

    def _read(self, n, timeout):
        out, self.out = self.out, b""
        return out


@fuzz(600)
@given(st.binary(max_size=300))
def test_session_survives_garbage_replies(reply):
    try:
        s = Session(Garbage(reply), timeout=0.05, retries=2)
    except LinkError as e:
        assert "INFO" in str(e) or "protocol version" in str(e)
    else:                                                      # garbage that happens to be valid
        assert s.capacity.protocol_version == P.PROTOCOL_VERSION


def test_session_survives_a_replayed_valid_reply():
    # a reply to seq 0 replayed forever: the first INFO succeeds, later ones are stale
    info = P.Info(1, 64, 64, 2, 2, 1, 1, 256, 128, 1000, 0)
    s = Session(Garbage(P.encode_frame(0, 0x81, info.pack())), timeout=0.05, retries=2)
    with pytest.raises(LinkError, match="STATUS"):
        s.status()
    assert s.stats.stale_replies > 0


# Board side: the virtual board's command handler ----------------------------------------------

@pytest.fixture(scope="module")
def boards():
    from boards.sim import VirtualBoard
    vb = VirtualBoard()
    info = P.decode_frame(_ask(vb, P.encode_frame(0, P.Cmd.INFO, b""))[0][:-1])
    info = P.Info.unpack(info.body)
    ref = P.ReferenceBoard(**{k: v for k, v in info.as_dict().items()
                              if k not in ("protocol_version", "config_tag")})
    yield vb, ref
    vb.close()


def _ask(board, data: bytes) -> list[bytes]:
    board.write(data)
    out = board.read(-1, 0.0)
    return [p + b"\x00" for p in out.split(b"\x00") if p]


def _summary(reply: bytes):
    f = P.decode_frame(reply[:-1])
    assert isinstance(f, P.Frame), f"board sent an undecodable reply {reply[:40].hex()}"
    if f.type == P.TYPE_ERROR:
        e = P.ErrorBody.unpack(f.body)
        return f.seq, f.type, e.code, e.detail
    return f.seq, f.type, None, None


def _still_alive(vb):
    r = _ask(vb, b"\x00" + P.encode_frame(0xEE, P.Cmd.INFO, b""))
    assert len(r) == 1 and _summary(r[0])[:2] == (0xEE, 0x81)


payloads = st.tuples(st.integers(0, 255),
                     st.sampled_from([0, 1, 2, 3, 4, 5, 6, 7, 0x7F, 0x81, 0xFF]) | st.integers(0, 255),
                     st.binary(max_size=80), st.integers(-3, 3))


@pytest.mark.needs("verilator")
@fuzz(3000)
@given(payloads)
def test_board_handler_on_frames_with_a_valid_crc(boards, p):
    vb, ref = boards
    seq, ftype, body, len_skew = p
    lenf = max(0, len(body) + len_skew)
    head = bytes([seq, ftype]) + lenf.to_bytes(2, "little") + body
    payload = head + P.crc16(head).to_bytes(2, "little")
    wire = b"\x00" + P.cobs_encode(payload) + b"\x00"
    got = _ask(vb, wire)
    ref.write(wire)
    want = [p + b"\x00" for p in ref.read().split(b"\x00") if p]
    assert len(got) == 1, (payload.hex(), got)
    g, w = _summary(got[0]), _summary(want[0])
    assert g[0] == seq
    assert g[1:] == w[1:], f"payload {payload.hex()}: board replied {g}, the reference model {w}"
    # (type, error code and detail all agree)
    if lenf != len(body) or ftype not in set(P.Cmd):
        assert g[1] == P.TYPE_ERROR                          # never accepted


@pytest.mark.needs("verilator")
@fuzz(2000)
@given(st.integers(0, 255), st.sampled_from(list(P.Cmd)), st.binary(max_size=60),
       st.lists(st.tuples(st.sampled_from(["flip", "delete", "insert", "zero", "truncate"]),
                          st.integers(0, 1000), st.integers(1, 255)), min_size=1, max_size=3))
def test_board_handler_on_damaged_frames(boards, seq, cmd, body, damage):
    vb, _ = boards
    enc = bytearray(P.encode_frame(seq, cmd, body)[:-1])
    for how, where, value in damage:
        if not enc:
            break
        _damage(enc, how, where % len(enc), value)
    stream = b"\x00" + bytes(enc) + b"\x00"
    got = _ask(vb, stream)
    assert len(got) == _frames_in(stream), (stream.hex(), got)   # one reply per frame
    pieces = [p for p in stream.split(b"\x00") if p]
    for piece, r in zip(pieces, got):
        s = _summary(r)                                           # every reply is a valid frame
        host_view = P.decode_frame(piece)
        if isinstance(host_view, P.BadFrame):                     # a damaged frame gets the
            assert s[1:] == (P.TYPE_ERROR, int(host_view.code), host_view.detail), (piece.hex(), s)
    if cmd in (P.Cmd.INFO, P.Cmd.STATUS) and len(got) == 1 and bytes(enc) != P.encode_frame(seq, cmd, body)[:-1]:
        s = _summary(got[0])[:3]
        # a damaged query is answered with an error, never with a normal reply
        assert s[1] == P.TYPE_ERROR or P.decode_frame(bytes(enc)) == P.Frame(seq, cmd, body), s
    _still_alive(vb)


def _cfg(inputs=4, widths=(8, 20), classes=10, tag=0x1234, layers=None, extra=b""):
    import struct
    n = len(widths) if layers is None else layers
    return struct.pack("<HHHI", inputs, n, classes, tag) + b"".join(
        w.to_bytes(2, "little") for w in widths) + extra


_OK_CFG = _cfg()
E = P.Err
# (name, frames to send first, (type, body), expected error code or None for success)
DIRECTED = [
    ("INFO with a body", [], (P.Cmd.INFO, b"x"), E.BAD_LENGTH),
    ("STATUS with a body", [], (P.Cmd.STATUS, b"xy"), E.BAD_LENGTH),
    ("RESET with a body", [], (P.Cmd.RESET, b"\x00"), E.BAD_LENGTH),
    ("type 0x07", [], (0x07, b""), E.UNKNOWN_CMD),
    ("type 0x00", [], (0x00, b""), E.UNKNOWN_CMD),
    ("a reply type", [], (0x81, b""), E.UNKNOWN_CMD),
    ("error type", [], (0x7F, b"\x01\x01\x00\x00"), E.UNKNOWN_CMD),
    ("CONFIG short", [], (P.Cmd.CONFIG, _OK_CFG[:9]), E.BAD_LENGTH),
    ("CONFIG 0 layers", [], (P.Cmd.CONFIG, _cfg(widths=())), E.BAD_ARG),
    ("CONFIG too many layers", [], (P.Cmd.CONFIG, _cfg(widths=(10,) * 9 + (20,))), E.OVER_CAPACITY),
    ("CONFIG length mismatch", [], (P.Cmd.CONFIG, _cfg(layers=3)), E.BAD_LENGTH),
    ("CONFIG 0 inputs", [], (P.Cmd.CONFIG, _cfg(inputs=0)), E.BAD_ARG),
    ("CONFIG too many inputs", [], (P.Cmd.CONFIG, _cfg(inputs=60000)), E.OVER_CAPACITY),
    ("CONFIG 0 classes", [], (P.Cmd.CONFIG, _cfg(classes=0)), E.BAD_ARG),
    ("CONFIG too many classes", [], (P.Cmd.CONFIG, _cfg(classes=40, widths=(40,))), E.OVER_CAPACITY),
    ("CONFIG tag 0", [], (P.Cmd.CONFIG, _cfg(tag=0)), E.BAD_ARG),
    ("CONFIG width 0", [], (P.Cmd.CONFIG, _cfg(widths=(8, 0, 20))), E.BAD_ARG),
    ("CONFIG too wide", [], (P.Cmd.CONFIG, _cfg(widths=(65530, 20))), E.OVER_CAPACITY),
    ("CONFIG too many gates", [], (P.Cmd.CONFIG, None), E.OVER_CAPACITY),   # built from INFO
    ("CONFIG uneven groups", [], (P.Cmd.CONFIG, _cfg(widths=(8, 21))), E.BAD_ARG),
    ("CONFIG ok", [], (P.Cmd.CONFIG, _OK_CFG), None),
    ("LOAD unconfigured", [], (P.Cmd.LOAD, P.encode_load(0, 0, [0], [1], [6])), E.NOT_CONFIGURED),
    ("RUN unconfigured", [], (P.Cmd.RUN, P.encode_run(0, 0, np.zeros((1, 1), np.uint8))), E.NOT_CONFIGURED),
    ("LOAD short", [_OK_CFG], (P.Cmd.LOAD, b"\x00\x00\x00"), E.BAD_LENGTH),
    ("LOAD length mismatch", [_OK_CFG], (P.Cmd.LOAD, P.encode_load(0, 0, [0], [1], [6]) + b"\x00"), E.BAD_LENGTH),
    ("LOAD bad layer", [_OK_CFG], (P.Cmd.LOAD, P.encode_load(2, 0, [0], [1], [6])), E.BAD_ARG),
    ("LOAD past the width", [_OK_CFG], (P.Cmd.LOAD, P.encode_load(0, 7, [0, 0], [1, 1], [6, 6])), E.BAD_ARG),
    ("LOAD input out of range", [_OK_CFG], (P.Cmd.LOAD, P.encode_load(0, 0, [4], [1], [6])), E.BAD_ARG),
    ("LOAD b out of range (layer 1)", [_OK_CFG], (P.Cmd.LOAD, P.encode_load(1, 3, [0], [8], [6])), E.BAD_ARG),
    ("LOAD op 16", [_OK_CFG], (P.Cmd.LOAD, P.encode_load(1, 0, [0], [1], [16])), E.BAD_ARG),
    ("LOAD ok", [_OK_CFG], (P.Cmd.LOAD, P.encode_load(1, 0, [0, 7], [1, 7], [6, 15])), None),
    ("RUN short", [_OK_CFG], (P.Cmd.RUN, b"\x00\x00\x00\x01"), E.BAD_LENGTH),
    ("RUN mode 2", [_OK_CFG], (P.Cmd.RUN, P.encode_run(2, 0, np.zeros((1, 1), np.uint8))), E.BAD_ARG),
    ("RUN bad layer", [_OK_CFG], (P.Cmd.RUN, P.encode_run(1, 2, np.zeros((1, 1), np.uint8))), E.BAD_ARG),
    ("RUN length mismatch", [_OK_CFG], (P.Cmd.RUN, P.encode_run(0, 0, np.zeros((2, 2), np.uint8))), E.BAD_LENGTH),
    ("RUN reply too big", [_OK_CFG], (P.Cmd.RUN, P.encode_run(0, 0, np.zeros((2000, 1), np.uint8))), E.OVER_CAPACITY),
    ("RUN count 0", [_OK_CFG], (P.Cmd.RUN, P.encode_run(0, 0, np.zeros((0, 1), np.uint8))), None),
    ("RUN mode 1 ok", [_OK_CFG], (P.Cmd.RUN, P.encode_run(1, 0, np.zeros((3, 1), np.uint8))), None),
]


@pytest.mark.needs("verilator")
@pytest.mark.parametrize("name,setup,cmd,want", DIRECTED, ids=[d[0] for d in DIRECTED])
def test_board_conformance_directed(boards, name, setup, cmd, want):
    """Each documented rejection, on the virtual board and on the reference model."""
    vb, _ = boards
    ref = P.ReferenceBoard(**{k: v for k, v in P.Info.unpack(
        P.decode_frame(_ask(vb, P.encode_frame(0, P.Cmd.INFO, b""))[0][:-1]).body).as_dict().items()
        if k not in ("protocol_version", "config_tag")})
    if cmd[1] is None:          # the largest network the limits allow, one gate row too many
        i = ref.info
        w = -(-(i.max_gates + 1) // i.max_layers)
        w = -(-w // 10) * 10    # a whole number of class groups, rounded up
        if w > i.max_width or P.gate_slots((w,) * i.max_layers, i.gates_per_cycle) <= i.max_gates:
            pytest.skip(f"this build cannot exceed max_gates {i.max_gates} "
                        f"(max_layers {i.max_layers} x max_width {i.max_width})")
        cmd = (cmd[0], _cfg(widths=(w,) * i.max_layers))
    frames = [(P.Cmd.RESET, b"")] + [(P.Cmd.CONFIG, c) for c in setup] + [cmd]
    for k, (t, body) in enumerate(frames):
        wire = b"\x00" + P.encode_frame(k + 1, t, body)
        got = _ask(vb, wire)
        ref.write(wire)
        exp = [p + b"\x00" for p in ref.read().split(b"\x00") if p]
        assert len(got) == 1 and len(exp) == 1
        g, r = _summary(got[0]), _summary(exp[0])
        if k < len(frames) - 1:
            assert g[1] == t | P.REPLY_FLAG, (name, "setup", g)
            continue
        expected = (t | P.REPLY_FLAG, None) if want is None else (P.TYPE_ERROR, int(want))
        assert r[1:3] == expected, ("reference model", name, r)
        assert g[1:3] == expected, f"{name}: virtual board replied {g[1:3]}, spec says {expected}"
        assert g[3] == r[3], f"{name}: detail {g[3]} on the virtual board, {r[3]} in the model"
        assert g[0] == k + 1
    _still_alive(vb)
