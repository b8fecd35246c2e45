# SPDX-License-Identifier: MIT
"""The board registry and the board builds' sources: every board's constraints name only ports
of its top level (and constrain all of them), every build's parameters are its registry
entry's, the ULX3S clock gives an exact UART divisor from an exact PLL setting, each build
holds the network it is for, and `lgn board list/flash` say what they should."""
import json
import re

import pytest

from boards import ulx3s
from boards.registry import BOARDS, fpga_boards, get
from host.netlist import Netlist
from hil.session import capacity_problems
from tests.helpers import ROOT, lgn

ULX3S = [n for n, b in BOARDS.items() if b.link == "uart"]


def verilog_ports(path, module: str) -> dict[str, int]:
    """Port name -> width of `module` in `path` (ANSI port list, [N:0] or no range)."""
    text = path.read_text()
    head = re.search(rf"module {module}\b.*?\)\s*\(\s*(.*?)\);", text, re.S).group(1)
    ports = {}
    for m in re.finditer(r"(?:input|output)\s+wire\s*(?:\[(\d+):0\])?\s*(\w+)", head):
        ports[m.group(2)] = int(m.group(1) or 0) + 1
    return ports


def lpf_sites(path) -> dict[str, str]:
    return dict(re.findall(r'^LOCATE COMP "([\w\[\]]+)" SITE "(\w+)";', path.read_text(), re.M))


def test_every_board_is_registered_with_an_engine_that_builds():
    assert {"ulx3s-12f", "ulx3s-25f", "ulx3s-45f", "ulx3s-85f", "pynq-z2", "sim"} <= set(BOARDS)
    for b in BOARDS.values():
        b.engine.check()
        assert b.engine.faults == 0 or b.link == "sim", f"{b.name}: fault injection is for the virtual board"
        if b.link != "sim":
            assert (b.engine.in_bytes_per_clk, b.engine.out_bytes_per_clk) == (1, 1), b.name
    assert "sim" not in fpga_boards()


@pytest.mark.parametrize("name", ULX3S)
def test_ulx3s_constraints_match_the_top_level(name):
    ports = verilog_ports(ulx3s.HERE / "lgn_ulx3s_top.v", ulx3s.TOP)
    bits = {f"{p}[{i}]" if w > 1 else p for p, w in ports.items() for i in range(w)}
    sites = lpf_sites(ulx3s.LPF)
    assert set(sites) == bits, (sorted(set(sites) - bits), sorted(bits - set(sites)))
    # the board's official sites for the clock and the FT231X (the FPGA receives on ftdi_txd)
    assert (sites["clk_25mhz"], sites["ftdi_txd"], sites["ftdi_rxd"]) == ("G2", "M1", "L4")
    assert len(set(sites.values())) == len(sites), "two ports on one site"
    ioports = set(re.findall(r'^IOBUF PORT "([\w\[\]]+)"', ulx3s.LPF.read_text(), re.M))
    assert ioports == bits


@pytest.mark.parametrize("name", ULX3S)
def test_ulx3s_build_takes_the_registry_parameters(name):
    board = get(name)
    script = ulx3s.yosys_script(board, ulx3s.DEFAULT_BAUD)
    chparams = dict(re.findall(r"-chparam (\w+) (\S+)", script))
    for k, v in board.engine.parameters().items():
        assert chparams[k] == str(v), (k, chparams.get(k), v)
    assert f"hierarchy -top {ulx3s.TOP}" in script and f"synth_ecp5 -top {ulx3s.TOP}" in script
    # the PLL makes exactly the engine clock, and the clock is a whole number of clocks a bit
    pll = ulx3s.pll(round(board.clock_mhz * 1e6), board.engine.clock_hz)
    assert board.clock_mhz * 1e6 * pll["CLKFB_DIV"] / pll["CLKI_DIV"] == board.engine.clock_hz
    assert 400e6 <= board.engine.clock_hz * pll["CLKOP_DIV"] <= 800e6
    assert board.engine.clock_hz % ulx3s.DEFAULT_BAUD == 0
    assert ulx3s.check_baud(board.engine.clock_hz, ulx3s.FALLBACK_BAUD) < 1e-3


