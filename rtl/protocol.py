# SPDX-License-Identifier: MIT
"""The link protocol between the host and an engine board: its one definition.

Every board link (UART on a ULX3S, the AXI path on a PYNQ, the virtual board) carries
the same byte stream of frames. The reference for a third party is docs/protocol.md;
this module is the executable form (constants, codec, body (de)serialisers), and the
Verilog header rtl/hdl/generated/lgn_protocol.vh is generated from it by

    python -m rtl.protocol --header            # rewrite the header
    python -m rtl.protocol --check             # exit 1 if it is out of date

Wire:     COBS(payload) 0x00         (garbage between frames is skipped; empty frames ignored)
Payload:  seq u8 | type u8 | len u16 | body (len bytes) | crc u16
          crc = CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no xorout)
          over seq..body. All multi-byte fields are little-endian.

numpy and the standard library only: the PYNQ board agent imports this without torch.
"""
from __future__ import annotations

import binascii
import struct
import sys
from dataclasses import dataclass, fields
from enum import IntEnum
from pathlib import Path
from typing import Iterator, NamedTuple

import numpy as np

# Constants -------------------------------------------------------------------------------

PROTOCOL_VERSION = 1

CRC_POLY = 0x1021
CRC_INIT = 0xFFFF

HEADER_BYTES = 4            # seq u8, type u8, len u16
CRC_BYTES = 2
MIN_PAYLOAD = HEADER_BYTES + CRC_BYTES
MAX_LEN_FIELD = 0xFFFF      # the format's own limit; a board's max_body (INFO) is smaller
DELIM = 0x00
REPLY_FLAG = 0x80           # reply type = command type | REPLY_FLAG


class Cmd(IntEnum):
    """Host -> board frame types."""
    INFO = 0x01
    RESET = 0x02
    CONFIG = 0x03
    LOAD = 0x04
    RUN = 0x05
    STATUS = 0x06


TYPE_ERROR = 0x7F           # board -> host error reply


class Err(IntEnum):
    """Error codes (first byte of an error reply's body)."""
    BAD_CRC = 0x01
    UNKNOWN_CMD = 0x02
    OVER_CAPACITY = 0x03
    BAD_LENGTH = 0x04
    NOT_CONFIGURED = 0x05
    BAD_ARG = 0x06
    FRAME_TOO_LONG = 0x07
    BAD_COBS = 0x08


# Frame-level errors: the frame itself was damaged, so its seq/type echo cannot be trusted.
FRAME_ERRORS = frozenset({Err.BAD_CRC, Err.BAD_COBS, Err.FRAME_TOO_LONG})


class RunMode(IntEnum):
    SCORES = 0              # per sample: classes x score u16, then prediction u8
    LAYER_BITS = 1          # per sample: ceil(width/8) bytes of layer `layer`'s outputs


# Body layouts (fixed parts), in bytes.
INFO_BODY_BYTES = 1 + 7 * 2 + 3 * 4         # 27
STATUS_BODY_BYTES = 4 + 8 * 4               # 36
ERROR_BODY_BYTES = 4
CONFIG_FIXED_BYTES = 10                     # inputs, layers, classes u16; tag u32
CONFIG_WIDTH_BYTES = 2                      # per layer
LOAD_FIXED_BYTES = 6                        # layer, first, count u16
GATE_RECORD_BYTES = 5                       # a u16, b u16, op u8
RUN_FIXED_BYTES = 5                         # mode u8, layer u16, count u16
RUN_REPLY_FIXED_BYTES = 8                   # tag u32, cycles u32
SCORE_BYTES = 2
PRED_BYTES = 1


def sample_bytes(bits: int) -> int:
    """Bytes per packed sample of `bits` bits (LSB-first)."""
    return (bits + 7) // 8


def max_encoded_frame(max_body: int) -> int:
    """Upper bound on the wire bytes of a frame with a body of `max_body` bytes (with 0x00)."""
    p = max_body + MIN_PAYLOAD
    return p + p // 254 + 2


# CRC -------------------------------------------------------------------------------------

def crc16(data, crc: int = CRC_INIT) -> int:
    """CRC-16/CCITT-FALSE. binascii.crc_hqx is the same polynomial, unreflected, no xorout."""
    return binascii.crc_hqx(data, crc)


def crc16_bitwise(data, crc: int = CRC_INIT) -> int:
    """The same CRC one bit at a time, as the RTL computes it (for tests and the doc)."""
    for byte in bytes(data):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ CRC_POLY) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


