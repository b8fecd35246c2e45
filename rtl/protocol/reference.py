# SPDX-License-Identifier: MIT
"""The board side of the protocol, executable: a plain-Python reference board.

Frame checks in the documented order (the host's own FrameDecoder), every command, the
counters. It is the executable form of the board-side rules in docs/protocol.md, used to
test the host session without Verilator and as a differential reference for the virtual
board. It is NOT the virtual board (that is the real RTL in Verilator, boards/sim) and its
cycle counts are a model, not a measurement.
"""
from __future__ import annotations

from dataclasses import fields

import numpy as np

from .bodies import (Config, ErrorBody, Info, Status, decode_load, decode_run, encode_run_reply,
                     gate_slots, run_reply_bytes, unpack_samples)
from .codec import BadFrame, FrameDecoder, encode_frame
from .constants import REPLY_FLAG, TYPE_ERROR, Cmd, Err, sample_bytes
from .layouts import CONFIG, CONFIG_WIDTH, GATE, LOAD, RUN


class ReferenceBoard:
    def __init__(self, engine=None, **changes):
        """A board of `engine`'s limits (an rtl.engine.Engine; default Engine()), with
        `changes` to them."""
        from rtl.engine import Engine       # here: rtl.engine imports this package
        e = (engine or Engine()).replace(**changes)
        self.info = e.info()
        self._decoder = FrameDecoder(e.max_body)
        self._tx = bytearray()
        self._power_up()

    def _power_up(self) -> None:
        self.config: Config | None = None
        self.gates: list[np.ndarray] = []
        self.counters = dict.fromkeys(f.name for f in fields(Status) if f.name != "tag")
        for k in self.counters:
            self.counters[k] = 0

    # byte stream, same verbs as a transport
    def write(self, data) -> None:
        for frame in self._decoder.feed(bytes(data)):
            self._tx += self.handle(frame)

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
    def handle(self, r) -> bytes:
        """The encoded reply to one decoded Frame or BadFrame."""
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
            if len(body) < CONFIG.size:
                raise _Reject(Err.BAD_LENGTH, len(body))
            inputs, layers, classes, tag = CONFIG.unpack_from(body)
            if layers == 0:
                raise _Reject(Err.BAD_ARG, CONFIG.offset("layers"))
            if layers > i.max_layers:
                raise _Reject(Err.OVER_CAPACITY, i.max_layers)
            if len(body) != CONFIG.size + CONFIG_WIDTH.size * layers:
                raise _Reject(Err.BAD_LENGTH, len(body))
            for value, limit, off in ((inputs, i.max_inputs, CONFIG.offset("inputs")),
                                     (classes, i.max_classes, CONFIG.offset("classes"))):
                if value == 0:
                    raise _Reject(Err.BAD_ARG, off)
                if value > limit:
                    raise _Reject(Err.OVER_CAPACITY, limit)
            if tag == 0:
                raise _Reject(Err.BAD_ARG, CONFIG.offset("tag"))
            c = Config.unpack(body)
            for k, w in enumerate(c.widths):
                if w == 0:
                    raise _Reject(Err.BAD_ARG, CONFIG.size + CONFIG_WIDTH.size * k)
                if w > i.max_width:
                    raise _Reject(Err.OVER_CAPACITY, i.max_width)
            if gate_slots(c.widths, i.gates_per_cycle) > i.max_gates:
                raise _Reject(Err.OVER_CAPACITY, min(i.max_gates, 0xFFFF))
            if c.widths[-1] % c.classes:
                raise _Reject(Err.BAD_ARG, CONFIG.size + CONFIG_WIDTH.size * (layers - 1))
            self.config = c
            self.gates = [np.zeros(w, GATE.dtype) for w in c.widths]
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
                raise _Reject(Err.BAD_ARG, LOAD.offset("layer"))
            if first + len(rec) > c.widths[layer]:
                raise _Reject(Err.BAD_ARG, LOAD.offset("first"))
            prev = c.inputs if layer == 0 else c.widths[layer - 1]
            bad = np.flatnonzero((rec["a"] >= prev) | (rec["b"] >= prev) | (rec["op"] > 15))
            if bad.size:                      # detail: body offset of the first bad field
                g = int(bad[0])
                field = "a" if rec["a"][g] >= prev else "b" if rec["b"][g] >= prev else "op"
                raise _Reject(Err.BAD_ARG, LOAD.size + GATE.size * g + GATE.offset(field))
            self.gates[layer][first:first + len(rec)] = rec
            return reply, b""
        # RUN
        if len(body) < RUN.size:
            raise _Reject(Err.BAD_LENGTH, len(body))
        mode, layer, count = RUN.unpack_from(body)
        if mode > 1:
            raise _Reject(Err.BAD_ARG, RUN.offset("mode"))
        if mode == 1 and layer >= len(c.widths):
            raise _Reject(Err.BAD_ARG, RUN.offset("layer"))
        mode, layer, packed = decode_run(body, c.inputs) if len(body) == (
            RUN.size + count * sample_bytes(c.inputs)) else (None, None, None)
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
