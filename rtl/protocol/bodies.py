# SPDX-License-Identifier: MIT
"""Frame bodies: (de)serialisers for every command and reply (layouts.py gives the bytes)."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np

from .constants import Cmd, Err, RunMode, sample_bytes
from .layouts import (CONFIG, CONFIG_WIDTH, ERROR, GATE, INFO, LOAD, PRED, RUN, RUN_REPLY,
                      SCORE, STATUS, Layout)

# Sizes the host and the board both need, derived from the layouts.
INFO_BODY_BYTES = INFO.size
STATUS_BODY_BYTES = STATUS.size
ERROR_BODY_BYTES = ERROR.size
RUN_FIXED_BYTES = RUN.size
RUN_REPLY_FIXED_BYTES = RUN_REPLY.size
SCORE_BYTES = SCORE.size
PRED_BYTES = PRED.size


class _FixedBody:
    """A reply body of fixed layout: its dataclass fields are the layout's, in order."""
    LAYOUT: Layout

    def pack(self) -> bytes:
        return self.LAYOUT.pack(*(getattr(self, f.name) for f in fields(self)))

    @classmethod
    def unpack(cls, body: bytes):
        return cls(*cls.LAYOUT.unpack(body))

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Info(_FixedBody):
    """The INFO reply: what the board can hold and how fast it evaluates."""
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
    tag: int
    frames_ok: int
    crc_errors: int
    cobs_errors: int
    other_errors: int
    runs: int
    samples: int
    busy_cycles: int
    idle_cycles: int


Info.LAYOUT, Status.LAYOUT = INFO, STATUS
for _cls in (Info, Status):
    assert tuple(f.name for f in fields(_cls)) == _cls.LAYOUT.names, _cls


class ErrorBody(NamedTuple):
    code: int
    offending_type: int
    detail: int

    def pack(self) -> bytes:
        return ERROR.pack(self.code, self.offending_type, self.detail)

    @classmethod
    def unpack(cls, body: bytes) -> "ErrorBody":
        return cls(*ERROR.unpack(body))

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
        return (CONFIG.pack(self.inputs, len(self.widths), self.classes, self.tag)
                + np.asarray(self.widths, dtype=CONFIG_WIDTH.dtype["width"]).tobytes())

    @classmethod
    def unpack(cls, body: bytes) -> "Config":
        if len(body) < CONFIG.size:
            raise ValueError(f"CONFIG body must be at least {CONFIG.size} bytes")
        inputs, layers, classes, tag = CONFIG.unpack_from(body)
        want = config_bytes(layers)
        if len(body) != want:
            raise ValueError(f"CONFIG with {layers} layers must be {want} bytes, got {len(body)}")
        widths = np.frombuffer(body, CONFIG_WIDTH.dtype["width"], layers, CONFIG.size)
        return cls(inputs, tuple(int(w) for w in widths), classes, tag)


def config_bytes(layers: int) -> int:
    return CONFIG.size + CONFIG_WIDTH.size * layers


def encode_load(layer: int, first: int, a, b, op) -> bytes:
    a, b, op = np.asarray(a), np.asarray(b), np.asarray(op)
    rec = np.empty(a.size, dtype=GATE.dtype)
    rec["a"], rec["b"], rec["op"] = a, b, op
    return LOAD.pack(layer, first, a.size) + rec.tobytes()


def decode_load(body: bytes) -> tuple[int, int, np.ndarray]:
    """-> (layer, first, records with fields a, b, op)."""
    if len(body) < LOAD.size:
        raise ValueError(f"LOAD body must be at least {LOAD.size} bytes")
    layer, first, count = LOAD.unpack_from(body)
    want = LOAD.size + GATE.size * count
    if len(body) != want:
        raise ValueError(f"LOAD of {count} gates must be {want} bytes, got {len(body)}")
    return layer, first, np.frombuffer(body, GATE.dtype, count, LOAD.size)


