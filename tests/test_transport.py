# SPDX-License-Identifier: MIT
"""One test suite that every byte transport passes: pyserial loop:// and socket://, tcp://,
a pseudo-terminal through pyserial, and an in-process object. The far end is a plain echo."""
import os
import select
import socket
import threading
import time

import numpy as np
import pytest

from hil.transport import (ObjectTransport, SerialTransport, TcpTransport, Transport,
                           open_transport, split_options)


class _Echo:
    """An in-process echo device with the board verbs."""

    def __init__(self):
        self.buf = bytearray()

    def write(self, data):
        self.buf += data

    def read(self, max_bytes=-1, timeout=0.0):
        if not self.buf:
            time.sleep(timeout)
            return b""
        n = len(self.buf) if max_bytes < 0 else max_bytes
        out, self.buf = bytes(self.buf[:n]), self.buf[n:]
        return out

    def close(self):
        pass


def _tcp_echo_server():
    srv = socket.create_server(("127.0.0.1", 0))

    def loop():
        conn, _ = srv.accept()
        with conn:
            while True:
                d = conn.recv(65536)
                if not d:
                    break
                conn.sendall(d)
        srv.close()

    threading.Thread(target=loop, daemon=True).start()
    return srv.getsockname()[1]


def _pty_echo():
    import tty
    master, slave = os.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    stop = threading.Event()

    def loop():
        pending = b""
        while not stop.is_set():
            r, w, _ = select.select([master], [master] if pending else [], [], 0.05)
            if r:
                try:
                    pending += os.read(master, 65536)
                except OSError:
                    break
            if pending and w:
                n = os.write(master, pending)
                pending = pending[n:]

    t = threading.Thread(target=loop, daemon=True)
    t.start()

    def cleanup():
        stop.set()
        t.join(1)
        os.close(master)
        os.close(slave)
    return path, cleanup


@pytest.fixture(params=["object", "loop", "socket", "tcp", "pty"])
def transport(request):
    cleanup = None
    if request.param == "object":
        t = ObjectTransport(_Echo(), "echo")
    elif request.param == "loop":
        t = open_transport("loop://")
    elif request.param == "socket":
        t = open_transport(f"socket://127.0.0.1:{_tcp_echo_server()}")
    elif request.param == "tcp":
        t = open_transport(f"tcp://127.0.0.1:{_tcp_echo_server()}?hello=0")  # a bare byte stream
    else:
        path, cleanup = _pty_echo()
        t = open_transport(f"{path}?baud=3000000")
    yield t
    t.close()
    if cleanup:
        cleanup()


def _read_exactly(t: Transport, n: int, deadline_s: float = 5.0) -> bytes:
    got = bytearray()
    end = time.monotonic() + deadline_s
    while len(got) < n and time.monotonic() < end:
        got += t.read(-1, 0.1)
    return bytes(got)


def test_roundtrip_all_byte_values(transport):
    rng = np.random.default_rng(7)
    size = 4096 if "loop" in transport.url else 200_000     # loop:// moves one byte per call
    data = rng.integers(0, 256, size, dtype=np.uint8).tobytes() + bytes(range(256))
    # Interleave writes and reads like a session does (a pty buffers a few KiB, loop:// 4 KiB).
    got = bytearray()
    step = 1024 if "loop" in transport.url else 8192
    for k in range(0, len(data), step):
        transport.write(data[k:k + step])
        got += _read_exactly(transport, min(len(data), k + step) - len(got))
    assert bytes(got) == data


def test_read_times_out_with_nothing(transport):
    t0 = time.monotonic()
    assert transport.read(-1, 0.2) == b""
    dt = time.monotonic() - t0
    assert 0.15 <= dt < 1.5, dt
    assert transport.read(-1, 0.0) == b""


def test_read_respects_max_bytes(transport):
    transport.write(b"abcdefgh")
    time.sleep(0.05)
    first = transport.read(3, 1.0)
    assert 1 <= len(first) <= 3
    rest = _read_exactly(transport, 8 - len(first))
    assert first + rest == b"abcdefgh"


def test_url_options():
    assert split_options("/dev/ttyUSB0?baud=115200&timeout=1") == ("/dev/ttyUSB0",
                                                                   {"baud": "115200", "timeout": "1"})
    assert split_options("sim?faults=stuck=0.02&fault_seed=1") == ("sim", {"faults": "stuck=0.02",
                                                                           "fault-seed": "1"})
    with pytest.raises(ValueError, match="unknown option"):
        open_transport("loop://?colour=blue")
    with pytest.raises(ValueError, match="baud"):
        open_transport("loop://?baud=fast")
    with pytest.raises(ValueError, match="unknown board URL"):
        open_transport("nonsense-board")
    with pytest.raises(ValueError, match="tcp://host:port"):
        open_transport("tcp://127.0.0.1")


def test_connect_refused_is_a_clear_error():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(OSError, match="cannot connect"):
        TcpTransport("127.0.0.1", port, 1.0)
    with pytest.raises(OSError, match="cannot open"):
        SerialTransport("/dev/does-not-exist-lgn")


def test_peer_close_is_reported():
    port = _tcp_echo_server()
    t = open_transport(f"tcp://127.0.0.1:{port}?hello=0")
    t.sock.shutdown(socket.SHUT_WR)        # the echo server then closes its side
    with pytest.raises(OSError, match="closed"):
        for _ in range(20):
            t.read(-1, 0.1)
    t.close()
