# SPDX-License-Identifier: MIT
"""Byte transports to a board, chosen by URL (pyserial style). They move bytes only.

    sim                                   the virtual board in this process (boards.sim)
    sim?faults=stuck=0.02&fault-seed=1    ... with engine faults; also baud=N (UART in the loop)
    tcp://host:port?token=T               a served board (`lgn board serve --listen`, the PYNQ
                                          agent): TCP with the connection hello of docs/protocol.md
    socket://host:port, loop://, rfc2217://...   any pyserial URL handler
    /dev/ttyUSB0?baud=3000000, /dev/pts/N, COM3   a serial device through pyserial

Every transport has the same three verbs (the VirtualBoard's): `write(data)` sends all of
`data`; `read(max_bytes=-1, timeout=0.0)` waits up to `timeout` seconds for at least one byte
and returns what has arrived (b"" on timeout, at most `max_bytes` if > 0); `close()`.
Options a transport does not know are rejected with a message listing the ones it does.
"""
from __future__ import annotations

import abc
import os
import select
import socket
import time
from urllib.parse import parse_qsl, urlsplit

DEFAULT_BAUD = 3_000_000       # the engine UART's design rate on the ULX3S
_CHUNK = 1 << 16


class TransportError(OSError):
    """The link failed (closed, unreachable, device gone); the message says which."""


class Transport(abc.ABC):
    """Interface; subclasses implement _write/_read/_close.

    `synchronous` is True for in-process boards whose write() returns only after the board
    has answered everything it was sent: an empty read then means nothing more will come,
    so a session need not wait out its timeout."""
    url = ""
    synchronous = False
    seconds_per_byte = 0.0     # line time of one byte (serial: 10 bits / baud); 0: negligible

    def write(self, data) -> None:
        if data:
            self._write(bytes(data))

    def read(self, max_bytes: int = -1, timeout: float = 0.0) -> bytes:
        return self._read(max_bytes if max_bytes and max_bytes > 0 else _CHUNK, max(0.0, timeout))

    def close(self) -> None:
        self._close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"

    @abc.abstractmethod
    def _write(self, data: bytes) -> None:
        """Send all of `data` (each transport's own hook)."""

    @abc.abstractmethod
    def _read(self, max_bytes: int, timeout: float) -> bytes:
        """Up to `max_bytes` received bytes, waiting at most `timeout` s (each transport's hook)."""

    def _close(self) -> None:
        pass


# URL parsing ---------------------------------------------------------------------------------

def split_options(url: str) -> tuple[str, dict[str, str]]:
    """'/dev/ttyUSB0?baud=115200&timeout=1' -> ('/dev/ttyUSB0', {'baud': '115200', 'timeout': '1'})."""
    base, _, query = url.partition("?")
    opts = {}
    for k, v in parse_qsl(query, keep_blank_values=True, strict_parsing=False):
        opts[k.replace("_", "-")] = v
    return base, opts


def take_option(opts: dict, key: str, conv, default, url: str):
    """Pop option `key` from a board URL's options, converted by `conv` (one message for
    every bad value, whichever layer reads the option)."""
    if key not in opts:
        return default
    raw = opts.pop(key)
    try:
        return conv(raw)
    except ValueError:
        raise ValueError(f"board URL {url!r}: option {key}={raw!r} is not a valid "
                         f"{conv.__name__}") from None


def _reject_unknown(opts: dict, url: str, known: list[str]) -> None:
    if opts:
        raise ValueError(f"board URL {url!r}: unknown option(s) {', '.join(sorted(opts))} "
                         f"(this transport takes: {', '.join(known) or 'none'})")


def open_transport(url: str, opts: dict | None = None) -> Transport:
    """Open the transport for a board URL. `opts` (already split off the URL) is consumed."""
    if opts is None:
        url, opts = split_options(url)
    opts = dict(opts)
    scheme = urlsplit(url).scheme.lower() if "://" in url else ""
    if url == "sim" or scheme == "sim":
        return SimTransport.from_options(url, opts)
    if scheme == "tcp":
        return TcpTransport.from_url(url, opts)
    if scheme or url.startswith("/dev/") or url.upper().startswith("COM") or os.path.exists(url):
        return SerialTransport.from_url(url, opts)
    raise ValueError(f"unknown board URL {url!r}: use sim, tcp://host:port, socket://host:port, "
                     f"or a serial device such as /dev/ttyUSB0")


# The virtual board in-process ------------------------------------------------------------------

class ObjectTransport(Transport):
    """Any in-process object with the same verbs (write, read(max_bytes, timeout), close)."""

    def __init__(self, board, url: str = "", synchronous: bool = True):
        self.board = board
        self.url = url or type(board).__name__
        self.synchronous = synchronous

    def _write(self, data: bytes) -> None:
        self.board.write(data)

    def _read(self, max_bytes: int, timeout: float) -> bytes:
        return self.board.read(max_bytes, timeout)

    def _close(self) -> None:
        self.board.close()


