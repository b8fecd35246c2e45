# SPDX-License-Identifier: MIT
"""A damaged link (hil.faults: bytes corrupted, dropped, duplicated at 1e-3 each per byte
and direction, garbage bursts inserted at 1e-3 per byte): every run still returns exactly
the software model's results, or a clear error after bounded retries; nothing hangs.
Against the reference board model and against the virtual board (the real RTL)."""
import time

import numpy as np
import pytest

from hil.faults import FaultyTransport, LinkFaults
from hil.session import LinkError, Session
from hil.transport import ObjectTransport, Transport
from host.netlist import random_netlist
from host.softmodel import SoftModel
from rtl import protocol as P

RATES = dict(corrupt=1e-3, drop=1e-3, dup=1e-3, garbage=1e-3)


def test_fault_model_counts_and_is_deterministic():
    data = bytes(range(256)) * 400
    outs = []
    for _ in range(2):
        f = LinkFaults(**RATES)
        outs.append((f.apply(data, np.random.default_rng(5)), dict(f.counts)))
    assert outs[0] == outs[1]
    out, counts = outs[0]
    assert out != data
    for kind in RATES:
        assert 50 < counts[kind] < 170, counts        # ~102 expected of each
    assert LinkFaults(0, 0, 0, 0).apply(data, np.random.default_rng(1)) == data


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reference_board_exact_under_faults(seed, rng):
    net = random_netlist(rng, 200, [400, 300, 200], 10)
    bits = rng.integers(0, 2, (800, 200)).astype(np.uint8)
    ft = FaultyTransport(ObjectTransport(P.ReferenceBoard(max_body=8192)), seed=seed, **RATES)
    s = Session(ft, timeout=0.5)
    s.load(net)
    out = s.run(bits)
    assert (out.scores == SoftModel(net).scores(bits)).all()
    lb = s.run(bits[:300], mode=P.RunMode.LAYER_BITS, layer=0)
    assert (lb.bits == SoftModel(net).layer_bits(bits[:300], 0)).all()
    c = ft.counts()
    assert all(c["to_board"][k] > 0 for k in RATES), c      # the faults really happened
    assert s.stats.retries > 0


@pytest.mark.needs("verilator")
@pytest.mark.parametrize("seed", [11, 12])
def test_virtual_board_exact_under_faults(seed, rng):
    from boards.sim import VirtualBoard
    from hil.transport import ObjectTransport as OT
    net = random_netlist(rng, 512, [2000, 2000, 2000, 2000], 10)
    bits = rng.integers(0, 2, (1200, 512)).astype(np.uint8)
    ft = FaultyTransport(OT(VirtualBoard(), "sim"), seed=seed, **RATES)
    s = Session(ft, timeout=0.5)
    t0 = time.monotonic()
    s.load(net)
    out = s.run(bits)
    assert (out.scores == SoftModel(net).scores(bits)).all()
    assert (out.pred == np.argmax(out.scores, axis=1)).all()
    c = ft.counts()
    assert sum(c["to_board"].values()) > 100 and sum(c["from_board"].values()) > 10, c
    assert s.stats.retries > 0 and time.monotonic() - t0 < 60
    st = s.status()                       # the board is still alive and configured
    assert st.tag == s.tag and st.crc_errors + st.cobs_errors > 0


def test_dead_link_fails_clearly_and_in_bounded_time(rng):
    net = random_netlist(rng, 50, [40, 20], 2)
    board = P.ReferenceBoard()
    ft = FaultyTransport(ObjectTransport(board), seed=0, corrupt=0, drop=0, dup=0, garbage=0)
    s = Session(ft, timeout=0.2, retries=4)
    s.load(net)
    ft.to_board.drop = 1.0                # the cable is cut
    t0 = time.monotonic()
    with pytest.raises(LinkError, match=r"no valid reply to RUN .* after 5 attempts"):
        s.run(rng.integers(0, 2, (10, 50)).astype(np.uint8))
    assert time.monotonic() - t0 < 5


class Stalls(Transport):
    """A real-time (not synchronous) link whose board stops answering after `n` reads."""
    synchronous = False

    def __init__(self, board, n):
        self.inner, self.n, self.url = ObjectTransport(board), n, "stalls"

    def _write(self, data):
        self.inner.write(data)

    def _read(self, max_bytes, timeout):
        if self.n <= 0:
            time.sleep(timeout)
            return b""
        self.n -= 1
        return self.inner.read(max_bytes, timeout)


def test_stalled_board_times_out_after_bounded_retries(rng):
    net = random_netlist(rng, 50, [40, 20], 2)
    s = Session(Stalls(P.ReferenceBoard(), 4), timeout=0.15, retries=3)
    s.load(net)
    t0 = time.monotonic()
    with pytest.raises(LinkError, match="no reply within 0.15 s"):
        s.run(rng.integers(0, 2, (10, 50)).astype(np.uint8))
    dt = time.monotonic() - t0
    assert 0.4 < dt < 5.0, dt             # 3 resends after 4 silences of 0.15 s
    assert s.stats.timeouts == 4


def test_faults_over_a_real_socket_recover_by_timeouts(rng):
    """Over TCP nothing is synchronous: lost last frames are found by the silence timeout."""
    import threading
    from boards.server import serve_tcp
    from hil.transport import open_transport
    box, ready = [], threading.Event()
    board = P.ReferenceBoard(max_body=2048)
    threading.Thread(target=serve_tcp, args=(board, "127.0.0.1", 0),
                     kwargs={"once": True, "ready": lambda a: (box.append(a), ready.set())},
                     daemon=True).start()
    assert ready.wait(5)
    net = random_netlist(rng, 64, [128, 60], 6)
    bits = rng.integers(0, 2, (400, 64)).astype(np.uint8)
    ft = FaultyTransport(open_transport(box[0]), seed=4, **RATES)
    assert not ft.synchronous
    s = Session(ft, timeout=0.2)
    t0 = time.monotonic()
    s.load(net)
    out = s.run(bits)
    assert (out.scores == SoftModel(net).scores(bits)).all()
    assert s.stats.retries > 0 and time.monotonic() - t0 < 60
    s.close()