# COBS ------------------------------------------------------------------------------------

class CobsError(ValueError):
    pass


def cobs_encode(data) -> bytes:
    """Consistent-overhead byte stuffing, canonical form (no trailing 0x01 after a full block).

    Vectorised: one pass of numpy over the data, whatever the number of zeros."""
    d = np.frombuffer(bytes(data), dtype=np.uint8)
    n = d.size
    z = np.flatnonzero(d == 0)
    seg_start = np.concatenate(([0], z + 1))
    seg_len = np.concatenate((z, [n])) - seg_start           # non-zero bytes per segment
    nblocks = seg_len // 254 + 1
    if seg_len[-1] > 0 and seg_len[-1] % 254 == 0:
        nblocks[-1] -= 1                                      # ends exactly on a full block
    seg_of = np.repeat(np.arange(seg_len.size), nblocks)
    j = np.arange(seg_of.size) - np.repeat(np.cumsum(nblocks) - nblocks, nblocks)
    blen = np.minimum(254, seg_len[seg_of] - 254 * j)
    pos = np.cumsum(blen + 1) - (blen + 1)
    out = np.empty(int(seg_of.size + n - z.size), dtype=np.uint8)
    data_mask = np.ones(out.size, dtype=bool)
    data_mask[pos] = False
    out[pos] = blen + 1
    out[data_mask] = d[d != 0]
    return out.tobytes()


def cobs_decode(enc) -> bytes:
    """Inverse of cobs_encode (also accepts the non-canonical trailing 0x01); CobsError if malformed."""
    enc = bytes(enc)
    n = len(enc)
    if n == 0:
        raise CobsError("empty COBS block")
    if 0 in enc:
        raise CobsError("zero byte inside a COBS frame")
    codes = []
    i = 0
    while i < n:                       # pointer chase over code bytes only
        codes.append(i)
        i += enc[i]
    if i != n:
        raise CobsError(f"COBS block runs {i - n} byte(s) past the end of the frame")
    e = np.frombuffer(enc, dtype=np.uint8).copy()
    p = np.asarray(codes)
    c = e[p]
    keep = np.ones(n, dtype=bool)
    keep[0] = False
    # A code byte stands for a zero unless it is the first or follows a full (0xFF) block.
    keep[p[1:][c[:-1] == 0xFF]] = False
    e[p] = 0
    return e[keep].tobytes()


# Frames ----------------------------------------------------------------------------------

class Frame(NamedTuple):
    seq: int
    type: int
    body: bytes


class BadFrame(NamedTuple):
    """A frame that failed the checks; `code` is the error a board replies with."""
    code: Err
    seq: int          # the received seq byte, or 0 when the frame was too short / undecodable
    type: int
    detail: int
    raw: bytes        # the encoded bytes (without the delimiter)


def build_payload(seq: int, ftype: int, body=b"") -> bytes:
    body = bytes(body)
    if len(body) > MAX_LEN_FIELD:
        raise ValueError(f"frame body of {len(body)} bytes exceeds the format limit {MAX_LEN_FIELD}")
    if not (0 <= seq <= 0xFF and 0 <= ftype <= 0xFF):
        raise ValueError(f"seq {seq} / type {ftype} must be bytes")
    head = struct.pack("<BBH", seq, ftype, len(body)) + body
    return head + struct.pack("<H", crc16(head))


def encode_frame(seq: int, ftype: int, body=b"") -> bytes:
    """The wire bytes of one frame: COBS(payload) then the 0x00 delimiter."""
    return cobs_encode(build_payload(seq, ftype, body)) + b"\x00"


def parse_payload(payload: bytes, max_body: int = MAX_LEN_FIELD) -> Frame | BadFrame:
    """Check a decoded payload in the order a board does (docs/protocol.md, 'Frame checks')."""
    n = len(payload)
    seq = payload[0] if n >= 1 else 0
    ftype = payload[1] if n >= 2 else 0
    if n > max_body + MIN_PAYLOAD:
        return BadFrame(Err.FRAME_TOO_LONG, seq, ftype, min(max_body, 0xFFFF), b"")
    if n < MIN_PAYLOAD:
        return BadFrame(Err.BAD_LENGTH, seq, ftype, n, b"")
    if crc16(payload[:-2]) != payload[-2] | (payload[-1] << 8):
        return BadFrame(Err.BAD_CRC, seq, ftype, n & 0xFFFF, b"")
    length = payload[2] | (payload[3] << 8)
    if length != n - MIN_PAYLOAD:
        return BadFrame(Err.BAD_LENGTH, seq, ftype, length, b"")
    return Frame(seq, ftype, bytes(payload[4:-2]))


