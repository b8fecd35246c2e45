# SPDX-License-Identifier: MIT
"""docs/protocol.md's worked examples are checked here, so the reference cannot drift:
every example frame must encode to the documented payload and wire bytes, and the
documented session, replayed request by request into the reference board model, must
produce exactly the documented replies."""
import re
from pathlib import Path

import pytest

from rtl import protocol as P

DOC = Path(__file__).resolve().parents[1] / "docs" / "protocol.md"


def _hex(s: str) -> bytes:
    return bytes.fromhex(s.strip())


def examples() -> list[dict]:
    text = DOC.read_text()
    out = []
    for block in re.findall(r"```lgn-frame\n(.*?)```", text, re.S):
        ex = {}
        for line in block.splitlines():
            key, _, value = line.partition(":")
            ex[key.strip()] = value.strip()
        out.append(ex)
    return out


def test_doc_has_examples():
    names = [e["name"] for e in examples()]
    assert len(names) >= 20, names
    for cmd in ("INFO", "CONFIG", "LOAD", "RUN", "STATUS", "RESET"):
        assert any(n.startswith(cmd) for n in names), cmd


@pytest.mark.parametrize("ex", examples(), ids=lambda e: e["name"])
def test_example_encodes_as_documented(ex):
    wire = _hex(ex["wire"])
    assert wire.endswith(b"\x00") and 0 not in wire[:-1]
    if "damaged" in ex:
        bad = P.decode_frame(wire[:-1])
        assert isinstance(bad, P.BadFrame) and bad.code == P.Err[ex["damaged"]]
        return
    seq, ftype, body = int(ex["seq"], 16), int(ex["type"], 16), _hex(ex["body"])
    assert P.build_payload(seq, ftype, body) == _hex(ex["payload"])
    assert P.encode_frame(seq, ftype, body) == wire
    assert P.decode_frame(wire[:-1]) == P.Frame(seq, ftype, body)


def test_documented_session_replays_on_the_reference_board():
    exs = examples()
    info = None
    board = None
    for req, rep in zip(exs[0::2], exs[1::2]):
        assert req["name"].endswith("(request)") and rep["name"].endswith("(reply)"), (req, rep)
        if info is None:   # the first exchange is INFO: build the board it describes
            info = P.Info.unpack(_hex(rep["body"]))
            board = P.ReferenceBoard(**{k: v for k, v in info.as_dict().items()
                                        if k not in ("protocol_version", "config_tag")})
        board.write(_hex(req["wire"]))
        assert board.read() == _hex(rep["wire"]), req["name"]


def test_documented_numbers():
    text = DOC.read_text()
    assert "0x29B1" in text and P.crc16(b"123456789") == 0x29B1
    assert f"{P.INFO_BODY_BYTES} bytes" in text and f"{P.STATUS_BODY_BYTES} bytes" in text
    for e in P.Err:
        assert re.search(rf"`0x{int(e):02X}` \| {e.name}", text), e.name
    for c in P.Cmd:
        assert re.search(rf"`0x{int(c):02X}` \| {c.name}", text), c.name
    # the overhead figures quoted for the digits network
    n = P.max_run_count(32768, 512, 0, classes=10)
    assert f"{n}-sample RUN frame is {P.RUN_FIXED_BYTES + 64 * n:,} body bytes" in text
    assert f"{P.run_reply_bytes(0, n, classes=10):,} on the" in text
