# SPDX-License-Identifier: MIT
"""Netlist format: round trip, validation messages, golden text dump."""
import json

import numpy as np
import pytest

from host.netlist import Layer, Netlist, NetlistError, random_netlist


def small():
    return Netlist(inputs=3, classes=2, tau=2.0, layers=[
        Layer(np.array([0, 1, 2, 0], np.int32), np.array([1, 2, 0, 0], np.int32),
              np.array([1, 6, 7, 12], np.uint8))])


def test_golden_dump():
    assert small().dump() == "\n".join([
        "(netlist inputs=3 classes=2 tau=2)",
        "(layer 0 width=4",
        "  (0 AND 0 1)", "  (1 XOR 1 2)", "  (2 OR 2 0)", "  (3 NOT_A 0 0)",
        ")"])


def test_round_trip(tmp_path, rng):
    net = random_netlist(rng, 20, [30, 12], 4, tau=3.5)
    net.extra["note"] = "kept"
    p = tmp_path / "n.json"
    net.save(p)
    back = Netlist.load(p)
    assert back.to_dict() == net.to_dict()
    assert json.loads(p.read_text())["format"] == "lgn-netlist"


BAD = [
    (lambda d: d.update(version=2), "unsupported netlist version 2"),
    (lambda d: d.pop("layers"), "missing key 'layers'"),
    (lambda d: d["layers"][0]["a"].__setitem__(1, 3), "layer 0 gate 1: input a=3 is out of range 0..2"),
    (lambda d: d["layers"][0]["b"].__setitem__(0, -1), "layer 0 gate 0: input b=-1 is out of range"),
    (lambda d: d["layers"][0]["op"].__setitem__(2, 16), "layer 0 gate 2: op 16 is outside 0..15"),
    (lambda d: d.update(classes=3), "last layer width 4 does not split into 3 equal class groups"),
    (lambda d: d["layers"][0].update(op=[1, 2, 3]), "'a', 'b' and 'op' must have the same length"),
    (lambda d: d["layers"][0].update(a="0,1"), "layer 0: 'a' must be a list of integers"),
    (lambda d: d.update(inputs="3"), "'inputs' must be an integer"),
    (lambda d: d.update(format="other"), "'format' must be 'lgn-netlist'"),
    (lambda d: d.update(layers=[]), "netlist has no layers"),
    (lambda d: d.update(tau=-1), "'tau' must be a positive number"),
]


@pytest.mark.parametrize("mutate,msg", BAD)
def test_validation_names_the_problem(mutate, msg):
    d = small().to_dict()
    mutate(d)
    with pytest.raises(NetlistError, match=msg.replace("(", r"\(").replace(".", r"\.")):
        Netlist.from_dict(d)


def test_not_json(tmp_path):
    p = tmp_path / "t.json"
    p.write_text(small().to_json()[:40])
    with pytest.raises(NetlistError, match="not valid JSON"):
        Netlist.load(p)
    with pytest.raises(NetlistError, match="cannot read netlist"):
        Netlist.load(tmp_path / "missing.json")
