# SPDX-License-Identifier: MIT
"""PC-side ML of lgn-hil: datasets, encodings, relaxed layers, training, the netlist and
its bit-exact software model.

`host.netlist`, `host.softmodel` and `host.gates` need only numpy; the torch parts
(`LogicLayer`, `GroupSum`) load on first use so the PYNQ agent can import the rest.
"""
import os

# torch's OpenMP workers spin after every op by default; our C kernels run on Python threads
# beside them, and with both on the same cores a spinning worker starves ours (measured: a
# fused layer step went from 7 ms to 300 ms with 2 threads on a loaded 2-core machine).
# Must be set before torch loads libgomp; `lgn` imports host first. Users may override it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from host.gates import NAMES as GATE_NAMES  # noqa: E402
from host.netlist import Layer, Netlist, NetlistError  # noqa: E402
from host.softmodel import SoftModel  # noqa: E402

__all__ = ["GATE_NAMES", "Layer", "Netlist", "NetlistError", "SoftModel", "LogicLayer", "GroupSum"]


def __getattr__(name):
    if name in ("LogicLayer", "GroupSum"):
        from host import layers
        return getattr(layers, name)
    raise AttributeError(f"module 'host' has no attribute {name!r}")