def decode_frame(encoded: bytes, max_body: int = MAX_LEN_FIELD) -> Frame | BadFrame:
    """One frame's encoded bytes (no delimiter) -> Frame or BadFrame."""
    if len(encoded) > max_encoded_frame(max_body):
        return BadFrame(Err.FRAME_TOO_LONG, 0, 0, min(max_body, 0xFFFF), bytes(encoded[:64]))
    try:
        payload = cobs_decode(encoded)
    except CobsError:
        return BadFrame(Err.BAD_COBS, 0, 0, 0, bytes(encoded[:64]))
    r = parse_payload(payload, max_body)
    if isinstance(r, BadFrame):
        return r._replace(raw=bytes(encoded[:64]))
    return r


class FrameDecoder:
    """Stream decoder: feed() arbitrary chunks of bytes, get complete frames (or BadFrames).

    Resynchronises at every 0x00; empty frames are ignored; a run of bytes longer than any
    legal frame is dropped (FRAME_TOO_LONG) without buffering it all."""

    def __init__(self, max_body: int = MAX_LEN_FIELD):
        self.max_body = max_body
        self.limit = max_encoded_frame(max_body)
        self._buf = bytearray()
        self._skipping = False          # inside an over-long frame, waiting for 0x00

    def reset(self) -> None:
        self._buf.clear()
        self._skipping = False

    def feed(self, data) -> list[Frame | BadFrame]:
        out: list[Frame | BadFrame] = []
        if not data:
            return out
        self._buf += data
        if DELIM not in data:
            self._check_overflow(out)
            return out
        pieces = bytes(self._buf).split(b"\x00")
        self._buf = bytearray(pieces.pop())
        for k, piece in enumerate(pieces):
            if k == 0 and self._skipping:
                self._skipping = False
                continue
            if piece:
                out.append(decode_frame(piece, self.max_body))
        self._check_overflow(out)
        return out

    def _check_overflow(self, out: list) -> None:
        if len(self._buf) > self.limit:
            if not self._skipping:
                out.append(BadFrame(Err.FRAME_TOO_LONG, 0, 0, min(self.max_body, 0xFFFF),
                                    bytes(self._buf[:64])))
            self._skipping = True
            self._buf.clear()


# Bodies ----------------------------------------------------------------------------------

def _unpack_exact(fmt: str, body: bytes, what: str) -> tuple:
    size = struct.calcsize(fmt)
    if len(body) != size:
        raise ValueError(f"{what} body must be {size} bytes, got {len(body)}")
    return struct.unpack(fmt, body)


_INFO_FMT = "<B7H3I"
_STATUS_FMT = "<I8I"
_ERROR_FMT = "<BBH"


class _FixedBody:
    """A reply body of fixed layout: its dataclass fields in order, packed with `_FMT`."""
    _FMT = ""
    _WHAT = ""

    def pack(self) -> bytes:
        return struct.pack(self._FMT, *(getattr(self, f.name) for f in fields(self)))

    @classmethod
    def unpack(cls, body: bytes):
        return cls(*_unpack_exact(cls._FMT, body, cls._WHAT))

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Info(_FixedBody):
    """The INFO reply: what the board can hold and how fast it evaluates."""
    _FMT, _WHAT = _INFO_FMT, "INFO reply"
    protocol_version: int
    max_inputs: int
    max_width: int
    max_layers: int
    max_classes: int
    gates_per_cycle: int
    lanes: int            # samples evaluated together, bit-sliced
    max_body: int         # largest frame body (request or reply) the board handles
    max_gates: int
    clock_hz: int
    config_tag: int


@dataclass(frozen=True)
class Status(_FixedBody):
    _FMT, _WHAT = _STATUS_FMT, "STATUS reply"
    tag: int
    frames_ok: int
    crc_errors: int
    cobs_errors: int
    other_errors: int
    runs: int
    samples: int
    busy_cycles: int
    idle_cycles: int


