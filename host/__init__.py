# SPDX-License-Identifier: MIT
"""PC-side ML of lgn-hil: datasets, encodings, relaxed layers, training, the netlist and
its bit-exact software model.

`host.netlist`, `host.softmodel` and `host.gates` need only numpy; the torch parts
(`LogicLayer`, `GroupSum`) load on first use so the PYNQ agent can import the rest.
"""
from host.gates import NAMES as GATE_NAMES
from host.netlist import Layer, Netlist, NetlistError
from host.softmodel import SoftModel

__all__ = ["GATE_NAMES", "Layer", "Netlist", "NetlistError", "SoftModel", "LogicLayer", "GroupSum"]


def __getattr__(name):
    if name in ("LogicLayer", "GroupSum"):
        from host import layers
        return getattr(layers, name)
    raise AttributeError(f"module 'host' has no attribute {name!r}")
