# SPDX-License-Identifier: MIT
"""`sim?top=ulx3s-12f`: the virtual board runs the ULX3S top level itself (boards/ulx3s/
lgn_ulx3s_sim.v: the board's UART, FIFO and engine build, clocked at the PLL's output), and
`lgn infer` reaches it through the UART pins at 3 Mbaud, bit-exact with the software model."""
import numpy as np
import pytest

from boards.registry import get
from host.netlist import random_netlist
from tests.helpers import lgn

pytestmark = pytest.mark.slow(seconds=65)   # (a model build)

URL = "sim?top=ulx3s-12f"


@pytest.mark.needs("verilator")
def test_infer_through_the_ulx3s_top(tmp_path):
    info = lgn("board", "info", "--board", URL, "--json").json
    want = get("ulx3s-12f").engine.info()
    for f in ("max_inputs", "max_width", "max_gates", "lanes", "gates_per_cycle", "max_body", "clock_hz"):
        assert info[f] == getattr(want, f), f
    rng = np.random.default_rng(1301)
    net = random_netlist(rng, 70, [96, 40, 30], 5)
    net.save(tmp_path / "net.json")
    np.save(tmp_path / "x.npy", rng.integers(0, 2, (77, 70), dtype=np.uint8))
    r = lgn("infer", tmp_path / "net.json", "--board", URL, "--bits", tmp_path / "x.npy", "--json").json
    assert r["mismatches"] == 0 and r["samples"] == 77
    assert r["latency"]["clock_hz"] == 60_000_000


def test_top_option_refuses_other_boards():
    r = lgn("board", "info", "--board", "sim?top=pynq-z2", check=None)
    assert r.code == 2 and "not a UART board" in r.err