class SimTransport(ObjectTransport):
    """boards.sim.VirtualBoard (the real RTL in Verilator) in this process."""

    def __init__(self, url: str = "sim", **params):
        try:
            from boards.sim import VirtualBoard
        except ImportError as e:
            raise TransportError(f"the virtual board is not available ({e})") from None
        super().__init__(VirtualBoard(**params), url)

    @classmethod
    def from_options(cls, url: str, opts: dict) -> "SimTransport":
        params = {}
        baud = take_option(opts, "baud", int, None, url)
        if baud is not None:
            params["baud"] = baud
        faults = take_option(opts, "faults", str, None, url)
        if faults:
            params["faults"] = faults
        seed = take_option(opts, "fault-seed", int, None, url)
        if seed is not None:
            params["fault_seed"] = seed
        top = take_option(opts, "top", str, None, url)
        if top:
            params.update(board_top(top, url))
            params.setdefault("baud", DEFAULT_BAUD)
        _reject_unknown(opts, url, ["baud", "faults", "fault-seed", "top"])
        return cls(url, **params)


def board_top(name: str, url: str) -> dict:
    """`sim?top=ulx3s-85f` (or `top=ulx3s`: the 85F): that board's top level and engine build
    in the virtual board, reached through its UART pins."""
    from boards import ulx3s
    from boards.registry import BOARDS
    name = "ulx3s-85f" if name == "ulx3s" else name
    board = BOARDS.get(name)
    if board is None or board.link != "uart":
        uart = [n for n, b in BOARDS.items() if b.link == "uart"]
        raise ValueError(f"board URL {url!r}: top={name!r} is not a UART board; "
                         f"known: ulx3s, {', '.join(uart)}")
    return {"engine": board.engine, "top": ulx3s.sim_top()}


# TCP -------------------------------------------------------------------------------------------