class ErrorBody(NamedTuple):
    code: int
    offending_type: int
    detail: int

    def pack(self) -> bytes:
        return struct.pack(_ERROR_FMT, self.code, self.offending_type, self.detail)

    @classmethod
    def unpack(cls, body: bytes) -> "ErrorBody":
        return cls(*_unpack_exact(_ERROR_FMT, body, "error reply"))

    def describe(self) -> str:
        try:
            name = Err(self.code).name
        except ValueError:
            name = f"code 0x{self.code:02x}"
        try:
            t = Cmd(self.offending_type).name
        except ValueError:
            t = f"0x{self.offending_type:02x}"
        return f"{name} (command {t}, detail {self.detail})"


class Config(NamedTuple):
    inputs: int
    widths: tuple
    classes: int
    tag: int

    def pack(self) -> bytes:
        return (struct.pack("<HHHI", self.inputs, len(self.widths), self.classes, self.tag)
                + np.asarray(self.widths, dtype="<u2").tobytes())

    @classmethod
    def unpack(cls, body: bytes) -> "Config":
        if len(body) < CONFIG_FIXED_BYTES:
            raise ValueError(f"CONFIG body must be at least {CONFIG_FIXED_BYTES} bytes")
        inputs, layers, classes, tag = struct.unpack_from("<HHHI", body)
        if len(body) != CONFIG_FIXED_BYTES + CONFIG_WIDTH_BYTES * layers:
            raise ValueError(f"CONFIG with {layers} layers must be "
                             f"{CONFIG_FIXED_BYTES + 2 * layers} bytes, got {len(body)}")
        widths = tuple(int(w) for w in np.frombuffer(body, "<u2", layers, CONFIG_FIXED_BYTES))
        return cls(inputs, widths, classes, tag)


GATE_DTYPE = np.dtype([("a", "<u2"), ("b", "<u2"), ("op", "u1")])
assert GATE_DTYPE.itemsize == GATE_RECORD_BYTES


def encode_load(layer: int, first: int, a, b, op) -> bytes:
    a, b, op = np.asarray(a), np.asarray(b), np.asarray(op)
    rec = np.empty(a.size, dtype=GATE_DTYPE)
    rec["a"], rec["b"], rec["op"] = a, b, op
    return struct.pack("<HHH", layer, first, a.size) + rec.tobytes()


def decode_load(body: bytes) -> tuple[int, int, np.ndarray]:
    """-> (layer, first, records with fields a, b, op)."""
    if len(body) < LOAD_FIXED_BYTES:
        raise ValueError(f"LOAD body must be at least {LOAD_FIXED_BYTES} bytes")
    layer, first, count = struct.unpack_from("<HHH", body)
    if len(body) != LOAD_FIXED_BYTES + GATE_RECORD_BYTES * count:
        raise ValueError(f"LOAD of {count} gates must be {LOAD_FIXED_BYTES + 5 * count} bytes")
    return layer, first, np.frombuffer(body, GATE_DTYPE, count, LOAD_FIXED_BYTES)


def pack_samples(bits: np.ndarray) -> np.ndarray:
    """uint8 [n, m] of 0/1 -> uint8 [n, ceil(m/8)]: bit i of a sample = byte i//8, bit i%8."""
    return np.packbits(np.asarray(bits, dtype=np.uint8), axis=1, bitorder="little")


def unpack_samples(packed: np.ndarray, m: int) -> np.ndarray:
    return np.unpackbits(np.asarray(packed, dtype=np.uint8), axis=1, count=m, bitorder="little")


def encode_run(mode: int, layer: int, packed: np.ndarray) -> bytes:
    """RUN body from already packed samples (uint8 [count, bytes_per_sample])."""
    packed = np.ascontiguousarray(packed, dtype=np.uint8)
    return struct.pack("<BHH", mode, layer, packed.shape[0]) + packed.tobytes()


def decode_run(body: bytes, inputs: int) -> tuple[int, int, np.ndarray]:
    """-> (mode, layer, packed uint8 [count, ceil(inputs/8)])."""
    if len(body) < RUN_FIXED_BYTES:
        raise ValueError(f"RUN body must be at least {RUN_FIXED_BYTES} bytes")
    mode, layer, count = struct.unpack_from("<BHH", body)
    sb = sample_bytes(inputs)
    if len(body) != RUN_FIXED_BYTES + sb * count:
        raise ValueError(f"RUN of {count} samples of {sb} bytes must be "
                         f"{RUN_FIXED_BYTES + sb * count} bytes, got {len(body)}")
    return mode, layer, np.frombuffer(body, np.uint8, sb * count, RUN_FIXED_BYTES).reshape(count, sb)


