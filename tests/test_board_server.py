# SPDX-License-Identifier: MIT
"""boards.server on TCP: the connection hello (docs/protocol.md, "TCP connections"), a busy
answer to a second client while one is served, the token, and the drops (garbage instead of
a hello, an over-long frame, an idle client), each followed by a client that is served.
Most tests serve the protocol's reference board (fast); one serves the virtual board through
`lgn board serve` in its own process."""
import socket
import threading
import time

import pytest

import hil
from boards.server import serve_tcp
from hil.session import Session
from hil.transport import TcpTransport, TransportError, open_transport
from rtl import protocol as P
from tests.helpers import ROOT, closed_by_peer, lgn, lgn_process, raw_socket, read_line

MAX_BODY = 256


def _serve(**kw):
    """Serve a fresh reference board on a thread; return (url, server, board)."""
    box, srv, ready = [], [], threading.Event()
    board = P.ReferenceBoard(max_body=MAX_BODY)
    t = threading.Thread(target=serve_tcp, args=(board, "127.0.0.1", 0),
                         kwargs={"ready": lambda a: (box.append(a), ready.set()), "server_box": srv,
                                 **kw}, daemon=True)
    t.start()
    assert ready.wait(5)
    return box[0], srv[0], board


@pytest.fixture
def served(request):
    made = []

    def start(**kw):
        url, srv, board = _serve(**kw)
        made.append(srv)
        return url, srv, board
    yield start
    for srv in made:
        srv.close()


def _lgn_lines(err: str) -> list[str]:
    """What `lgn` itself printed (the served board on a thread logs to the same stderr)."""
    return [ln for ln in err.strip().splitlines() if ln.startswith("lgn ")]


def _info_works(url: str) -> None:
    with hil.connect(url + "?timeout=2") as b:
        assert b.capacity.max_body == MAX_BODY


def test_hello_ok_then_frames(served):
    url, _, _ = served()
    s = raw_socket(url, b"lgn hello token=\n")
    assert read_line(s) == b"ok\n"
    s.sendall(P.encode_frame(1, P.Cmd.INFO))           # no leading 0x00: the stream is clean
    got = b""
    while not got.endswith(b"\x00"):
        got += s.recv(4096)
    f = P.decode_frame(got[:-1])
    assert f.type == P.Cmd.INFO | P.REPLY_FLAG and f.seq == 1
    s.close()
    _info_works(url)


def test_second_client_is_told_busy_at_once(served, capsys):
    url, _, _ = served()
    first = open_transport(url)                         # connected and let in; stays connected
    try:
        t0 = time.monotonic()
        with pytest.raises(TransportError) as e:
            TcpTransport.from_url(url, {})
        dt = time.monotonic() - t0
        assert dt < 1.0, dt
        msg = str(e.value)
        assert msg.startswith(f"{url}: the board is busy (serving 127.0.0.1:")
        assert msg.endswith("; try again when it is free") and "\n" not in msg
        # `lgn board info` says it in one line and fails
        t0 = time.monotonic()
        r = lgn("board", "info", "--board", url, check=2)
        assert time.monotonic() - t0 < 2.0
        lines = _lgn_lines(r.err)
        assert len(lines) == 1 and "the board is busy" in lines[0], r.err
        # the first client was not disturbed
        with Session(first, timeout=2) as b:
            assert b.capacity.max_body == MAX_BODY
            assert b.status().frames_ok >= 1
    finally:
        first.close()
    _info_works(url)
    assert "refused 127.0.0.1:" in capsys.readouterr().err


def test_token_required_wrong_and_right(served, capsys, monkeypatch):
    monkeypatch.delenv("LGN_BOARD_TOKEN", raising=False)
    url, _, _ = served(token="s3cret")
    with pytest.raises(TransportError, match="refused the connection: this board needs a token"):
        open_transport(url)
    with pytest.raises(TransportError, match="refused the connection: wrong token"):
        open_transport(url + "?token=guess")
    err = lgn("board", "info", "--board", url + "?token=guess", check=2).err
    lines = _lgn_lines(err)
    assert len(lines) == 1 and "wrong token" in lines[0] and "guess" not in err, err
    with hil.connect(url + "?token=s3cret&timeout=2") as b:
        assert b.capacity.max_body == MAX_BODY
    # the environment is used when the URL has no token; the URL wins over it
    monkeypatch.setenv("LGN_BOARD_TOKEN", "s3cret")
    open_transport(url).close()
    with pytest.raises(TransportError, match="wrong token"):
        open_transport(url + "?token=other")
    log = capsys.readouterr().err
    assert "needs a token" in log and "wrong token" in log


