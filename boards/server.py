# SPDX-License-Identifier: MIT
"""The board side of a served board: a byte stream between a board object (write/read, such
as boards.sim.VirtualBoard, or the PYNQ agent's AXI board) and one client at a time on a TCP
socket or a pseudo-terminal. `lgn board serve` and the PYNQ-Z2 agent (boards/pynq_z2/agent.py)
run it; tests run it in a thread.

TCP connections open with a one-line handshake (docs/protocol.md, "TCP connections"):

    client: lgn hello token=<token>\\n          server: ok\\n | busy: ...\\n | denied: ...\\n

then carry the raw frame stream. The server accepts while it serves, so a second client is
told `busy:` at once; it drops a client that sends no valid hello, the wrong token, a run of
bytes longer than any legal frame, or nothing for `idle_timeout` seconds, and ends any frame
the client left half-sent with a 0x00 so that the next client starts clean.

Standard library and rtl.protocol only (no torch): the PYNQ agent runs this on the board.
"""
from __future__ import annotations

import errno
import hmac
import os
import queue
import select
import socket
import threading
import time

from host.progress import log
from rtl.protocol import MAX_LEN_FIELD, max_encoded_frame

HELLO_PREFIX = b"lgn hello token="
HELLO_MAX = 256              # bytes of the hello line, its newline included
HELLO_TIMEOUT = 5.0          # seconds a new client has to send its hello
IDLE_TIMEOUT = 600.0         # seconds without a byte either way before a client is dropped
BUSY_GRACE = 0.3             # seconds a new client waits for the one served to be seen gone


def announce(address: str, what: str = "the virtual board") -> None:
    """The address goes to stdout alone on its line (scripts read it), the rest to stderr."""
    print(address, flush=True)
    log(f"board serve: serving {what} at {address} (Ctrl-C to stop)")


def board_max_body(board) -> int:
    """The largest body `board` handles: its `max_body`, `info.max_body` or `engine.max_body`."""
    for path in (("max_body",), ("info", "max_body"), ("engine", "max_body")):
        obj = board
        for name in path:
            obj = getattr(obj, name, None)
        if isinstance(obj, int) and obj > 0:
            return obj
    return MAX_LEN_FIELD


def check_token(token: str | None) -> str:
    """A token fits the hello line: printable ASCII, no spaces, at most 239 characters."""
    token = token or ""
    if len(HELLO_PREFIX) + len(token) + 1 > HELLO_MAX:
        raise ValueError(f"the token is too long ({len(token)} characters; at most "
                         f"{HELLO_MAX - len(HELLO_PREFIX) - 1})")
    if any(not (33 <= ord(c) < 127) for c in token):
        raise ValueError("the token must be printable ASCII without spaces")
    return token


def hello_line(token: str | None) -> bytes:
    return HELLO_PREFIX + check_token(token).encode("ascii") + b"\n"


