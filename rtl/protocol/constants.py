# SPDX-License-Identifier: MIT
"""The protocol's numbers: version, CRC, frame types, error codes, RUN modes."""
from __future__ import annotations

from enum import IntEnum

PROTOCOL_VERSION = 1

CRC_POLY = 0x1021
CRC_INIT = 0xFFFF

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


def sample_bytes(bits: int) -> int:
    """Bytes per packed sample of `bits` bits (LSB-first)."""
    return (bits + 7) // 8
