# SPDX-License-Identifier: MIT
"""The virtual board (boards.sim.VirtualBoard): the real lgn_core RTL compiled with Verilator
behind a C++ harness, spoken to with the link protocol's own codec (rtl.protocol).

Digits- and mnist5k-sized netlists (and the trained ones when tests/data has them) must give
exactly the software model's scores, predictions and layer bits; the default build's capacity
edges are reachable; frames pipelined in one write come back in order; the UART-in-the-loop
build moves bytes at the simulated baud; faults make a board imperfect deterministically."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from host.netlist import Netlist, random_netlist
from host.softmodel import SoftModel
from rtl import protocol as P

pytestmark = [pytest.mark.needs("verilator"),
              pytest.mark.slow(seconds=65)]   # (the whole file's time on a fresh clone, for scheduling)
DATA = Path(__file__).resolve().parent / "data"


class Host:
    """A minimal synchronous client: enough to drive the board from tests."""

    def __init__(self, vb):
        self.vb = vb
        self.dec = P.FrameDecoder()
        self.info = P.Info.unpack(self.ok(P.Cmd.INFO))

    def xfer(self, frames: list[tuple[int, bytes]]) -> list[P.Frame]:
        self.vb.write(b"".join(b"\x00" + P.encode_frame(i & 255, t, b) for i, (t, b) in enumerate(frames)))
        got = self.dec.feed(self.vb.read())
        assert len(got) == len(frames), got
        for i, g in enumerate(got):
            assert isinstance(g, P.Frame) and g.seq == i & 255, g
        return got

    def ok(self, t: int, body: bytes = b"") -> bytes:
        (r,) = self.xfer([(t, body)])
        assert r.type == t | P.REPLY_FLAG, P.ErrorBody.unpack(r.body).describe()
        return r.body

    def error(self, t: int, body: bytes = b"") -> P.ErrorBody:
        (r,) = self.xfer([(t, body)])
        assert r.type == P.TYPE_ERROR, r
        return P.ErrorBody.unpack(r.body)

    def load(self, net: Netlist, tag: int) -> None:
        self.ok(P.Cmd.CONFIG, P.Config(net.inputs, tuple(net.widths), net.classes, tag).pack())
        per = P.max_load_count(self.info.max_body)
        frames = [(P.Cmd.LOAD, P.encode_load(k, s, l.a[s:s + per], l.b[s:s + per], l.op[s:s + per]))
                  for k, l in enumerate(net.layers) for s in range(0, l.width, per)]
        for r in self.xfer(frames):
            assert r.type == P.Cmd.LOAD | P.REPLY_FLAG, P.ErrorBody.unpack(r.body).describe()

    def run(self, net: Netlist, bits: np.ndarray, mode: int = 0, layer: int = 0):
        width = net.widths[layer] if mode else 0
        per = P.max_run_count(self.info.max_body, net.inputs, mode, net.classes, width)
        packed = P.pack_samples(bits)
        starts = list(range(0, len(bits), per))
        replies = self.xfer([(P.Cmd.RUN, P.encode_run(mode, layer, packed[s:s + per])) for s in starts])
        outs = []
        for s, r in zip(starts, replies):
            assert r.type == P.Cmd.RUN | P.REPLY_FLAG, P.ErrorBody.unpack(r.body).describe()
            outs.append(P.decode_run_reply(r.body, mode, len(packed[s:s + per]), net.classes, width))
        return outs


@pytest.fixture(scope="module")
def board():
    from boards.sim import VirtualBoard
    vb = VirtualBoard()
    yield vb
    vb.close()


@pytest.fixture
def host(board):
    h = Host(board)
    h.ok(P.Cmd.RESET)
    return h


def check_exact(host: Host, net: Netlist, bits: np.ndarray, tag: int, layers=()):
    host.load(net, tag)
    outs = host.run(net, bits)
    ref = SoftModel(net).scores(bits)
    got = np.concatenate([o.scores for o in outs])
    bad = np.flatnonzero((got != ref).any(1))
    assert bad.size == 0, f"{net}: {bad.size} samples differ, first {bad[:5]}"
    assert (np.concatenate([o.pred for o in outs]) == ref.argmax(1)).all()
    assert all(o.tag == tag for o in outs)
    for k in layers:
        outs = host.run(net, bits, mode=1, layer=k)
        assert (np.concatenate([o.bits for o in outs]) == SoftModel(net).layer_bits(bits, k)).all(), k
    return outs


def test_info_reports_the_build(host):
    from boards.sim import ENGINE
    assert ENGINE.mismatches(host.info) == []
    assert host.info.protocol_version == 1


def test_digits_and_mnist_sized_nets_exact(host):
    rng = np.random.default_rng(5)
    net = random_netlist(rng, 512, [2000] * 4, 10)
    check_exact(host, net, rng.integers(0, 2, (1500, 512), dtype=np.uint8), 0xD161, layers=(0, 3))
    net = random_netlist(rng, 2352, [8000] * 4, 10)
    check_exact(host, net, rng.integers(0, 2, (300, 2352), dtype=np.uint8), 0x3A115, layers=(1,))


@pytest.mark.parametrize("name", ["digits", "mnist5k"])
def test_trained_netlists_exact(host, name):
    path = DATA / f"{name}.netlist.json"
    if not path.exists():
        pytest.skip(f"{path} is not in the repository yet")
    net = Netlist.load(path)
    rng = np.random.default_rng(6)
    # inputs drawn with the trained encoder's typical density are not needed for bit-exactness;
    # dense, sparse and uniform random bits all exercise every gate
    bits = np.concatenate([rng.random((400, net.inputs)) < p for p in (0.1, 0.5, 0.9)]).astype(np.uint8)
    check_exact(host, net, bits, 0x7A1, layers=(len(net.layers) - 1,))


def test_default_capacity_edge(host):
    """Every limit of the default build at once: 4,096 inputs, 8 layers, width 8,192,
    exactly max_gates (49,152) gates, 16 classes; one gate or one width more is refused."""
    i = host.info
    assert i.max_layers == 8 and i.max_gates == 4 * i.max_width + 4 * i.max_width // 2, i
    widths = [i.max_width] * 4 + [i.max_width // 2] * 4
    rng = np.random.default_rng(7)
    net = random_netlist(rng, i.max_inputs, widths, i.max_classes)
    check_exact(host, net, rng.integers(0, 2, (130, i.max_inputs), dtype=np.uint8), 0xCAFE)
    over = widths[:-1] + [widths[-1] + i.gates_per_cycle]
    e = host.error(P.Cmd.CONFIG, P.Config(8, tuple(over), 1, 3).pack())
    assert e == (P.Err.OVER_CAPACITY, P.Cmd.CONFIG, i.max_gates), e
    e = host.error(P.Cmd.CONFIG, P.Config(8, (i.max_width + 1,), 1, 3).pack())
    assert e == (P.Err.OVER_CAPACITY, P.Cmd.CONFIG, i.max_width), e
    host.ok(P.Cmd.RESET)
    assert P.Info.unpack(host.ok(P.Cmd.INFO)).config_tag == 0
    assert host.error(P.Cmd.RUN, P.encode_run(0, 0, np.zeros((1, 1), np.uint8))).code == P.Err.NOT_CONFIGURED


def test_cycles_and_overlap(host):
    """The RTL's cycle count per batch, and that a burst of RUN frames overlaps receiving
    with computing (two frame buffers): the burst costs fewer clocks than frames one by one."""
    rng = np.random.default_rng(8)
    net = random_netlist(rng, 512, [2000] * 4, 10)
    host.load(net, 9)
    bits = rng.integers(0, 2, (511 * 4, 512), dtype=np.uint8)
    c0 = host.vb.cycles
    outs = host.run(net, bits)                        # 4 frames in one write
    burst = host.vb.cycles - c0
    # per chunk of 64: 65 (transpose) + 4 x (125 + 3) (layers) + 64 (results) + 2
    per_chunk = 65 + 4 * 128 + 64 + 2
    assert outs[0].cycles == 7 * per_chunk + (65 + 4 * 128 + 63 + 2), outs[0].cycles
    c0 = host.vb.cycles
    for s in range(0, len(bits), 511):
        host.run(net, bits[s:s + 511])
    serial = host.vb.cycles - c0
    assert burst < 0.8 * serial, (burst, serial)


def test_read_limits_and_close():
    from boards.sim import VirtualBoard
    vb = VirtualBoard()
    vb.write(b"\x00" + P.encode_frame(1, P.Cmd.INFO))
    n = vb.in_waiting
    first = vb.read(5)
    rest = vb.read()
    assert len(first) == 5 and len(first) + len(rest) == n
    assert P.decode_frame((first + rest)[:-1]).type == 0x81
    assert vb.read() == b""
    vb.close()
    with pytest.raises(ValueError):
        vb.write(b"\x00")


def test_faults_are_deterministic_and_visible():
    from boards.sim import VirtualBoard, parse_faults
    rng = np.random.default_rng(9)
    net = random_netlist(rng, 64, [256, 256, 100], 10)
    bits = rng.integers(0, 2, (300, 64), dtype=np.uint8)
    ref = SoftModel(net).scores(bits)

    def scores(**kw):
        vb = VirtualBoard(**kw)
        h = Host(vb)
        h.load(net, 4)
        s = np.concatenate([o.scores for o in h.run(net, bits)])
        vb.close()
        return s

    a = scores(faults="stuck=0.05", fault_seed=3)
    assert (a != ref).any(), "5% stuck gate slots changed nothing"
    assert (scores(faults="stuck=0.05", fault_seed=3) == a).all(), "same seed, different board"
    b = scores(faults="flip=0.002", fault_seed=3)
    assert (b != ref).any() and (b == scores(faults="flip=0.002", fault_seed=3)).all()
    assert (scores() == ref).all()
    with pytest.raises(ValueError, match="stuck"):
        parse_faults("stuk=0.1")


def test_uart_in_the_loop():
    """A small build with the RTL UART at 3 Mbaud from 50 MHz: same results, and a frame
    takes the simulated time its bytes need on the wire."""
    from boards.sim import VirtualBoard
    from rtl.engine import Engine
    small = Engine(lanes=8, gates_per_cycle=4, max_inputs=64, max_width=64, max_layers=4,
                   max_gates=256, max_classes=8, max_body=512)
    vb = VirtualBoard(small, baud=3_000_000)
    h = Host(vb)
    assert h.info.max_body == 512 and h.info.lanes == 8
    rng = np.random.default_rng(10)
    net = random_netlist(rng, 40, [64, 64, 32], 8)
    check_exact(h, net, rng.integers(0, 2, (50, 40), dtype=np.uint8), 77)
    frame = b"\x00" + P.encode_frame(1, P.Cmd.INFO)
    reply = len(P.encode_frame(1, 0x81, bytes(27)))
    c0 = vb.cycles
    vb.write(frame)
    assert P.decode_frame(vb.read()[:-1]).type == 0x81
    clocks_per_byte = 10 * 50e6 / 3e6
    wire = (len(frame) + reply) * clocks_per_byte
    assert wire <= vb.cycles - c0 <= wire + 400, (vb.cycles - c0, wire)
    vb.close()
