# SPDX-License-Identifier: MIT
"""Pruning keeps every score identical and actually removes what it should."""
import numpy as np
import pytest

from host.netlist import Layer, Netlist, random_netlist
from host.prune import fold, prune, sweep
from host.softmodel import SoftModel


def same_scores(a, b, rng, n=300):
    bits = rng.integers(0, 2, (n, a.inputs), dtype=np.uint8)
    return (SoftModel(a).scores(bits) == SoftModel(b).scores(bits)).all()


def biased_netlist(rng, inputs, widths, classes):
    """Random netlist rich in constants, wires and duplicates (what pruning feeds on)."""
    net = random_netlist(rng, inputs, widths, classes)
    for l in net.layers:
        r = rng.random(l.width)
        l.op[r < 0.3] = rng.choice([0, 3, 5, 10, 12, 15], int((r < 0.3).sum()))
        l.b[r > 0.85] = l.a[r > 0.85]
    return net


@pytest.mark.parametrize("seed", range(40))
def test_prune_keeps_scores(seed):
    rng = np.random.default_rng(seed)
    depth = int(rng.integers(1, 7))
    classes = int(rng.integers(1, 5))
    widths = [int(rng.integers(1, 30)) for _ in range(depth - 1)] + [classes * int(rng.integers(1, 6))]
    net = (biased_netlist if seed % 2 else random_netlist)(rng, int(rng.integers(1, 20)), widths, classes)
    pruned, report = prune(net)
    pruned.validate()
    assert same_scores(net, pruned, rng)
    assert report["gates_after"] == pruned.gates <= net.gates == report["gates_before"]
    assert pruned.widths[-1] == net.widths[-1]


def test_sweep_removes_unused():
    # layer 0: 3 gates, layer 1 reads only gate 2 (and gate 0 through an ignored input)
    net = Netlist(inputs=2, classes=1, layers=[
        Layer(np.array([0, 1, 0], np.int32), np.array([1, 0, 1], np.int32), np.array([1, 6, 7], np.uint8)),
        Layer(np.array([2, 2], np.int32), np.array([0, 2], np.int32), np.array([3, 12], np.uint8)),
    ])
    out, removed = sweep(net)
    assert removed == 2 and out.widths == [1, 2]
    assert list(out.layers[1].a) == [0, 0] and list(out.layers[1].b) == [0, 0]


def test_fold_constants_and_tied_inputs():
    net = Netlist(inputs=2, classes=1, layers=[
        Layer(np.array([0, 0, 1], np.int32), np.array([0, 1, 1], np.int32), np.array([15, 1, 6], np.uint8)),
        # AND(TRUE, x) -> A(x);  XOR(x, x) was folded to FALSE in layer 0
        Layer(np.array([0, 2], np.int32), np.array([1, 1], np.int32), np.array([1, 7], np.uint8)),
    ])
    out, changed = fold(net)
    assert list(out.layers[0].op) == [15, 1, 0]
    assert list(out.layers[1].op) == [3, 3] and list(out.layers[1].a) == [1, 1]
    assert changed >= 3


def test_merge_duplicates(rng):
    net = Netlist(inputs=3, classes=1, layers=[
        Layer(np.array([0, 0, 1], np.int32), np.array([1, 1, 2], np.int32), np.array([6, 6, 6], np.uint8)),
        Layer(np.array([1, 0], np.int32), np.array([2, 2], np.int32), np.array([1, 7], np.uint8)),
    ])
    pruned, report = prune(net)
    assert pruned.widths == [2, 2] and same_scores(net, pruned, rng)


def test_random_large_no_change_in_scores(rng):
    net = biased_netlist(rng, 64, [200, 200, 100, 40], 4)
    pruned, report = prune(net)
    assert report["gates_after"] < report["gates_before"]
    assert same_scores(net, pruned, rng, n=2000)
