# SPDX-License-Identifier: MIT
"""Frames on the wire: CRC, COBS, payload checks and a stream decoder.

Wire:     COBS(payload) 0x00         (garbage between frames is skipped; empty frames ignored)
Payload:  seq u8 | type u8 | len u16 | body (len bytes) | crc u16
          crc = CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no xorout)
          over seq..body. All multi-byte fields are little-endian.
"""
from __future__ import annotations

import binascii
from typing import NamedTuple

import numpy as np

from .constants import CRC_INIT, CRC_POLY, DELIM, MAX_LEN_FIELD, Err
from .layouts import CRC, HEADER

HEADER_BYTES = HEADER.size
CRC_BYTES = CRC.size
MIN_PAYLOAD = HEADER_BYTES + CRC_BYTES


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
    head = HEADER.pack(seq, ftype, len(body)) + body
    return head + CRC.pack(crc16(head))


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
    if crc16(payload[:-CRC_BYTES]) != CRC.unpack_from(payload, n - CRC_BYTES)[0]:
        return BadFrame(Err.BAD_CRC, seq, ftype, n & 0xFFFF, b"")
    length = HEADER.unpack_from(payload)[2]
    if length != n - MIN_PAYLOAD:
        return BadFrame(Err.BAD_LENGTH, seq, ftype, length, b"")
    return Frame(seq, ftype, bytes(payload[HEADER_BYTES:-CRC_BYTES]))


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
