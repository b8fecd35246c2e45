# SPDX-License-Identifier: MIT
"""Bit-exactness on the host: the discrete torch model, the software model (C and numpy
backends) and the pruned netlist give identical scores, on random and trained netlists."""
from pathlib import Path

import numpy as np
import pytest
import torch

from host.model import from_netlist, load_checkpoint
from host.netlist import Netlist, random_netlist
from host.prune import prune
from host.softmodel import SoftModel


def torch_scores(net, bits):
    model = from_netlist(net).eval()
    with torch.no_grad():
        return torch.round(model(torch.from_numpy(bits).float()) * net.tau).numpy().astype(np.int32)


def check_all_paths(net, bits):
    ref = SoftModel(net, backend="numpy").scores(bits)
    assert (SoftModel(net).scores(bits) == ref).all()
    assert (torch_scores(net, bits) == ref).all()
    pruned, _ = prune(net)
    assert (SoftModel(pruned).scores(bits) == ref).all()


def random_shapes(rng):
    for i in range(30):
        classes = int(rng.integers(1, 7))
        if i % 3 == 0:    # deep and narrow
            widths = [int(rng.integers(1, 6)) for _ in range(int(rng.integers(6, 16)))]
        elif i % 3 == 1:  # shallow and wide
            widths = [int(rng.integers(50, 400)) for _ in range(int(rng.integers(1, 3)))]
        else:
            widths = [int(rng.integers(5, 60)) for _ in range(int(rng.integers(2, 6)))]
        widths[-1] = classes * int(rng.integers(1, 12))
        yield int(rng.integers(1, 80)), widths, classes


def test_random_netlists_all_paths(rng):
    for inputs, widths, classes in random_shapes(rng):
        net = random_netlist(rng, inputs, widths, classes, tau=float(rng.uniform(0.5, 30)))
        bits = rng.integers(0, 2, (int(rng.integers(1, 700)), inputs), dtype=np.uint8)
        check_all_paths(net, bits)


def test_trained_netlist_all_paths(trained_digits):
    net = Netlist.load(trained_digits / "netlist.json")
    model, _ = load_checkpoint(trained_digits / "model.pt")
    from host import datasets
    from host.encoding import encode
    bits = encode(net.encoding, datasets.load("digits").x_test)
    check_all_paths(net, bits)
    # the checkpoint itself, not only a model rebuilt from the netlist
    with torch.no_grad():
        s = torch.round(model.eval()(torch.from_numpy(bits).float()) * net.tau).numpy()
    assert (s == SoftModel(net).scores(bits)).all()


@pytest.mark.parametrize("name", ["digits.netlist.json", "mnist5k.netlist.json",
                                  "mnist5k-2000.netlist.json"])
def test_shipped_trained_netlists(name, rng):
    path = Path(__file__).parent / "data" / name
    if not path.exists():
        pytest.skip(f"{name} not committed yet")
    net = Netlist.load(path)
    bits = rng.integers(0, 2, (1500, net.inputs), dtype=np.uint8)
    check_all_paths(net, bits)