def test_no_token_server_lets_any_token_in(served):
    url, _, _ = served()
    open_transport(url + "?token=whatever").close()
    with pytest.raises(ValueError, match="printable ASCII"):
        open_transport(url + "?token=a%20b")


@pytest.mark.parametrize("garbage", [P.encode_frame(1, P.Cmd.INFO),    # an old client: frames first
                                     b"GET / HTTP/1.1\r\n\r\n",
                                     b"lgn hello token=" + b"x" * 300])
def test_garbage_instead_of_hello_is_refused(served, capsys, garbage):
    url, _, _ = served()
    s = raw_socket(url, garbage)
    t0 = time.monotonic()
    answer = read_line(s)
    assert answer.startswith(b"denied: ") and time.monotonic() - t0 < 1.0, answer
    assert closed_by_peer(s)
    assert "refused 127.0.0.1:" in capsys.readouterr().err
    _info_works(url)


def test_no_hello_in_time_is_dropped(served, capsys):
    url, _, _ = served(hello_timeout=0.3)
    s = raw_socket(url)
    assert read_line(s) == b"denied: no hello within 0.3 s\n"
    assert closed_by_peer(s)
    _info_works(url)


def test_oversize_frame_is_dropped_and_the_board_left_clean(served, capsys):
    url, srv, board = served()
    limit = P.max_encoded_frame(MAX_BODY)
    assert srv.frame_limit == limit
    s = raw_socket(url, b"lgn hello token=\n")
    assert read_line(s) == b"ok\n"
    s.sendall(b"\x00" + b"\x01" * (limit - 10))        # within the limit so far: still served
    time.sleep(0.2)
    s.sendall(b"\x01" * 20)                             # now over it
    assert closed_by_peer(s)
    assert "frame too long" in capsys.readouterr().err
    _clean_start(url)


def test_idle_client_is_dropped_mid_frame_and_the_board_left_clean(served, capsys):
    url, _, _ = served(idle_timeout=0.3)
    s = raw_socket(url, b"lgn hello token=\n")
    assert read_line(s) == b"ok\n"
    s.sendall(P.encode_frame(7, P.Cmd.INFO)[:3])        # half a frame, then silence
    t0 = time.monotonic()
    assert closed_by_peer(s)
    assert 0.25 < time.monotonic() - t0 < 3.0
    assert "idle for more than 0.3 s" in capsys.readouterr().err
    _clean_start(url)


def _clean_start(url: str) -> None:
    """The next client's first frame, sent without the usual leading 0x00, is answered: the
    server ended the previous client's half frame; and nothing stale comes first."""
    s = raw_socket(url, b"lgn hello token=\n")
    assert read_line(s) == b"ok\n"
    s.sendall(P.encode_frame(9, P.Cmd.INFO))
    got = b""
    while not got.endswith(b"\x00"):
        got += s.recv(4096)
    f = P.decode_frame(got[:-1])
    assert isinstance(f, P.Frame) and f.seq == 9 and f.type == P.Cmd.INFO | P.REPLY_FLAG, f
    s.close()
    _info_works(url)


def test_no_answer_is_a_one_line_error():
    srv = socket.create_server(("127.0.0.1", 0))        # accepts (backlog) and says nothing
    try:
        port = srv.getsockname()[1]
        t0 = time.monotonic()
        err = lgn("board", "info", "--board", f"tcp://127.0.0.1:{port}?hello-timeout=0.3", check=2).err
        assert time.monotonic() - t0 < 3
        assert len(err.strip().splitlines()) == 1 and "no answer to the connection hello" in err, err
    finally:
        srv.close()


@pytest.mark.needs("verilator")
def test_served_virtual_board_busy_and_token():
    """`lgn board serve --token --idle-timeout` in its own process: the process is the point."""
    p = lgn_process("board", "serve", "--board", "sim", "--listen", "tcp://127.0.0.1:0",
                    "--token", "T0k", "--idle-timeout", "30", cwd=ROOT)
    try:
        addr = p.stdout.readline().strip()
        assert addr.startswith("tcp://127.0.0.1:"), p.stderr.read()
        err = lgn("board", "info", "--board", addr, check=2).err
        assert "needs a token" in err and len(err.strip().splitlines()) == 1
        with hil.connect(addr + "?token=T0k&timeout=5") as b:
            t0 = time.monotonic()
            err = lgn("board", "info", "--board", addr + "?token=T0k", check=2).err
            assert time.monotonic() - t0 < 1.5
            assert "the board is busy (serving 127.0.0.1:" in err and len(err.strip().splitlines()) == 1
            assert b.status().frames_ok >= 1
        r = lgn("board", "info", "--board", addr + "?token=T0k", "--json").json
        assert r["protocol"] == 1
    finally:
        p.terminate()
        p.wait(10)