def test_pll_and_baud_refusals():
    with pytest.raises(ValueError, match="cannot make exactly"):
        ulx3s.pll(25_000_000, 61_234_567)
    with pytest.raises(ValueError, match="clocks a bit"):
        ulx3s.check_baud(60_000_000, 20_000_000)


@pytest.mark.parametrize("board,netlist", [("ulx3s-85f", "mnist5k"), ("ulx3s-45f", "mnist5k"),
                                           ("pynq-z2", "mnist5k"), ("ulx3s-12f", "digits"),
                                           ("ulx3s-25f", "digits")])
def test_each_build_holds_its_default_network(board, netlist):
    """What `lgn infer` checks against a board's INFO, for the INFO this build reports; the
    HIL loop's raw-bits replies (a sample's widest layer) fit a frame too."""
    e = get(board).engine
    net = Netlist.load(ROOT / "tests" / "data" / f"{netlist}.netlist.json")
    assert capacity_problems(e.info(), e.max_body, net) == []
    assert max(net.widths) // 8 + 64 <= e.max_body


def test_board_list_shows_every_board_with_its_capacity():
    out = json.loads(lgn("board", "list", "--json").out)
    rows = {r["board"]: r for r in out["boards"]}
    assert set(rows) == set(BOARDS)
    assert rows["ulx3s-85f"]["gates"] >= 32_000 and rows["ulx3s-85f"]["inputs"] >= 2352
    for r in rows.values():
        assert {"gates", "inputs", "width", "layers", "lanes", "gates_per_clock"} <= set(r)
    table = lgn("board", "list").out
    assert all(n in table for n in BOARDS)


def test_board_flash_dry_run_and_missing_tool(tmp_path, monkeypatch):
    r = lgn("board", "flash", "ulx3s-85f", "--dry-run", "--bit", str(tmp_path / "x.bit"))
    assert r.out.strip() == f"openFPGALoader --board ulx3s {tmp_path / 'x.bit'}"
    (tmp_path / "x.bit").write_bytes(b"\xff")
    monkeypatch.setenv("PATH", str(tmp_path))          # no openFPGALoader on it
    r = lgn("board", "flash", "ulx3s-85f", "--bit", str(tmp_path / "x.bit"), check=None)
    assert r.code == 2 and "apt install openfpgaloader" in r.err
    assert len(r.err.strip().splitlines()) == 1
    r = lgn("board", "build", "pynq-z2", check=None)
    assert r.code == 2 and "vivado -mode batch" in r.err


@pytest.mark.slow(seconds=185)
@pytest.mark.needs("yowasp")
def test_board_build_makes_a_bitstream(tmp_path):
    """The whole recipe (yosys, nextpnr-ecp5 with the constraints, ecppack) on the 12F with a
    tiny engine build, so it runs in CI's time: a bitstream, its report's keys, timing met.
    (The real builds' figures are in the README, made with `lgn board build`.)"""
    from dataclasses import replace
    from rtl.engine import Engine
    tiny = Engine(lanes=2, gates_per_cycle=1, max_inputs=16, max_width=16, max_layers=2, max_gates=32,
                  max_classes=2, max_body=64, clock_hz=60_000_000, frame_bufs=1)
    rep = ulx3s.build(replace(get("ulx3s-12f"), engine=tiny), tmp_path)
    assert {"bitstream", "luts", "ffs", "brams", "fmax_mhz", "clock_mhz", "timing_met"} <= set(rep)
    bit = tmp_path / ulx3s.bitstream_name(get("ulx3s-12f"))
    assert rep["bitstream"] == str(bit) and bit.stat().st_size > 10_000
    assert rep["timing_met"] and rep["fits"] and rep["clock_mhz"] == 60, rep