def scores_dtype(classes: int) -> np.dtype:
    return np.dtype([("scores", "<u2", (classes,)), ("pred", "u1")])


def run_reply_bytes(mode: int, count: int, classes: int = 0, width: int = 0) -> int:
    """Body length of the RUN reply the host must expect."""
    per = classes * SCORE_BYTES + PRED_BYTES if mode == RunMode.SCORES else sample_bytes(width)
    return RUN_REPLY_FIXED_BYTES + count * per


class RunResult(NamedTuple):
    tag: int
    cycles: int
    scores: np.ndarray | None       # int32 [count, classes] (mode 0)
    pred: np.ndarray | None         # int64 [count] (mode 0)
    bits: np.ndarray | None         # uint8 [count, width] of 0/1 (mode 1)


def encode_run_reply(tag: int, cycles: int, scores=None, pred=None, bits=None) -> bytes:
    head = struct.pack("<II", tag, cycles)
    if bits is not None:
        return head + pack_samples(bits).tobytes()
    scores = np.asarray(scores)
    rec = np.empty(scores.shape[0], dtype=scores_dtype(scores.shape[1]))
    rec["scores"], rec["pred"] = scores, pred
    return head + rec.tobytes()


def decode_run_reply(body: bytes, mode: int, count: int, classes: int = 0,
                     width: int = 0) -> RunResult:
    want = run_reply_bytes(mode, count, classes, width)
    if len(body) != want:
        raise ValueError(f"RUN reply for {count} samples must be {want} bytes, got {len(body)}")
    tag, cycles = struct.unpack_from("<II", body)
    if mode == RunMode.SCORES:
        rec = np.frombuffer(body, scores_dtype(classes), count, RUN_REPLY_FIXED_BYTES)
        return RunResult(tag, cycles, rec["scores"].astype(np.int32), rec["pred"].astype(np.int64), None)
    packed = np.frombuffer(body, np.uint8, count * sample_bytes(width), RUN_REPLY_FIXED_BYTES)
    return RunResult(tag, cycles, None, None, unpack_samples(packed.reshape(count, -1), width))


def max_run_count(max_body: int, inputs: int, mode: int = RunMode.SCORES, classes: int = 0,
                  width: int = 0) -> int:
    """The most samples one RUN frame can carry so that request and reply fit in max_body."""
    by_req = (max_body - RUN_FIXED_BYTES) // max(1, sample_bytes(inputs))
    per = classes * SCORE_BYTES + PRED_BYTES if mode == RunMode.SCORES else sample_bytes(width)
    by_rep = (max_body - RUN_REPLY_FIXED_BYTES) // max(1, per)
    return max(0, min(by_req, by_rep, 0xFFFF))