class TcpTransport(Transport):
    """A served board (`lgn board serve`, the PYNQ-Z2 agent) over TCP. It opens with the
    handshake of docs/protocol.md ("TCP connections"): it sends `lgn hello token=<token>` and
    waits for `ok`; `busy:` and `denied:` answers become one-line TransportErrors.

    The token is the URL's `token=` option, else the environment's LGN_BOARD_TOKEN, else
    none (the URL wins, so a script can override the environment; `token=` with nothing
    after it sends no token). `hello-timeout=S` (default 5) bounds the wait for the answer;
    `hello=0` skips the handshake (a plain TCP byte stream, as socket:// is)."""

    def __init__(self, host: str, port: int, connect_timeout: float = 5.0, url: str = "",
                 token: str | None = None, hello: bool = True, hello_timeout: float = 5.0):
        self.url = url or f"tcp://{host}:{port}"
        self._rx = b""                    # bytes that came with the answer line
        try:
            self.sock = socket.create_connection((host, port), timeout=connect_timeout)
        except OSError as e:
            raise TransportError(f"cannot connect to {self.url}: {e.strerror or e}") from None
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(True)
        self.sock.settimeout(None)
        if hello:
            try:
                self._hello(token, hello_timeout)
            except BaseException:
                self._close()
                raise

    @classmethod
    def from_url(cls, url: str, opts: dict) -> "TcpTransport":
        parts = urlsplit(url)
        if not parts.hostname or not parts.port:
            raise ValueError(f"board URL {url!r}: expected tcp://host:port")
        ct = take_option(opts, "connect-timeout", float, 5.0, url)
        ht = take_option(opts, "hello-timeout", float, 5.0, url)
        hello = take_option(opts, "hello", _yes_no, True, url)
        token = take_option(opts, "token", str, None, url)
        if token is None:
            token = os.environ.get("LGN_BOARD_TOKEN") or None
        _reject_unknown(opts, url, ["connect-timeout", "hello", "hello-timeout", "token"])
        return cls(parts.hostname, parts.port, ct, url.split("?")[0], token=token, hello=hello,
                   hello_timeout=ht)

    def _hello(self, token: str | None, timeout: float) -> None:
        from boards.server import HELLO_MAX, hello_line
        try:
            line = hello_line(token)
        except ValueError as e:
            raise ValueError(f"{self.url}: {e}") from None
        try:
            self.sock.sendall(line)
        except OSError:
            pass       # a server that refuses at once may have closed already: read its answer
        buf, end = b"", time.monotonic() + timeout
        while b"\n" not in buf and len(buf) < HELLO_MAX:
            left = end - time.monotonic()
            r, _, _ = select.select([self.sock], [], [], max(0.0, left))
            if not r:
                raise TransportError(f"{self.url}: no answer to the connection hello within "
                                     f"{timeout:g} s (is this `lgn board serve` or the PYNQ agent, "
                                     f"and is it serving?)")
            try:
                data = self.sock.recv(HELLO_MAX)
            except OSError as e:
                data = b""
                if not buf:
                    raise TransportError(f"{self.url}: the connection failed during the hello: "
                                         f"{e.strerror or e}") from None
            if not data:
                if not buf:
                    raise TransportError(f"{self.url}: the board closed the connection without "
                                         f"answering the hello")
                break
            buf += data
        answer, _, self._rx = buf.partition(b"\n")
        text = " ".join(answer.decode("utf-8", "replace").split())
        if text == "ok":
            return
        if text.startswith("busy:"):
            what = text[len("busy:"):].strip()
            raise TransportError(f"{self.url}: the board is busy ({what}); try again when it is free")
        if text.startswith("denied:"):
            why = text[len("denied:"):].strip()
            hint = ("; give it as tcp://HOST:PORT?token=... or in LGN_BOARD_TOKEN"
                    if "token" in why and "tcp://" not in why else "")
            raise TransportError(f"{self.url}: the board refused the connection: {why}{hint}")
        raise TransportError(f"{self.url}: unexpected answer to the connection hello: {text[:80]!r} "
                             f"(a plain TCP byte stream? then use hello=0 or socket://)")

    def _write(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise TransportError(f"{self.url}: send failed: {e.strerror or e}") from None

    def _read(self, max_bytes: int, timeout: float) -> bytes:
        if self._rx:
            out, self._rx = self._rx[:max_bytes], self._rx[max_bytes:]
            return out
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return b""
        try:
            data = self.sock.recv(max_bytes)
        except OSError as e:
            raise TransportError(f"{self.url}: receive failed: {e.strerror or e}") from None
        if not data:
            raise TransportError(f"{self.url}: the board closed the connection")
        return data

    def _close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def _yes_no(text: str) -> bool:
    t = text.strip().lower()
    if t in ("1", "yes", "true", "on"):
        return True
    if t in ("0", "no", "false", "off"):
        return False
    raise ValueError(text)


_yes_no.__name__ = "yes/no (1/0)"


# pyserial: serial devices and pyserial URL handlers --------------------------------------------

class SerialTransport(Transport):
    """A pyserial port. A real or pseudo terminal is read with select + os.read on its file
    descriptor (one system call per chunk); URL handlers (socket://, loop://) go through the
    pyserial API."""

    def __init__(self, port: str, baud: int = DEFAULT_BAUD, url: str = ""):
        import serial
        self.url = url or port
        try:
            self.ser = serial.serial_for_url(port, baudrate=baud, timeout=0, write_timeout=None,
                                             do_not_open=False)
        except (serial.SerialException, ValueError) as e:
            raise TransportError(f"cannot open {port}: {e}") from None
        self._timeout = 0.0
        self.seconds_per_byte = 10.0 / baud if baud else 0.0    # 8N1: 10 bits a byte
        self._fd = None
        if isinstance(self.ser, serial.Serial) and hasattr(self.ser, "fd"):
            self._fd = self.ser.fd
            from hil.latency_timer import tune
            from host.progress import log
            tune(port, log)
        try:
            self.ser.reset_input_buffer()
        except Exception:  # noqa: BLE001 - not every handler implements it
            pass

    @classmethod
    def from_url(cls, url: str, opts: dict) -> "SerialTransport":
        baud = take_option(opts, "baud", int, DEFAULT_BAUD, url)
        _reject_unknown(opts, url, ["baud"])
        return cls(url, baud, url)

    def _write(self, data: bytes) -> None:
        import serial
        if self._fd is not None:
            view = memoryview(data)
            while view:
                try:
                    n = os.write(self._fd, view)
                except BlockingIOError:
                    select.select([], [self._fd], [], 1.0)
                    continue
                except OSError as e:
                    raise TransportError(f"{self.url}: write failed: {e.strerror or e}") from None
                view = view[n:]
            return
        try:
            self.ser.write(data)
        except serial.SerialException as e:
            raise TransportError(f"{self.url}: write failed: {e}") from None

    def _read(self, max_bytes: int, timeout: float) -> bytes:
        import serial
        if self._fd is not None:
            r, _, _ = select.select([self._fd], [], [], timeout)
            if not r:
                return b""
            try:
                data = os.read(self._fd, max_bytes)
            except BlockingIOError:
                return b""
            except OSError as e:
                raise TransportError(f"{self.url}: read failed: {e.strerror or e}") from None
            if not data:
                raise TransportError(f"{self.url}: the device was closed")
            return data
        try:
            self._set_timeout(timeout)
            first = self.ser.read(1)
            if not first:
                return b""
            self._set_timeout(0.0)
            return first + self.ser.read(max_bytes - 1) if max_bytes > 1 else first
        except serial.SerialException as e:
            raise TransportError(f"{self.url}: read failed: {e}") from None

    def _set_timeout(self, t: float) -> None:
        if t != self._timeout:
            self.ser.timeout = t
            self._timeout = t

    def _close(self) -> None:
        try:
            self.ser.close()
        except Exception:  # noqa: BLE001
            pass


class Timer:
    """A deadline (the serialutil.Timeout idea): `left()` seconds remain, `expired()`."""

    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.end
