# SPDX-License-Identifier: MIT
"""Every fixed byte layout of the protocol, once: a struct.Struct with its field names.

Sizes and field offsets (the `detail` of a BAD_ARG names a body offset) are derived from
these, for the Python codec and for the generated Verilog header alike."""
from __future__ import annotations

import struct

import numpy as np


class Layout:
    """A little-endian struct with named fields: .size, .offset(name), pack/unpack."""

    def __init__(self, what: str, fmt: str, names: tuple[str, ...]):
        self.what, self.names = what, names
        self.struct = struct.Struct("<" + fmt)
        codes = _expand(fmt)
        if len(codes) != len(names):
            raise ValueError(f"{what}: {len(codes)} fields in {fmt!r}, {len(names)} names")
        self._offsets = {n: struct.calcsize("<" + "".join(codes[:k])) for k, n in enumerate(names)}
        #: the same layout as a numpy record (for arrays of records: gates, scores)
        self.dtype = np.dtype([(n, _NUMPY[c]) for n, c in zip(names, codes)])
        assert self.dtype.itemsize == self.size

    @property
    def size(self) -> int:
        return self.struct.size

    def offset(self, name: str) -> int:
        return self._offsets[name]

    def pack(self, *values) -> bytes:
        return self.struct.pack(*values)

    def unpack(self, body: bytes) -> tuple:
        """Exactly one record; ValueError naming the layout otherwise."""
        if len(body) != self.size:
            raise ValueError(f"{self.what} must be {self.size} bytes, got {len(body)}")
        return self.struct.unpack(body)

    def unpack_from(self, body: bytes, offset: int = 0) -> tuple:
        return self.struct.unpack_from(body, offset)


_NUMPY = {"B": "u1", "H": "<u2", "I": "<u4"}


def _expand(fmt: str) -> list[str]:
    """'B7H3I' -> ['B', 'H' x 7, 'I' x 3]."""
    out, count = [], ""
    for ch in fmt:
        if ch.isdigit():
            count += ch
        else:
            out += [ch] * int(count or 1)
            count = ""
    return out


HEADER = Layout("frame header", "BBH", ("seq", "type", "len"))
CRC = Layout("frame CRC", "H", ("crc",))
INFO = Layout("INFO reply", "B7H3I",
              ("protocol_version", "max_inputs", "max_width", "max_layers", "max_classes",
               "gates_per_cycle", "lanes", "max_body", "max_gates", "clock_hz", "config_tag"))
STATUS = Layout("STATUS reply", "9I",
                ("tag", "frames_ok", "crc_errors", "cobs_errors", "other_errors", "runs",
                 "samples", "busy_cycles", "idle_cycles"))
ERROR = Layout("error reply", "BBH", ("code", "offending_type", "detail"))
CONFIG = Layout("CONFIG body", "HHHI", ("inputs", "layers", "classes", "tag"))
CONFIG_WIDTH = Layout("CONFIG width", "H", ("width",))          # one per layer, after CONFIG
LOAD = Layout("LOAD body", "HHH", ("layer", "first", "count"))
GATE = Layout("gate record", "HHB", ("a", "b", "op"))          # count of them, after LOAD
RUN = Layout("RUN body", "BHH", ("mode", "layer", "count"))    # samples follow
RUN_REPLY = Layout("RUN reply", "II", ("tag", "cycles"))       # records follow
SCORE = Layout("score", "H", ("score",))
PRED = Layout("prediction", "B", ("pred",))