def gate_slots(widths, gates_per_cycle: int) -> int:
    """Gate memory a network takes: each layer is rounded up to whole rows of
    `gates_per_cycle` gates. A board accepts a CONFIG when this is <= max_gates."""
    g = max(1, int(gates_per_cycle))
    return sum(-(-int(w) // g) * g for w in widths)


def max_load_count(max_body: int) -> int:
    return max(0, min((max_body - LOAD_FIXED_BYTES) // GATE_RECORD_BYTES, 0xFFFF))


# Reference board (the board side, executable) -------------------------------------------------
#
# A plain-Python implementation of the board's side of the protocol: frame checks in the
# documented order, every command, the counters. It is the executable form of the
# board-side rules in docs/protocol.md, used to test the host session without Verilator and
# as a differential reference for the virtual board. It is NOT the virtual board (that is
# the real RTL in Verilator, boards/sim) and its cycle counts are a model, not a measurement.

class ReferenceBoard:
    def __init__(self, max_inputs=1024, max_width=4096, max_layers=8, max_classes=16,
                 gates_per_cycle=64, lanes=64, max_body=4096, max_gates=32768,
                 clock_hz=50_000_000):
        self.info = Info(PROTOCOL_VERSION, max_inputs, max_width, max_layers, max_classes,
                         gates_per_cycle, lanes, max_body, max_gates, clock_hz, 0)
        self._rx = bytearray()
        self._tx = bytearray()
        self._skipping = False
        self._power_up()

    def _power_up(self) -> None:
        self.config: Config | None = None
        self.gates: list[np.ndarray] = []
        self.counters = dict.fromkeys(f.name for f in fields(Status) if f.name != "tag")
        for k in self.counters:
            self.counters[k] = 0

    # byte stream, same verbs as a transport
    def write(self, data) -> None:
        for piece in _split_keep(bytes(data)):
            if piece == b"\x00":
                frame, self._rx = bytes(self._rx), bytearray()
                if self._skipping:
                    self._skipping = False
                elif frame:
                    self._tx += self.handle_encoded(frame)
            elif not self._skipping:
                self._rx += piece
                if len(self._rx) > max_encoded_frame(self.info.max_body):
                    self._rx.clear()
                    self._skipping = True
                    self.counters["cobs_errors"] += 1
                    self._tx += self._error(Err.FRAME_TOO_LONG, 0, 0, self.info.max_body)

    def read(self, max_bytes: int = -1, timeout: float = 0.0) -> bytes:
        n = len(self._tx) if max_bytes is None or max_bytes < 0 else max_bytes
        out, self._tx = bytes(self._tx[:n]), self._tx[n:]
        return out

    def close(self) -> None:
        pass

    def power_cycle(self) -> None:
        """As if the board was reset behind the host's back (tag back to 0)."""
        self._power_up()

    # one frame
    def handle_encoded(self, encoded: bytes) -> bytes:
        r = decode_frame(encoded, self.info.max_body)
        if isinstance(r, BadFrame):
            key = {Err.BAD_CRC: "crc_errors", Err.BAD_COBS: "cobs_errors",
                   Err.FRAME_TOO_LONG: "cobs_errors"}.get(r.code, "other_errors")
            self.counters[key] += 1
            return self._error(r.code, r.seq, r.type, r.detail)
        self.counters["frames_ok"] += 1
        try:
            rtype, body = self.execute(r.type, r.body)
        except _Reject as e:
            self.counters["other_errors"] += 1
            return self._error(e.code, r.seq, r.type, e.detail)
        return encode_frame(r.seq, rtype, body)

    def _error(self, code, seq, ftype, detail) -> bytes:
        return encode_frame(seq, TYPE_ERROR, ErrorBody(int(code), ftype, detail & 0xFFFF).pack())

    def execute(self, ftype: int, body: bytes) -> tuple[int, bytes]:
        i = self.info
        if ftype not in {int(c) for c in Cmd}:
            raise _Reject(Err.UNKNOWN_CMD)
        reply = ftype | REPLY_FLAG
        if ftype in (Cmd.INFO, Cmd.RESET, Cmd.STATUS) and body:
            raise _Reject(Err.BAD_LENGTH, len(body))
        tag = self.config.tag if self.config else 0
        if ftype == Cmd.INFO:
            return reply, Info(**{**i.as_dict(), "config_tag": tag}).pack()
        if ftype == Cmd.RESET:
            self._power_up()
            return reply, b""
        if ftype == Cmd.STATUS:
            return reply, Status(tag, **self.counters).pack()
        if ftype == Cmd.CONFIG:
            self.config, self.gates = None, []        # a rejected CONFIG leaves it unconfigured
            if len(body) < CONFIG_FIXED_BYTES:
                raise _Reject(Err.BAD_LENGTH, len(body))
            inputs, layers, classes, tag = struct.unpack_from("<HHHI", body)
            if layers == 0:
                raise _Reject(Err.BAD_ARG, 2)
            if layers > i.max_layers:
                raise _Reject(Err.OVER_CAPACITY, i.max_layers)
            if len(body) != CONFIG_FIXED_BYTES + CONFIG_WIDTH_BYTES * layers:
                raise _Reject(Err.BAD_LENGTH, len(body))
            for value, limit, off in ((inputs, i.max_inputs, 0), (classes, i.max_classes, 4)):
                if value == 0:
                    raise _Reject(Err.BAD_ARG, off)
                if value > limit:
                    raise _Reject(Err.OVER_CAPACITY, limit)
            if tag == 0:
                raise _Reject(Err.BAD_ARG, 6)
            c = Config.unpack(body)
            for k, w in enumerate(c.widths):
                if w == 0:
                    raise _Reject(Err.BAD_ARG, CONFIG_FIXED_BYTES + 2 * k)
                if w > i.max_width:
                    raise _Reject(Err.OVER_CAPACITY, i.max_width)
            if gate_slots(c.widths, i.gates_per_cycle) > i.max_gates:
                raise _Reject(Err.OVER_CAPACITY, min(i.max_gates, 0xFFFF))
            if c.widths[-1] % c.classes:
                raise _Reject(Err.BAD_ARG, CONFIG_FIXED_BYTES + 2 * (layers - 1))
            self.config = c
            self.gates = [np.zeros(w, GATE_DTYPE) for w in c.widths]
            return reply, b""
        if self.config is None:
            raise _Reject(Err.NOT_CONFIGURED)
        c = self.config
        if ftype == Cmd.LOAD:
            try:
                layer, first, rec = decode_load(body)
            except ValueError:
                raise _Reject(Err.BAD_LENGTH, len(body)) from None
            if layer >= len(c.widths):
                raise _Reject(Err.BAD_ARG, 0)
            if first + len(rec) > c.widths[layer]:
                raise _Reject(Err.BAD_ARG, 2)
            prev = c.inputs if layer == 0 else c.widths[layer - 1]
            bad = np.flatnonzero((rec["a"] >= prev) | (rec["b"] >= prev) | (rec["op"] > 15))
            if bad.size:                      # detail: body offset of the first bad field
                g = int(bad[0])
                field = 0 if rec["a"][g] >= prev else 2 if rec["b"][g] >= prev else 4
                raise _Reject(Err.BAD_ARG, LOAD_FIXED_BYTES + GATE_RECORD_BYTES * g + field)
            self.gates[layer][first:first + len(rec)] = rec
            return reply, b""
        # RUN
        if len(body) < RUN_FIXED_BYTES:
            raise _Reject(Err.BAD_LENGTH, len(body))
        mode, layer, count = struct.unpack_from("<BHH", body)
        if mode > 1:
            raise _Reject(Err.BAD_ARG, 0)
        if mode == 1 and layer >= len(c.widths):
            raise _Reject(Err.BAD_ARG, 1)
        mode, layer, packed = decode_run(body, c.inputs) if len(body) == (
            RUN_FIXED_BYTES + count * sample_bytes(c.inputs)) else (None, None, None)
        if packed is None:
            raise _Reject(Err.BAD_LENGTH, len(body))
        if run_reply_bytes(mode, count, c.classes, c.widths[layer] if mode else 0) > i.max_body:
            raise _Reject(Err.OVER_CAPACITY, i.max_body)
        net = self._netlist()
        bits = unpack_samples(packed, c.inputs)
        from host.softmodel import SoftModel          # numpy only
        model = SoftModel(net)
        upto = layer if mode else len(c.widths) - 1
        cycles = -(-count // i.lanes) * sum(-(-w // i.gates_per_cycle) for w in c.widths[:upto + 1])
        self.counters["runs"] += 1
        self.counters["samples"] += count
        self.counters["busy_cycles"] += cycles
        if mode == 1:
            return reply, encode_run_reply(c.tag, cycles, bits=model.layer_bits(bits, layer))
        scores = model.scores(bits) if count else np.zeros((0, c.classes), np.int32)
        return reply, encode_run_reply(c.tag, cycles, scores=scores, pred=np.argmax(scores, axis=1))

    def _netlist(self):
        from host.netlist import Layer, Netlist
        c = self.config
        layers = [Layer(g["a"].astype(np.int32), g["b"].astype(np.int32), g["op"].copy())
                  for g in self.gates]
        return Netlist(inputs=c.inputs, layers=layers, classes=c.classes)


class _Reject(Exception):
    def __init__(self, code: Err, detail: int = 0):
        super().__init__(code.name)
        self.code, self.detail = code, detail


def _split_keep(data: bytes) -> Iterator[bytes]:
    """Split at 0x00, keeping each delimiter as its own piece."""
    start = 0
    while True:
        k = data.find(b"\x00", start)
        if k < 0:
            if start < len(data):
                yield data[start:]
            return
        if k > start:
            yield data[start:k]
        yield b"\x00"
        start = k + 1


# The Verilog header -------------------------------------------------------------------------

HEADER_PATH = Path(__file__).resolve().parent / "hdl" / "generated" / "lgn_protocol.vh"


def _verilog_constants() -> list[tuple[str, int, int, str]]:
    """(name, bit width, value, comment) for every constant the RTL needs."""
    c = [("LGN_PROTOCOL_VERSION", 8, PROTOCOL_VERSION, "INFO protocol_version"),
         ("LGN_CRC_POLY", 16, CRC_POLY, "CRC-16/CCITT-FALSE, unreflected, no xorout"),
         ("LGN_CRC_INIT", 16, CRC_INIT, ""),
         ("LGN_DELIM", 8, DELIM, "frame delimiter after COBS"),
         ("LGN_HEADER_BYTES", 16, HEADER_BYTES, "seq, type, len u16"),
         ("LGN_CRC_BYTES", 16, CRC_BYTES, "crc u16 LE after the body"),
         ("LGN_MIN_PAYLOAD", 16, MIN_PAYLOAD, "header + crc"),
         ("LGN_REPLY_FLAG", 8, REPLY_FLAG, "reply type = command type | REPLY_FLAG")]
    c += [(f"LGN_CMD_{m.name}", 8, int(m), "") for m in Cmd]
    c += [("LGN_TYPE_ERROR", 8, TYPE_ERROR, "error reply type; body: code, type, detail u16")]
    c += [(f"LGN_ERR_{m.name}", 8, int(m), "") for m in Err]
    c += [(f"LGN_RUN_MODE_{m.name}", 8, int(m), "") for m in RunMode]
    c += [("LGN_INFO_BODY_BYTES", 16, INFO_BODY_BYTES, ""),
          ("LGN_STATUS_BODY_BYTES", 16, STATUS_BODY_BYTES, ""),
          ("LGN_ERROR_BODY_BYTES", 16, ERROR_BODY_BYTES, ""),
          ("LGN_CONFIG_FIXED_BYTES", 16, CONFIG_FIXED_BYTES, "inputs, layers, classes u16; tag u32"),
          ("LGN_CONFIG_WIDTH_BYTES", 16, CONFIG_WIDTH_BYTES, "per layer: width u16"),
          ("LGN_LOAD_FIXED_BYTES", 16, LOAD_FIXED_BYTES, "layer, first, count u16"),
          ("LGN_GATE_RECORD_BYTES", 16, GATE_RECORD_BYTES, "a u16, b u16, op u8"),
          ("LGN_RUN_FIXED_BYTES", 16, RUN_FIXED_BYTES, "mode u8, layer u16, count u16"),
          ("LGN_RUN_REPLY_FIXED_BYTES", 16, RUN_REPLY_FIXED_BYTES, "tag u32, cycles u32"),
          ("LGN_SCORE_BYTES", 16, SCORE_BYTES, ""),
          ("LGN_PRED_BYTES", 16, PRED_BYTES, "")]
    return c


def verilog_header() -> str:
    """The Verilog header of protocol constants (localparams, include it inside a module)."""
    lines = [
        "// SPDX-License-Identifier: MIT",
        "// GENERATED by `python -m rtl.protocol --header` from rtl/protocol.py: do not edit.",
        "// Link protocol constants (docs/protocol.md). `include this file INSIDE a module",
        "// body: it declares localparams, scoped to that module (no global macros), so any",
        "// number of modules may include it. Unused ones are exempt from Verilator's",
        "// UNUSEDPARAM warning.",
        "/* verilator lint_off UNUSEDPARAM */",
    ]
    width = max(len(n) for n, *_ in _verilog_constants())
    for name, bits, value, comment in _verilog_constants():
        hexd = (bits + 3) // 4
        rng = f"[{bits - 1}:0]".ljust(6)
        decl = f"localparam {rng} {name.ljust(width)} = {bits}'h{value:0{hexd}X};"
        lines.append(decl + (f"  // {comment}" if comment else ""))
    lines.append("/* verilator lint_on UNUSEDPARAM */")
    return "\n".join(lines) + "\n"


def write_header(path: Path = HEADER_PATH) -> bool:
    """Write the header if it differs; True when the file changed."""
    text = verilog_header()
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True


def _main(argv: list[str]) -> int:
    if argv == ["--header"]:
        print(f"{HEADER_PATH}: {'updated' if write_header() else 'up to date'}", file=sys.stderr)
        return 0
    if argv == ["--check"]:
        ok = HEADER_PATH.exists() and HEADER_PATH.read_text() == verilog_header()
        print(f"{HEADER_PATH}: {'up to date' if ok else 'OUT OF DATE (python -m rtl.protocol --header)'}",
              file=sys.stderr)
        return 0 if ok else 1
    if argv == ["--print"]:
        sys.stdout.write(verilog_header())
        return 0
    print("usage: python -m rtl.protocol --header | --check | --print", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
