# SPDX-License-Identifier: MIT
"""The board side of a served board: a byte stream between a board object (write/read, such
as boards.sim.VirtualBoard) and one client at a time on a TCP socket or a pseudo-terminal.
`lgn board serve` runs it; tests run it in a thread."""
from __future__ import annotations

import errno
import os
import select
import socket
import time

from host.progress import log


def announce(address: str) -> None:
    """The address goes to stdout alone on its line (scripts read it), the rest to stderr."""
    print(address, flush=True)
    log(f"board serve: serving the virtual board at {address} (Ctrl-C to stop)")


def serve_tcp(board, host: str, port: int, once: bool = False, ready=None) -> dict:
    srv = socket.create_server((host, port))
    addr = f"tcp://{host}:{srv.getsockname()[1]}"
    (ready or announce)(addr)
    clients = 0
    stats = {"bytes_in": 0, "bytes_out": 0}
    try:
        while True:
            conn, peer = srv.accept()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            clients += 1
            log(f"board serve: client {peer[0]}:{peer[1]} connected")
            try:
                pump(board, conn.fileno(), stats)
            finally:
                conn.close()
            log("board serve: client disconnected")
            if once:
                break
    except KeyboardInterrupt:
        pass
    finally:
        srv.close()
    return {"address": addr, "clients": clients, **stats}


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


def pump(board, fd: int, stats: dict, hangup_ends: bool = True, idle_poll: float = 0.05) -> None:
    """Move bytes between a client file descriptor and the board until the client goes away.

    A reader thread drains the client all the time, so a client that writes a long burst
    before reading can never deadlock against the board, and the next requests arrive while
    the board (a C library that releases the GIL) is still busy with the previous ones. The
    main thread hands everything that has arrived to the board in one call and writes back
    what it answered."""
    import queue
    import threading
    os.set_blocking(fd, False)
    rxq: queue.Queue = queue.Queue()
    stop = threading.Event()

    def reader():
        seen = False
        while not stop.is_set():
            try:
                r, _, _ = select.select([fd], [], [], idle_poll)
                if not r:
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
            rxq.put(data)
        rxq.put(None)

    t = threading.Thread(target=reader, name="lgn-serve-rx", daemon=True)
    t.start()
    try:
        while True:
            first = rxq.get()
            chunks, end = [first], first is None
            while not end:
                try:
                    more = rxq.get_nowait()
                except queue.Empty:
                    break
                chunks.append(more)
                end = more is None
            data = b"".join(c for c in chunks if c)
            if data:
                stats["bytes_in"] += len(data)
                board.write(data)
                out = board.read(-1, 0.0)
                if out:
                    stats["bytes_out"] += len(out)
                    if not _send_all(fd, out):
                        return
            if end:
                return
    finally:
        stop.set()
        t.join(1.0)


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