class TcpServer:
    """Serves `board` to one TCP client at a time; see the module docstring.

        srv = TcpServer(board, "127.0.0.1", 0, token="abc")    # listening from here on
        srv.address                                            # 'tcp://127.0.0.1:40123'
        srv.serve(once=False)                                  # until srv.close() or Ctrl-C
    """

    def __init__(self, board, host: str, port: int, token: str | None = None,
                 idle_timeout: float | None = IDLE_TIMEOUT, hello_timeout: float = HELLO_TIMEOUT,
                 max_body: int | None = None, name: str = "board serve"):
        self.board = board
        self.token = check_token(token)
        self.idle_timeout = idle_timeout if idle_timeout and idle_timeout > 0 else None
        self.hello_timeout = hello_timeout
        self.max_body = max_body or board_max_body(board)
        #: the longest run of bytes between two 0x00 a client may send (a frame's wire bytes)
        self.frame_limit = max_encoded_frame(self.max_body)
        self.name = name
        self.stats = {"bytes_in": 0, "bytes_out": 0, "clients": 0, "refused": 0, "dropped": 0}
        self._srv = socket.create_server((host, port))
        self.address = f"tcp://{host}:{self._srv.getsockname()[1]}"
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._current: tuple[str, float] | None = None      # (peer, since) of the client served
        self._pending: queue.Queue = queue.Queue()
        self._acceptor: threading.Thread | None = None

    # -- the accepting thread ----------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                r, _, _ = select.select([self._srv], [], [], 0.2)
                if not r:
                    continue
                conn, peer = self._srv.accept()
            except OSError:
                if self._stop.is_set():
                    return
                time.sleep(0.05)
                continue
            peer = f"{peer[0]}:{peer[1]}"
            if not self._take(conn, peer, 0.0):
                # A client that has just closed may not be seen gone yet (a script's next
                # command): a short grace on a thread of its own, then busy.
                threading.Thread(target=self._busy, args=(conn, peer), name="lgn-serve-busy",
                                 daemon=True).start()

    def _take(self, conn: socket.socket, peer: str, wait: float) -> bool:
        """Make `conn` the client served if the board is free within `wait` seconds."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._current is None, timeout=wait):
                return False
            self._current = (peer, time.monotonic())
        self._pending.put((conn, peer))
        return True

    def _busy(self, conn: socket.socket, peer: str) -> None:
        if self._take(conn, peer, BUSY_GRACE):
            return
        current = self._current or ("another client", time.monotonic())
        busy_s = int(time.monotonic() - current[1])
        self.stats["refused"] += 1
        log(f"{self.name}: refused {peer}: busy (serving {current[0]} for {busy_s} s)")
        self._refuse(conn, f"busy: serving {current[0]} for {busy_s} s")

    def _refuse(self, conn: socket.socket, line: str) -> None:
        """Send `line`, then close without a reset (which could discard the line at the
        client): end our side and give the client a moment to read and close, on a thread
        so the serving goes on."""
        def finish():
            try:
                conn.settimeout(1.0)
                conn.sendall(line.encode("ascii", "replace") + b"\n")
                conn.shutdown(socket.SHUT_WR)
                end = time.monotonic() + 1.0
                while time.monotonic() < end and conn.recv(4096):
                    pass
            except OSError:
                pass
            finally:
                conn.close()
        threading.Thread(target=finish, name="lgn-serve-refuse", daemon=True).start()

    # -- serving, one client at a time -------------------------------------------------------
    def serve(self, once: bool = False) -> dict:
        """Serve clients until close() (or, with `once`, until the first client let in
        leaves). Returns the stats."""
        self._acceptor = threading.Thread(target=self._accept_loop, name="lgn-serve-accept",
                                          daemon=True)
        self._acceptor.start()
        try:
            while not self._stop.is_set():
                try:
                    conn, peer = self._pending.get(timeout=0.2)
                except queue.Empty:
                    continue
                try:
                    served = self._serve_client(conn, peer)
                finally:
                    with self._cond:
                        self._current = None
                        self._cond.notify_all()
                if once and served:
                    break
        except KeyboardInterrupt:
            pass
        finally:
            self.close()
        return {"address": self.address, **self.stats}

    def _serve_client(self, conn: socket.socket, peer: str) -> bool:
        """Handshake, then pump; True if the client was let in."""
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            rest, why = self._handshake(conn)
            if why is not None:
                self.stats["refused"] += 1
                log(f"{self.name}: refused {peer}: {why}")
                self._refuse(conn, f"denied: {why}")
                conn = None
                return False
            conn.sendall(b"ok\n")
        except OSError as e:
            log(f"{self.name}: dropped {peer}: connection failed during the hello ({e.strerror or e})")
            if conn is not None:
                conn.close()
            return False
        self.stats["clients"] += 1
        log(f"{self.name}: client {peer} connected")
        try:
            reason = pump(self.board, conn.fileno(), self.stats, first=rest,
                          frame_limit=self.frame_limit, idle_timeout=self.idle_timeout)
            if reason:
                self.stats["dropped"] += 1
                log(f"{self.name}: dropped {peer}: {reason}")
            else:
                log(f"{self.name}: client {peer} disconnected")
        finally:
            conn.close()
        return True

    def _handshake(self, conn: socket.socket) -> tuple[bytes, str | None]:
        """Read the hello line: (bytes after it, None) if the client may in, else (b"", why)."""
        buf = b""
        end = time.monotonic() + self.hello_timeout
        while b"\n" not in buf:
            if not HELLO_PREFIX.startswith(buf[:len(HELLO_PREFIX)]):
                return b"", f"expected a hello line ('lgn hello token=...'), got {_show(buf)}"
            if len(buf) >= HELLO_MAX:
                return b"", f"the hello line is longer than {HELLO_MAX} bytes"
            left = end - time.monotonic()
            if left <= 0:
                return b"", f"no hello within {self.hello_timeout:g} s"
            r, _, _ = select.select([conn], [], [], left)
            if not r:
                continue
            data = conn.recv(HELLO_MAX)
            if not data:
                return b"", "closed before its hello"
            buf += data
        line, _, rest = buf.partition(b"\n")
        if len(line) + 1 > HELLO_MAX:
            return b"", f"the hello line is longer than {HELLO_MAX} bytes"
        if not line.startswith(HELLO_PREFIX):
            return b"", f"expected a hello line ('lgn hello token=...'), got {_show(line)}"
        given = line[len(HELLO_PREFIX):].rstrip(b"\r")
        if self.token:
            if not given:
                return b"", "this board needs a token (tcp://HOST:PORT?token=... or LGN_BOARD_TOKEN)"
            if not hmac.compare_digest(given, self.token.encode("ascii")):
                return b"", "wrong token"
        return rest, None

    def close(self) -> None:
        self._stop.set()
        if self._acceptor is not None and self._acceptor is not threading.current_thread():
            self._acceptor.join(2.0)
        try:
            self._srv.close()
        except OSError:
            pass


def _show(data: bytes) -> str:
    text = data[:24].decode("ascii", "replace")
    if any(not (32 <= b < 127) for b in data[:24]):
        return f"binary data ({data[:8].hex(' ')}...)"
    return repr(text + ("..." if len(data) > 24 else ""))


def serve_tcp(board, host: str, port: int, once: bool = False, ready=None, token: str | None = None,
              idle_timeout: float | None = IDLE_TIMEOUT, hello_timeout: float = HELLO_TIMEOUT,
              max_body: int | None = None, name: str = "board serve", server_box: list | None = None) -> dict:
    """Serve `board` on TCP (see TcpServer); `ready(address)` is called once listening
    (default: print it). `server_box`, if given, receives the TcpServer (to close() it)."""
    srv = TcpServer(board, host, port, token=token, idle_timeout=idle_timeout,
                    hello_timeout=hello_timeout, max_body=max_body, name=name)
    if server_box is not None:
        server_box.append(srv)
    (ready or announce)(srv.address)
    return srv.serve(once=once)


def serve_pty(board, once: bool = False, ready=None) -> dict:
    import tty
    master, slave = os.openpty()
    tty.setraw(slave)                      # bytes pass untouched (no echo, no CR/LF mapping)
    path = os.ttyname(slave)
    # Close our slave end: the master then reads EIO while no client has the device open,
    # which is how a disconnect is seen (--once).
    os.close(slave)
    (ready or announce)(path)
    stats = {"bytes_in": 0, "bytes_out": 0}
    try:
        pump(board, master, stats, hangup_ends=once)
    except KeyboardInterrupt:
        pass
    finally:
        os.close(master)
    return {"address": path, **stats}


def pump(board, fd: int, stats: dict, hangup_ends: bool = True, idle_poll: float = 0.05,
         first: bytes = b"", frame_limit: int | None = None,
         idle_timeout: float | None = None) -> str | None:
    """Move bytes between a client file descriptor and the board until the client goes away
    (returns None) or breaks a rule (returns why it was dropped): a run of more than
    `frame_limit` bytes without a 0x00, or no byte either way for `idle_timeout` seconds.
    `first`: bytes the client already sent.

    A reader thread drains the client all the time, so a client that writes a long burst
    before reading can never deadlock against the board, and the next requests arrive while
    the board (a C library that releases the GIL) is still busy with the previous ones. The
    main thread hands everything that has arrived to the board in one call and writes back
    what it answered. When the client leaves in the middle of a frame, the board gets a 0x00
    to end it, and whatever the board still answers is discarded."""
    os.set_blocking(fd, False)
    rxq: queue.Queue = queue.Queue()
    stop = threading.Event()
    last = [time.monotonic()]          # last byte either way (the idle clock)
    run = [0]                          # bytes since the client's last 0x00

    def accept(data: bytes) -> str | None:
        """Queue `data` for the board, or say why the client must go."""
        if frame_limit is not None:
            pieces = data.split(b"\x00")
            longest = run[0] + len(pieces[0]) if len(pieces) == 1 else max(
                run[0] + len(pieces[0]), *(len(p) for p in pieces[1:]))
            if longest > frame_limit:
                return (f"frame too long: more than {frame_limit} bytes without a 0x00 "
                        f"(the wire limit of the board's frames)")
            run[0] = run[0] + len(data) if len(pieces) == 1 else len(pieces[-1])
        rxq.put(data)
        return None

    def reader():
        seen = False
        why = accept(first) if first else None
        while why is None and not stop.is_set():
            try:
                r, _, _ = select.select([fd], [], [], idle_poll)
                if not r:
                    if idle_timeout is not None and time.monotonic() - last[0] > idle_timeout:
                        why = f"idle for more than {idle_timeout:g} s"
                    continue
                data = os.read(fd, 1 << 16)
            except BlockingIOError:
                continue
            except OSError as e:
                if e.errno == errno.EIO:      # pty: no client has the device open
                    if seen and hangup_ends:
                        break
                    time.sleep(idle_poll)
                    continue
                if e.errno in (errno.EBADF, errno.ECONNRESET):
                    break
                raise
            if not data:                      # TCP peer closed
                break
            seen = True
            last[0] = time.monotonic()
            why = accept(data)
        rxq.put(("end", why))

    t = threading.Thread(target=reader, name="lgn-serve-rx", daemon=True)
    t.start()
    board_run = 0                             # bytes the board got since its last 0x00
    reason = None
    # A board with idle() (the PYNQ agent's AxiBoard) answers in its own time: while it is
    # working, poll it for replies between the client's chunks. A board without it (the
    # virtual board, the reference board) has answered by the time write() returns.
    board_idle = getattr(board, "idle", None)
    busy = False
    try:
        while True:
            if busy:
                try:
                    item = rxq.get_nowait()
                except queue.Empty:
                    out = board.read(-1, 0.002)
                    if out:
                        stats["bytes_out"] += len(out)
                        last[0] = time.monotonic()
                        if not _send_all(fd, out):
                            return reason
                    busy = not board_idle()
                    continue
            else:
                item = rxq.get()
            chunks, end = [item], isinstance(item, tuple)
            while not end:
                try:
                    more = rxq.get_nowait()
                except queue.Empty:
                    break
                chunks.append(more)
                end = isinstance(more, tuple)
            if end:
                reason = chunks.pop()[1]
            data = b"".join(chunks)
            if data:
                stats["bytes_in"] += len(data)
                k = data.rfind(b"\x00")
                board_run = board_run + len(data) if k < 0 else len(data) - k - 1
                board.write(data)
                out = board.read(-1, 0.0)
                if out:
                    stats["bytes_out"] += len(out)
                    last[0] = time.monotonic()
                    if not _send_all(fd, out):
                        end = True
                busy = board_idle is not None and not board_idle()
            if end:
                return reason
    finally:
        stop.set()
        t.join(1.0)
        if board_run:
            board.write(b"\x00")              # end the half frame the client left behind
        _drain(board)


def _drain(board, quiet: float = 0.05, limit: float = 1.0) -> int:
    """Discard what the board still sends (answers to a client that has gone)."""
    n, end = 0, time.monotonic() + limit
    while time.monotonic() < end:
        out = board.read(-1, quiet)
        if not out:
            break
        n += len(out)
    return n


def _send_all(fd: int, data: bytes) -> bool:
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except BlockingIOError:
            select.select([], [fd], [], 1.0)
            continue
        except OSError as e:
            if e.errno in (errno.EIO, errno.EPIPE, errno.ECONNRESET):
                return False
            raise
        view = view[n:]
    return True
