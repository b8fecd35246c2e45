# SPDX-License-Identifier: MIT
"""The PYNQ-Z2 board-side agent (boards/pynq_z2/agent.py) with `--hw sim`: the Verilator model
of the AXI wrapper (rtl/hdl/lgn_axi_top.v) behind the same TCP server as `lgn board serve`.
One agent process serves the whole module; `lgn infer` against it must agree with the software
model, and the hello's refusals leave it serving the next host."""
import os
import subprocess as sp
import sys
import time

import pytest

import hil
from hil.transport import TransportError, open_transport
from rtl import protocol as P
from tests.helpers import ROOT, closed_by_peer, lgn, raw_socket, read_line

TOKEN = "T0ken"
pytestmark = [pytest.mark.needs("verilator"), pytest.mark.slow(seconds=45)]


@pytest.fixture(scope="module")
def agent():
    p = sp.Popen([sys.executable, "-m", "boards.pynq_z2.agent", "--listen", "tcp://127.0.0.1:0",
                  "--token", TOKEN, "--idle-timeout", "20", "--hw", "sim"],
                 stdout=sp.PIPE, stderr=sp.PIPE, text=True, cwd=ROOT,
                 env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        addr = p.stdout.readline().strip()
        if not addr.startswith("tcp://127.0.0.1:"):
            p.kill()
            raise AssertionError(f"the agent printed no address: {p.stderr.read()}")
        yield addr
    finally:
        p.terminate()
        try:
            p.wait(10)
        except sp.TimeoutExpired:
            p.kill()
            p.wait()


def _url(addr, token=TOKEN):
    return f"{addr}?token={token}"


def _info_works(addr):
    with hil.connect(_url(addr) + "&timeout=5") as b:
        assert b.capacity.max_body > 0


def test_infer_digits_through_the_agent(agent):
    from boards import registry
    r = lgn("infer", "--board", _url(agent), ROOT / "tests" / "data" / "digits.netlist.json",
            "--dataset", "digits", "--json").json
    assert r["mismatches"] == 0, r
    info = lgn("board", "info", "--board", _url(agent), "--json").json
    assert info["max_gates"] == registry.get("pynq-z2").engine.max_gates


@pytest.mark.parametrize("url_token, why", [(None, "needs a token"), ("nope", "wrong token")])
def test_token_refused_then_next_served(agent, url_token, why, monkeypatch):
    monkeypatch.delenv("LGN_BOARD_TOKEN", raising=False)
    url = agent if url_token is None else _url(agent, url_token)
    with pytest.raises(TransportError, match=why):
        open_transport(url)
    _info_works(agent)


@pytest.mark.parametrize("garbage", [P.encode_frame(1, P.Cmd.INFO), b"\xff\xfe\x00junk\n"])
def test_garbage_instead_of_hello_refused_then_next_served(agent, garbage):
    s = raw_socket(agent, garbage)
    assert read_line(s).startswith(b"denied: expected a hello line")
    assert closed_by_peer(s)
    _info_works(agent)


def test_oversize_frame_dropped_then_next_served(agent):
    from boards import registry
    limit = P.max_encoded_frame(registry.get("pynq-z2").engine.max_body)
    s = raw_socket(agent, f"lgn hello token={TOKEN}\n".encode())
    assert read_line(s) == b"ok\n"
    s.sendall(b"\x00" + b"\x05" * (limit + 100))       # a run no frame can have
    assert closed_by_peer(s)
    # the next host starts clean: a frame without the leading 0x00 is answered
    s = raw_socket(agent, f"lgn hello token={TOKEN}\n".encode())
    assert read_line(s) == b"ok\n"
    s.sendall(P.encode_frame(5, P.Cmd.INFO))
    got = b""
    while not got.endswith(b"\x00"):
        got += s.recv(4096)
    f = P.decode_frame(got.strip(b"\x00"))
    assert isinstance(f, P.Frame) and f.seq == 5 and f.type == P.Cmd.INFO | P.REPLY_FLAG, f
    s.close()
    _info_works(agent)


def test_second_host_told_busy_at_once(agent):
    with hil.connect(_url(agent) + "&timeout=5") as first:
        t0 = time.monotonic()
        with pytest.raises(TransportError, match=r"the board is busy \(serving 127\.0\.0\.1:\d+ for \d+ s\)"):
            open_transport(_url(agent))
        assert time.monotonic() - t0 < 1.0
        assert first.status().frames_ok >= 1          # the first host was not disturbed
    _info_works(agent)


def test_agent_imports_without_torch():
    code = ("import sys\n"
            "for m in ('torch', 'matplotlib', 'rich', 'sklearn'): sys.modules[m] = None\n"
            "import boards.pynq_z2.agent, boards.pynq_z2.hw, boards.server\n"
            "assert boards.pynq_z2.agent.build_parser().parse_args(['--hw', 'sim']).hw == 'sim'\n"
            "print('ok')\n")
    r = sp.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
               env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
