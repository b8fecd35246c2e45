# SPDX-License-Identifier: MIT
"""End to end through the CLI against the virtual board (the real RTL in Verilator):
`lgn board info`, `lgn infer --board sim`, and the same over `lgn board serve --pty`
(pyserial) and `--listen tcp://`. The virtual board needs Verilator (skipped, saying so, without it)."""
from pathlib import Path

import numpy as np
import pytest

from host.netlist import random_netlist
from host.softmodel import SoftModel
from tests.helpers import lgn, lgn_process

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    rng = np.random.default_rng(3)
    d = tmp_path_factory.mktemp("infer")
    net = random_netlist(rng, 512, [2000] * 4, 10)          # the digits network's shape
    net.save(d / "net.json")
    bits = rng.integers(0, 2, (3000, 512)).astype(np.uint8)
    np.save(d / "x.npy", bits)
    return d, net, bits


@pytest.mark.needs("verilator")
def test_board_info():
    info = lgn("board", "info", "--board", "sim", "--status", "--json").json
    assert info["protocol"] == 1
    for k in ("max_gates", "max_layers", "max_width", "max_inputs", "lanes", "gates_per_cycle",
              "max_body", "clock_hz"):
        assert isinstance(info[k], int) and info[k] > 0, k
    assert info["status"]["tag"] == 0


@pytest.mark.needs("verilator")
def test_infer_bits_on_sim(case):
    d, net, bits = case
    r = lgn("infer", "--board", "sim", d / "net.json", "--bits", d / "x.npy", "--scores-out", d / "s.npy",
            "--json").json
    assert r["mismatches"] == 0 and r["samples"] == len(bits)
    assert (np.load(d / "s.npy") == SoftModel(net).scores(bits)).all()
    assert r["link"]["retries"] == 0
    assert r["link"]["protocol_overhead"] < 0.01          # the requirement is <= 5%
    lat = r["latency"]
    assert lat["engine_cycles_total"] > 0 and lat["engine_busy_cycles"] == lat["engine_cycles_total"]
    assert lat["batches"] >= 1 and lat["link_time_s"] > 0 and lat["host_time_s"] >= 0
    assert r["bytes_sent"] > len(bits) * 64 and r["bytes_received"] > len(bits) * 21
    assert r["test_acc"] is None


@pytest.mark.needs("verilator")
def test_infer_refuses_an_oversized_netlist(tmp_path):
    net = random_netlist(np.random.default_rng(0), 5000, [20], 10)
    net.save(tmp_path / "big.json")
    np.save(tmp_path / "x.npy", np.zeros((2, 5000), np.uint8))
    r = lgn("infer", "--board", "sim", tmp_path / "big.json", "--bits", tmp_path / "x.npy", "--json", check=2)
    line = r.err.strip().splitlines()[-1]
    assert "exceeds the board's capacity" in line and "inputs 5000 > 4096" in line


def test_bad_board_url_is_a_one_line_error(case):
    d, _, _ = case
    err = lgn("infer", "--board", "sim?colour=blue", d / "net.json", "--bits", d / "x.npy", check=2).err
    assert "unknown option(s) colour" in err and "Traceback" not in err


@pytest.mark.needs("verilator")
@pytest.mark.parametrize("dataset", ["digits", "mnist5k"])
def test_trained_netlist_matches_lgn_eval(dataset):
    path = ROOT / "tests" / "data" / f"{dataset}.netlist.json"
    if not path.exists():
        pytest.skip(f"trained netlist {path.relative_to(ROOT)} not present")
    ev = lgn("eval", path, "--dataset", dataset, "--json").json
    r = lgn("infer", "--board", "sim", path, "--dataset", dataset, "--json").json
    assert r["mismatches"] == 0
    assert r["test_acc"] == ev["test_acc"]


def _serve(*extra):
    """Start `lgn board serve` as a subprocess; return (process, address it printed)."""
    p = lgn_process("board", "serve", "--board", "sim", "--once", *extra, cwd=ROOT)
    line = p.stdout.readline().strip()
    if not line:
        p.kill()
        raise AssertionError(f"board serve printed no address: {p.stderr.read()}")
    return p, line


@pytest.mark.needs("verilator")
@pytest.mark.parametrize("how", ["pty", "tcp"])
def test_infer_over_served_board(case, how):
    d, net, bits = case
    p, addr = _serve(*(["--pty"] if how == "pty" else ["--listen", "tcp://127.0.0.1:0"]))
    try:
        assert addr.startswith("/dev/pts/" if how == "pty" else "tcp://127.0.0.1:")
        r = lgn("infer", "--board", addr, d / "net.json", "--bits", d / "x.npy", "--scores-out",
                d / f"s_{how}.npy", "--json").json
        assert r["mismatches"] == 0 and r["link"]["retries"] == 0
        assert (np.load(d / f"s_{how}.npy") == SoftModel(net).scores(bits)).all()
        p.wait(timeout=10)                    # --once: the server ends when the client leaves
        assert p.returncode == 0, p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


@pytest.mark.needs("verilator")
def test_sim_url_faults_are_passed_to_the_virtual_board(case):
    d, net, bits = case
    url = "sim?faults=stuck=0.05&fault-seed=3"
    runs = []
    for expect in ([], ["--expect-mismatches"]):
        # a board that disagrees with the software model fails the check (exit 1, JSON
        # still printed), unless the user says mismatches are expected
        r = lgn("infer", "--board", url, d / "net.json", "--bits", d / "x.npy",
                "--scores-out", d / "s_faulty.npy", "--json", *expect, check=0 if expect else 1)
        runs.append((r.json["mismatches"], np.load(d / "s_faulty.npy")))
        assert ("check failed" in r.err) != bool(expect), r.err
    assert runs[0][0] > 0                      # stuck gates change results the host cannot see
    assert runs[0][0] == runs[1][0] and (runs[0][1] == runs[1][1]).all()   # same seed, same board


@pytest.mark.needs("verilator")
def test_check_outcome_as_junit_xml(case, tmp_path):
    import xml.etree.ElementTree as ET
    d, net, bits = case
    for url, code, failures in (("sim", 0, "0"), ("sim?faults=stuck=0.05&fault_seed=3", 1, "1")):
        xml = tmp_path / "report.xml"
        r = lgn("infer", "--board", url, d / "net.json", "--bits", d / "x.npy", "--junit-xml", xml, "--json",
                check=code).json
        suite = ET.parse(xml).getroot()
        assert suite.tag == "testsuite" and suite.get("failures") == failures and suite.get("tests") == "1"
        if code:
            assert f"{r['mismatches']} of {len(bits)} samples differ" in suite.find("testcase/failure").get("message")


def test_unreachable_board_is_a_one_line_error(case):
    import socket
    d, _, _ = case
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    for argv in (["board", "info", "--board", f"tcp://127.0.0.1:{port}"],
                 ["infer", "--board", f"tcp://127.0.0.1:{port}", d / "net.json", "--bits", d / "x.npy"]):
        err = lgn(*argv, check=2).err
        assert "cannot connect" in err and len(err.strip().splitlines()) == 1, err
