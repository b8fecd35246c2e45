# SPDX-License-Identifier: MIT
"""hil.session against the protocol's reference board model (rtl.protocol.ReferenceBoard),
in-process and served over TCP and a pseudo-terminal by boards.server (`lgn board serve`). The
same session against the virtual board (the real RTL) is in tests/test_infer.py."""
import threading
import time

import numpy as np
import pytest

import hil
from boards.server import serve_pty, serve_tcp
from hil.session import BoardError, CapacityError, LinkError, Session
from hil.transport import ObjectTransport, Transport
from host.netlist import random_netlist
from host.softmodel import SoftModel
from rtl import protocol as P


@pytest.fixture
def net(rng):
    return random_netlist(rng, 100, [300, 200, 100], 10)


@pytest.fixture
def bits(rng):
    return rng.integers(0, 2, (1500, 100)).astype(np.uint8)


def _served(kind: str, board):
    """Start `lgn board serve`'s loop on a thread for `board`; return the URL."""
    box, ready = [], threading.Event()

    def cb(addr):
        box.append(addr)
        ready.set()

    fn = serve_tcp if kind == "tcp" else serve_pty
    args = (board, "127.0.0.1", 0) if kind == "tcp" else (board,)
    threading.Thread(target=fn, args=args, kwargs={"once": True, "ready": cb}, daemon=True).start()
    assert ready.wait(5)
    return box[0]


@pytest.fixture(params=["object", "tcp", "pty"])
def session(request):
    board = P.ReferenceBoard()
    if request.param == "object":
        s = Session(ObjectTransport(board, "reference"))
    else:
        s = hil.connect(_served(request.param, board) + "?timeout=2")
    s.board = board
    yield s
    s.close()


def test_run_matches_software_model(session, net, bits):
    session.load(net)
    out = session.run(bits)
    ref = SoftModel(net).scores(bits)
    assert (out.scores == ref).all()
    assert (out.pred == np.argmax(ref, axis=1)).all()
    assert session.stats.retries == 0
    assert sum(out.samples_per_frame) == len(bits) and len(out.cycles) == len(out.samples_per_frame)
    lb = session.run(bits[:200], mode=P.RunMode.LAYER_BITS, layer=1)
    assert (lb.bits == SoftModel(net).layer_bits(bits[:200], 1)).all()
    st = session.status()
    assert st.tag == session.tag != 0 and st.samples == len(bits) + 200


def test_empty_and_single_runs(session, net, bits):
    session.load(net)
    assert session.run(bits[:0]).scores.shape == (0, 10)
    assert (session.run(bits[:1]).scores == SoftModel(net).scores(bits[:1])).all()


class Spy(Transport):
    """Records every write and read of the transport it wraps."""

    def __init__(self, inner):
        self.inner, self.url, self.log = inner, "spy", []

    def _write(self, data):
        self.log.append(("w", data))
        self.inner.write(data)

    def _read(self, n, timeout):
        d = self.inner.read(n, timeout)
        if d:
            self.log.append(("r", d))
        return d

    def _close(self):
        self.inner.close()


def test_capacity_refused_before_any_byte(net):
    spy = Spy(ObjectTransport(P.ReferenceBoard(max_gates=500, max_width=250, gates_per_cycle=64), "small"))
    s = Session(spy)
    before = list(spy.log)
    with pytest.raises(CapacityError) as e:
        s.load(net)
    msg = str(e.value)
    assert "gate slots (each layer rounded up to a multiple of 64) 704 > 500" in msg
    assert "layer width 300 > 250" in msg and "600 gates" in msg
    assert spy.log == before                      # nothing at all was sent for the netlist


def test_pipelining_keeps_frames_in_flight(net, bits):
    spy = Spy(ObjectTransport(P.ReferenceBoard(max_body=1024), "ref"))
    s = Session(spy, window=4)
    s.load(net)
    spy.log.clear()
    s.run(bits)
    inflight, most = 0, 0
    for kind, data in spy.log:
        if kind == "w":
            inflight += data.count(b"\x00") // 2      # each frame: leading 0x00 + delimiter
        else:
            inflight -= data.count(b"\x00")
        most = max(most, inflight)
    assert most == 4, most


class PowerCycleAfter(Transport):
    """Power-cycles the reference board after `n` RUN frames have been written."""

    def __init__(self, board, n):
        self.board, self.n, self.url, self.done = board, n, "flaky-power", False
        self.inner = ObjectTransport(board)

    def _write(self, data):
        self.inner.write(data)
        if not self.done and self.board.counters["runs"] >= self.n:
            self.board.power_cycle()
            self.done = True

    def _read(self, n, timeout):
        return self.inner.read(n, timeout)


def test_board_reset_mid_run_is_detected_and_reloaded(net, bits):
    board = P.ReferenceBoard(max_body=512)
    s = Session(PowerCycleAfter(board, 5))
    s.load(net)
    out = s.run(bits)
    assert (out.scores == SoftModel(net).scores(bits)).all()
    assert s.stats.reloads == 1
    assert board.config is not None and board.config.tag == s.tag


def test_reset_between_runs_and_status_tag(net, bits):
    board = P.ReferenceBoard()
    s = Session(ObjectTransport(board))
    s.load(net)
    old = s.tag
    board.power_cycle()
    assert s.status().tag == 0
    out = s.run(bits[:300])
    assert (out.scores == SoftModel(net).scores(bits[:300])).all()
    assert s.tag not in (0, old) and s.stats.reloads == 1


def test_board_rejection_is_a_board_error(net):
    s = Session(ObjectTransport(P.ReferenceBoard()))
    with pytest.raises(BoardError, match="BAD_ARG"):
        s._single(P.Cmd.CONFIG, P.Config(4, (4,), 2, 0).pack(), lambda f: None)   # tag 0
    with pytest.raises(ValueError, match="load a netlist"):
        s.run(np.zeros((1, 100), np.uint8))


class Silent(Transport):
    url = "silent"

    def _write(self, data):
        pass

    def _read(self, n, timeout):
        time.sleep(timeout)
        return b""


def test_dead_board_gives_a_clear_error_within_the_timeout_budget():
    t0 = time.monotonic()
    with pytest.raises(LinkError, match="no valid reply to INFO .* after 4 attempts"):
        Session(Silent(), timeout=0.1, connect_retries=3)
    assert time.monotonic() - t0 < 2.0


def test_protocol_version_mismatch_is_refused():
    board = P.ReferenceBoard()
    board.info = P.Info(**{**board.info.as_dict(), "protocol_version": 2})
    with pytest.raises(LinkError, match="protocol version 2"):
        Session(ObjectTransport(board))


def test_connect_url_options(net):
    board = P.ReferenceBoard()
    url = _served("tcp", board)
    with hil.connect(url + "?timeout=0.5&window=2&retries=3") as s:
        assert (s.timeout, s.window, s.retries) == (0.5, 2, 3)
        assert s.capacity.max_gates == board.info.max_gates
    with pytest.raises(ValueError, match="window"):
        hil.connect(url + "?window=many")
