# SPDX-License-Identifier: MIT
"""The link protocol between the host and an engine board: its one definition.

Every board link (UART on a ULX3S, the AXI path on a PYNQ, the virtual board) carries the
same byte stream of frames. The reference for a third party is docs/protocol.md; this
package is its executable form:

    constants   version, CRC parameters, frame types, error codes, RUN modes
    layouts     every fixed byte layout, once (struct.Struct + field names)
    codec       CRC, COBS, frame build/check, the stream FrameDecoder
    bodies      (de)serialisers of each command's and reply's body
    reference   ReferenceBoard, the board side in plain Python
    verilog     the generated RTL header rtl/hdl/generated/lgn_protocol.vh

numpy and the standard library only: the PYNQ board agent imports this without torch.
"""
from .bodies import (  # noqa: F401 (the package's API)
    ERROR_BODY_BYTES, INFO_BODY_BYTES, PRED_BYTES, RUN_FIXED_BYTES, RUN_REPLY_FIXED_BYTES,
    SCORE_BYTES, STATUS_BODY_BYTES, Config, ErrorBody, Info, RunResult, Status, config_bytes,
    decode_load, decode_run, decode_run_reply, encode_load, encode_run, encode_run_reply,
    gate_slots, max_load_count, max_run_count, pack_samples, run_reply_bytes, scores_dtype,
    unpack_samples)
from .codec import (  # noqa: F401 (the package's API)
    CRC_BYTES, HEADER_BYTES, MIN_PAYLOAD, BadFrame, CobsError, Frame, FrameDecoder,
    build_payload, cobs_decode, cobs_encode, crc16, crc16_bitwise, decode_frame, encode_frame,
    max_encoded_frame, parse_payload)
from .constants import (  # noqa: F401 (the package's API)
    CRC_INIT, CRC_POLY, DELIM, FRAME_ERRORS, MAX_LEN_FIELD, PROTOCOL_VERSION, REPLY_FLAG,
    TYPE_ERROR, Cmd, Err, RunMode, sample_bytes)
from .reference import ReferenceBoard  # noqa: F401
from .verilog import HEADER_PATH, verilog_header  # noqa: F401