def pack_samples(bits: np.ndarray) -> np.ndarray:
    """uint8 [n, m] of 0/1 -> uint8 [n, ceil(m/8)]: bit i of a sample = byte i//8, bit i%8."""
    return np.packbits(np.asarray(bits, dtype=np.uint8), axis=1, bitorder="little")


def unpack_samples(packed: np.ndarray, m: int) -> np.ndarray:
    return np.unpackbits(np.asarray(packed, dtype=np.uint8), axis=1, count=m, bitorder="little")


def encode_run(mode: int, layer: int, packed: np.ndarray) -> bytes:
    """RUN body from already packed samples (uint8 [count, bytes_per_sample])."""
    packed = np.ascontiguousarray(packed, dtype=np.uint8)
    return RUN.pack(mode, layer, packed.shape[0]) + packed.tobytes()


def decode_run(body: bytes, inputs: int) -> tuple[int, int, np.ndarray]:
    """-> (mode, layer, packed uint8 [count, ceil(inputs/8)])."""
    if len(body) < RUN.size:
        raise ValueError(f"RUN body must be at least {RUN.size} bytes")
    mode, layer, count = RUN.unpack_from(body)
    sb = sample_bytes(inputs)
    want = RUN.size + sb * count
    if len(body) != want:
        raise ValueError(f"RUN of {count} samples of {sb} bytes must be {want} bytes, got {len(body)}")
    return mode, layer, np.frombuffer(body, np.uint8, sb * count, RUN.size).reshape(count, sb)


def scores_dtype(classes: int) -> np.dtype:
    """A RUN mode 0 record: the class scores, then the prediction."""
    return np.dtype([("scores", SCORE.dtype["score"], (classes,)), ("pred", PRED.dtype["pred"])])


def _record_bytes(mode: int, classes: int, width: int) -> int:
    return scores_dtype(classes).itemsize if mode == RunMode.SCORES else sample_bytes(width)


def run_reply_bytes(mode: int, count: int, classes: int = 0, width: int = 0) -> int:
    """Body length of the RUN reply the host must expect."""
    return RUN_REPLY.size + count * _record_bytes(mode, classes, width)


class RunResult(NamedTuple):
    tag: int
    cycles: int
    scores: np.ndarray | None       # int32 [count, classes] (mode 0)
    pred: np.ndarray | None         # int64 [count] (mode 0)
    bits: np.ndarray | None         # uint8 [count, width] of 0/1 (mode 1)


def encode_run_reply(tag: int, cycles: int, scores=None, pred=None, bits=None) -> bytes:
    head = RUN_REPLY.pack(tag, cycles)
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
    tag, cycles = RUN_REPLY.unpack_from(body)
    if mode == RunMode.SCORES:
        rec = np.frombuffer(body, scores_dtype(classes), count, RUN_REPLY.size)
        return RunResult(tag, cycles, rec["scores"].astype(np.int32), rec["pred"].astype(np.int64), None)
    packed = np.frombuffer(body, np.uint8, count * sample_bytes(width), RUN_REPLY.size)
    return RunResult(tag, cycles, None, None, unpack_samples(packed.reshape(count, -1), width))


def max_run_count(max_body: int, inputs: int, mode: int = RunMode.SCORES, classes: int = 0,
                  width: int = 0) -> int:
    """The most samples one RUN frame can carry so that request and reply fit in max_body."""
    by_req = (max_body - RUN.size) // max(1, sample_bytes(inputs))
    by_rep = (max_body - RUN_REPLY.size) // max(1, _record_bytes(mode, classes, width))
    return max(0, min(by_req, by_rep, 0xFFFF))


def gate_slots(widths, gates_per_cycle: int) -> int:
    """Gate memory a network takes: each layer is rounded up to whole rows of
    `gates_per_cycle` gates. A board accepts a CONFIG when this is <= max_gates."""
    g = max(1, int(gates_per_cycle))
    return sum(-(-int(w) // g) * g for w in widths)


def max_load_count(max_body: int) -> int:
    return max(0, min((max_body - LOAD.size) // GATE.size, 0xFFFF))
