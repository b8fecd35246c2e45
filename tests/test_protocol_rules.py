# SPDX-License-Identifier: MIT
"""Rules docs/protocol.md states in prose (not in its worked examples), checked on both the
reference board model and the virtual board, so the page and the RTL cannot part ways:
what RESET keeps and counts, a CONFIG that repeats the current tag, LOAD with count 0, and
RUN mode 1's padding bits after a wider network was loaded."""
import numpy as np
import pytest

from rtl import protocol as P


class Raw:
    """One frame at a time to a board's byte stream, its one reply decoded."""

    def __init__(self, board):
        self.board, self.seq = board, 0

    def __call__(self, cmd, body=b""):
        self.seq = (self.seq + 1) & 0xFF
        self.board.write(P.encode_frame(self.seq, cmd, body))
        frames = P.FrameDecoder().feed(self.board.read())
        assert len(frames) == 1 and isinstance(frames[0], P.Frame), frames
        return frames[0]

    def ok(self, cmd, body=b""):
        f = self(cmd, body)
        assert f.type == cmd | P.REPLY_FLAG, P.ErrorBody.unpack(f.body).describe()
        return f.body

    def error(self, cmd, body=b""):
        f = self(cmd, body)
        assert f.type == P.TYPE_ERROR, f
        return P.ErrorBody.unpack(f.body)

    def config(self, inputs, widths, classes, tag):
        self.ok(P.Cmd.CONFIG, P.Config(inputs, tuple(widths), classes, tag).pack())

    def load(self, layer, a, b, op, first=0):
        self.ok(P.Cmd.LOAD, P.encode_load(layer, first, a, b, op))

    def status(self):
        return P.Status.unpack(self.ok(P.Cmd.STATUS))


@pytest.fixture(scope="module", params=["reference", pytest.param("virtual", marks=pytest.mark.needs("verilator"))])
def raw(request):
    if request.param == "reference":
        yield Raw(P.ReferenceBoard())
        return
    from boards.sim import VirtualBoard
    with VirtualBoard() as vb:
        yield Raw(vb)


def test_reset_clears_config_and_counters_and_is_not_counted(raw):
    raw.config(8, [8, 2], 2, 0x1234)
    raw.ok(P.Cmd.INFO)
    raw.ok(P.Cmd.RESET)
    st = raw.status()
    assert st.tag == 0 and st.frames_ok == 1, st            # the STATUS itself only
    assert (st.crc_errors, st.cobs_errors, st.other_errors, st.runs, st.samples) == (0,) * 5
    assert raw.error(P.Cmd.RUN, P.encode_run(0, 0, np.zeros((1, 1), np.uint8))).code \
        == P.Err.NOT_CONFIGURED
    assert raw.error(P.Cmd.LOAD, P.encode_load(0, 0, [0], [0], [1])).code == P.Err.NOT_CONFIGURED


def test_config_may_repeat_the_current_tag(raw):
    raw.config(8, [4, 2], 2, 0x77)
    raw.config(8, [4, 2], 2, 0x77)
    assert P.Info.unpack(raw.ok(P.Cmd.INFO)).config_tag == 0x77


def test_load_of_zero_gates_is_valid(raw):
    raw.config(8, [4, 2], 2, 0x78)
    raw.load(0, [], [], [], first=0)
    raw.load(0, [], [], [], first=4)                        # first = width: still in range
    assert raw.error(P.Cmd.LOAD, P.encode_load(0, 5, [], [], [])).code == P.Err.BAD_ARG


def test_layer_bits_padding_is_zero_after_a_wider_network(raw):
    # A 16-wide layer of TRUE gates is run, then a 3-wide network in the same slots: the 5
    # padding bits of its reply byte must read 0, not what the wider network left behind.
    ones = np.full((2, 1), 0xFF, np.uint8)
    raw.config(8, [16, 2], 2, 0x79)
    raw.load(0, np.zeros(16, int), np.zeros(16, int), np.full(16, 15))
    raw.load(1, [0, 1], [0, 1], [3, 3])
    assert raw.ok(P.Cmd.RUN, P.encode_run(1, 0, ones))[P.RUN_REPLY_FIXED_BYTES:] == b"\xff" * 4
    raw.config(8, [3, 2], 2, 0x7A)
    raw.load(0, [0, 1, 2], [0, 1, 2], [3, 0, 3])             # x0, FALSE, x2
    raw.load(1, [0, 1], [0, 1], [3, 3])
    body = raw.ok(P.Cmd.RUN, P.encode_run(1, 0, ones))
    assert body[P.RUN_REPLY_FIXED_BYTES:] == bytes([0b101, 0b101])
