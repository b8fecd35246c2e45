# SPDX-License-Identifier: MIT
"""The packed software model against a plain per-sample evaluation, on random netlists."""
import numpy as np
import pytest

from host.netlist import Layer, Netlist, random_netlist
from host.softmodel import SoftModel, pack_bits, predict_from_scores, reference_scores, unpack_bits


@pytest.mark.parametrize("n", [1, 63, 64, 65, 200, 4097])
def test_pack_round_trip(rng, n):
    bits = rng.integers(0, 2, (n, 37), dtype=np.uint8)
    w = pack_bits(bits)
    assert w.shape == (37, -(-n // 64)) and w.dtype == np.uint64
    assert (unpack_bits(w, n) == bits).all()
    assert int(w[5, 0]) & 1 == bits[0, 5]


def shapes(rng, count):
    for _ in range(count):
        depth = int(rng.integers(1, 7))
        classes = int(rng.integers(1, 6))
        widths = [int(rng.integers(1, 40)) for _ in range(depth - 1)]
        widths.append(classes * int(rng.integers(1, 9)))
        yield int(rng.integers(1, 50)), widths, classes


def test_random_netlists_match_reference(rng):
    for inputs, widths, classes in shapes(rng, 60):
        net = random_netlist(rng, inputs, widths, classes)
        bits = rng.integers(0, 2, (int(rng.integers(1, 150)), inputs), dtype=np.uint8)
        got = SoftModel(net).scores(bits)
        assert got.dtype == np.int32
        assert (got == reference_scores(net, bits)).all(), net


def test_large_group_popcount(rng):
    # groups wider than one carry-save pass, across the chunk boundary
    net = random_netlist(rng, 16, [600], 2)
    bits = rng.integers(0, 2, (5000, 16), dtype=np.uint8)
    ref = SoftModel(net).layer_bits(bits, 0).reshape(5000, 2, 300).sum(-1)
    assert (SoftModel(net).scores(bits) == ref).all()


def test_ties_go_to_lowest_class():
    assert list(predict_from_scores(np.array([[3, 3, 1], [0, 2, 2], [1, 1, 1]]))) == [0, 1, 0]
    # a net whose two groups always tie
    net = Netlist(inputs=1, classes=2, layers=[Layer(np.array([0, 0], np.int32),
                                                     np.array([0, 0], np.int32),
                                                     np.array([3, 3], np.uint8))])
    assert list(SoftModel(net).predict(np.array([[0], [1]], np.uint8))) == [0, 0]


def test_bad_bits_rejected(rng):
    net = random_netlist(rng, 4, [4], 2)
    with pytest.raises(ValueError, match=r"shape \[n, 4\]"):
        SoftModel(net).scores(np.zeros((3, 5), np.uint8))
    with pytest.raises(ValueError, match="only 0 and 1"):
        SoftModel(net).scores(np.full((3, 4), 2, np.uint8))


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_backends_and_threads_agree(rng, threads):
    net = random_netlist(rng, 70, [90, 50, 30], 5)
    bits = rng.integers(0, 2, (5000, 70), dtype=np.uint8)  # several chunks, a ragged last one
    ref = SoftModel(net, backend="numpy").scores(bits)
    assert (SoftModel(net, backend="numpy").scores(bits[:200]) == reference_scores(net, bits[:200])).all()
    assert (SoftModel(net).scores(bits, threads=threads) == ref).all()
