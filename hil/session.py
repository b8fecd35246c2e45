# SPDX-License-Identifier: MIT
"""A board session: the client side of the link protocol (rtl/protocol/, docs/protocol.md).

    with hil.connect("sim") as board:
        board.info()                        # capabilities (exchanged on connect)
        board.load(net)                     # CONFIG + LOAD frames, refused up front if too big
        r = board.run(bits)                 # r.scores [n, classes], r.pred [n]
        r = board.run(bits, mode=1, layer=2)   # r.bits [n, width of layer 2]
        board.status(); board.stats

How it keeps the link busy and stays correct:
- Samples are packed once with numpy and cut into RUN frames as large as the board's
  max_body allows; up to `window` frames are in flight, so the board never waits for the host.
- The board answers every frame once, in order. A valid reply to a request therefore proves
  every request transmitted before it and still unanswered was lost: those are resent at
  once, by the same seq. Silence for `timeout` seconds (plus, on a serial link, the line
  time of the frames in flight) resends everything in flight. Each request is sent at most
  `retries` + 1 times, then LinkError says what went wrong.
- Every reply is checked (seq, type, exact length, CRC; a RUN reply's predictions must be
  the argmax of its scores and no score may exceed its group size); a reply that fails
  is treated as lost.
- When frames keep getting damaged the frame size halves (down to one sample or gate) and
  grows back after clean stretches, so a noisy link still makes progress.
- CONFIG carries a random non-zero tag; a board after power-up or RESET has tag 0. A RUN
  reply with another tag, or NOT_CONFIGURED, means the board lost the netlist: the session
  reloads it and redoes the affected batches (a bounded number of times).
- load() checks the netlist against INFO before a single byte of it is sent.
"""
from __future__ import annotations

import os
import struct
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from hil.transport import Transport, TransportError, open_transport, split_options, take_option
from host.netlist import Netlist, changed_gates
from rtl import protocol as P

DEFAULT_TIMEOUT = 2.0
DEFAULT_RETRIES = 12
DEFAULT_WINDOW = 4
MAX_RELOADS = 3
# update(): unchanged gates between two changed ones are re-sent when the gap is at most this
# (a LOAD frame's own overhead is about that many gate records)
UPDATE_GAP = 4


class LinkError(TransportError):
    """No valid reply after the bounded retries, or the link failed."""


class BoardError(RuntimeError):
    """The board rejected a command with a coded error reply (after retries)."""

    def __init__(self, msg: str, error: P.ErrorBody | None = None):
        super().__init__(msg)
        self.error = error


class CapacityError(ValueError):
    """The netlist does not fit the board; raised before anything is sent."""


class _BoardWasReset(Exception):
    pass


@dataclass
class LinkStats:
    bytes_sent: int = 0
    bytes_received: int = 0
    frames_sent: int = 0
    frames_received: int = 0
    retries: int = 0                 # frames sent again (same seq) or re-split
    timeouts: int = 0                # silences longer than `timeout` with frames in flight
    bad_frames: int = 0              # replies that failed COBS/CRC/length/consistency checks
    stale_replies: int = 0           # valid replies to requests already answered
    error_replies: dict = field(default_factory=dict)   # board error code name -> count
    reloads: int = 0                 # netlist reloads after a board reset
    link_time_s: float = 0.0         # wall time blocked in the transport (waiting on link/board)
    call_time_s: float = 0.0         # wall time inside the session's public calls
    run_frames: int = 0
    run_samples: int = 0
    engine_cycles: int = 0           # sum of the RUN replies' cycle counts (the RTL's own count)

    @property
    def host_time_s(self) -> float:
        """Wall time of the session's own work: packing, framing, checking (calls minus link)."""
        return max(0.0, self.call_time_s - self.link_time_s)

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        d["error_replies"] = dict(self.error_replies)
        d["host_time_s"] = round(self.host_time_s, 6)
        for k in ("link_time_s", "call_time_s"):
            d[k] = round(d[k], 6)
        return d


class RunOutput:
    """What run() returns: mode 0 -> scores int32 [n, classes], pred int64 [n];
    mode 1 -> bits uint8 [n, width]. `cycles`: engine cycles of each RUN frame."""

    def __init__(self, scores=None, pred=None, bits=None, cycles=None, samples_per_frame=None):
        self.scores, self.pred, self.bits = scores, pred, bits
        self.cycles = cycles if cycles is not None else []
        self.samples_per_frame = samples_per_frame if samples_per_frame is not None else []


class _Req:
    __slots__ = ("type", "body", "check", "done", "seq", "wire", "tries", "txn", "task", "per_frame")

    def __init__(self, ftype: int, body: bytes, check: Callable, done: Callable, task=None,
                 per_frame: int = 1):
        self.type, self.body, self.check, self.done, self.task = ftype, body, check, done, task
        self.per_frame = per_frame
        self.seq = -1
        self.wire = b""
        self.tries = 0
        self.txn = 0


class _BadReply(Exception):
    pass


def _timed(fn):
    """Count the wall time of a public call (not nested ones) into stats.call_time_s."""
    import functools

    @functools.wraps(fn)
    def wrapper(self, *a, **kw):
        if self._in_call:
            return fn(self, *a, **kw)
        self._in_call = True
        t0 = time.perf_counter()
        try:
            return fn(self, *a, **kw)
        finally:
            self.stats.call_time_s += time.perf_counter() - t0
            self._in_call = False
    return wrapper


class Session:
    _in_call = False

    def __init__(self, transport: Transport, timeout: float = DEFAULT_TIMEOUT,
                 retries: int = DEFAULT_RETRIES, window: int = DEFAULT_WINDOW,
                 max_body: int | None = None, connect_retries: int = 3):
        self.transport = transport
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.window = max(1, int(window))
        self.stats = LinkStats()
        self._decoder = P.FrameDecoder()
        self._seq = 0
        self._txn = 0
        self.net: Netlist | None = None
        self.tag = 0
        self._limit_override = max_body
        self._shrink = 1.0               # current fraction of the largest frame
        self._clean = 0
        self._info: P.Info | None = None
        r0 = self.retries
        self.retries = min(self.retries, connect_retries)
        try:
            self._info = self.info()
        finally:
            self.retries = r0
        if self._info.protocol_version != P.PROTOCOL_VERSION:
            raise LinkError(f"{transport.url}: board speaks protocol version "
                            f"{self._info.protocol_version}, this host speaks {P.PROTOCOL_VERSION}")
        self.max_body = min(self._info.max_body, max_body or self._info.max_body)
        self._decoder = P.FrameDecoder(self._info.max_body)

    # -- public API ---------------------------------------------------------------------
    @_timed
    def info(self) -> P.Info:
        info = self._single(P.Cmd.INFO, b"", lambda f: P.Info.unpack(f.body))
        self._info = info
        return info

    @_timed
    def status(self) -> P.Status:
        return self._single(P.Cmd.STATUS, b"", lambda f: P.Status.unpack(f.body))

    @_timed
    def reset(self) -> None:
        self._single(P.Cmd.RESET, b"", _expect_empty)
        self.tag = 0

    def check_capacity(self, net: Netlist) -> None:
        """Raise CapacityError naming every limit the netlist exceeds (nothing is sent)."""
        problems = capacity_problems(self._info, self.max_body, net)
        if problems:
            raise CapacityError(f"netlist ({net.inputs} inputs, widths {net.widths}, {net.gates} gates, "
                                f"{net.classes} classes) exceeds the board's capacity: "
                                + "; ".join(problems))

    @_timed
    def load(self, net: Netlist) -> None:
        """Configure the board for `net` and load every gate; verify with INFO."""
        net.validate()
        self.check_capacity(net)
        self.net = net
        self._load()

    @_timed
    def update(self, net: Netlist) -> int:
        """Bring the board to `net` sending only the gates that differ from the loaded
        netlist; a different shape (inputs, widths, classes) or no netlist yet is a full
        load(). The tag stays, so a board reset in between is still detected by RUN.
        Returns the number of gates sent."""
        net.validate()
        old = self.net
        if (old is None or self.tag == 0
                or (old.inputs, old.widths, old.classes) != (net.inputs, net.widths, net.classes)):
            self.load(net)
            return net.gates
        tasks = deque((k, first, count) for k, changed in enumerate(changed_gates(old, net))
                      for first, count in _ranges(changed, UPDATE_GAP))
        self.net = net
        sent = sum(t[2] for t in tasks)
        try:
            self._send_gates(tasks)
        except _BoardWasReset:
            self.stats.reloads += 1
            self._load()
            return net.gates
        return sent

    @_timed
    def run(self, bits, mode: int = P.RunMode.SCORES, layer: int = 0,
            packed: np.ndarray | None = None, progress: Callable[[int], None] | None = None
            ) -> RunOutput:
        """Evaluate samples on the board: bits uint8 [n, inputs] of 0/1 (or `packed`,
        uint8 [n, ceil(inputs/8)] from rtl.protocol.pack_samples). `progress(k)` is called
        with the number of samples each completed frame carried."""
        if self.net is None:
            raise ValueError("load a netlist before run()")
        net = self.net
        if packed is None:
            bits = np.asarray(bits)
            if bits.ndim != 2 or bits.shape[1] != net.inputs:
                raise ValueError(f"input bits must have shape [n, {net.inputs}], got {list(bits.shape)}")
            packed = P.pack_samples(bits)
        packed = np.ascontiguousarray(packed, dtype=np.uint8)
        n = packed.shape[0]
        if mode == P.RunMode.SCORES:
            out = RunOutput(scores=np.zeros((n, net.classes), np.int32), pred=np.zeros(n, np.int64))
            width = 0
        elif mode == P.RunMode.LAYER_BITS:
            if not 0 <= layer < len(net.layers):
                raise ValueError(f"layer {layer} out of range 0..{len(net.layers) - 1}")
            width = net.layers[layer].width
            out = RunOutput(bits=np.zeros((n, width), np.uint8))
        else:
            raise ValueError(f"run mode must be 0 (scores) or 1 (layer bits), got {mode}")
        per_frame = P.max_run_count(self.max_body, net.inputs, mode, net.classes, width)
        if per_frame < 1:
            raise CapacityError(f"a RUN frame of one sample does not fit max_body {self.max_body}")
        tasks = deque([(0, n)]) if n else deque()
        group = net.group_size

        def make(task):
            start, count = task
            count = min(count, self._frame_limit(per_frame))
            if count < task[1]:
                tasks.appendleft((start + count, task[1] - count))
            body = P.encode_run(mode, layer if mode else 0, packed[start:start + count])
            want = P.run_reply_bytes(mode, count, net.classes, width)

            def check(f):
                if len(f.body) != want:
                    raise _BadReply(f"RUN reply of {len(f.body)} bytes, expected {want}")
                r = P.decode_run_reply(f.body, mode, count, net.classes, width)
                if r.tag != self.tag:
                    raise _BoardWasReset(f"RUN reply carries tag {r.tag:#x}, expected {self.tag:#x}")
                if mode == P.RunMode.SCORES and count:
                    if r.scores.max() > group or (np.argmax(r.scores, axis=1) != r.pred).any():
                        raise _BadReply("RUN reply scores/predictions are inconsistent")
                return r

            def done(r):
                if mode == P.RunMode.SCORES:
                    out.scores[start:start + count] = r.scores
                    out.pred[start:start + count] = r.pred
                else:
                    out.bits[start:start + count] = r.bits
                out.cycles.append(r.cycles)
                out.samples_per_frame.append(count)
                if progress is not None:
                    progress(count)
                self.stats.run_frames += 1
                self.stats.run_samples += count
                self.stats.engine_cycles += r.cycles

            return _Req(P.Cmd.RUN, body, check, done, task=(start, count), per_frame=per_frame)

        reloads = 0
        while True:
            try:
                self._pipeline(tasks, make)
                return out
            except _BoardWasReset:
                reloads += 1
                if reloads > MAX_RELOADS:
                    raise LinkError(f"{self.transport.url}: the board lost its configuration "
                                    f"{reloads} times during one run; giving up") from None
                self.stats.reloads += 1
                self._load()

    def close(self) -> None:
        self.transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    @property
    def capacity(self) -> P.Info:
        return self._info

    # -- loading -------------------------------------------------------------------------
    def _load(self) -> None:
        net = self.net
        for attempt in range(MAX_RELOADS + 1):
            tag = 0
            while tag in (0, self.tag):
                tag = struct.unpack("<I", os.urandom(4))[0]
            cfg = P.Config(net.inputs, tuple(net.widths), net.classes, tag)
            self._single(P.Cmd.CONFIG, cfg.pack(), _expect_empty)
            self.tag = tag
            try:
                self._send_gates(deque((k, 0, layer.width) for k, layer in enumerate(net.layers)))
                if self.info().config_tag == self.tag:
                    return
            except _BoardWasReset:
                pass
            self.stats.reloads += 1
        raise LinkError(f"{self.transport.url}: the board keeps losing its configuration while "
                        f"loading ({MAX_RELOADS + 1} attempts)")

    def _send_gates(self, tasks: deque) -> None:
        """LOAD frames for `tasks` of (layer, first, count) gate ranges of self.net."""
        net = self.net
        per_frame = P.max_load_count(self.max_body)

        def make(task):
            k, first, count = task
            count = min(count, self._frame_limit(per_frame))
            if count < task[2]:
                tasks.appendleft((k, first + count, task[2] - count))
            lay = net.layers[k]
            sl = slice(first, first + count)
            body = P.encode_load(k, first, lay.a[sl], lay.b[sl], lay.op[sl])
            return _Req(P.Cmd.LOAD, body, _expect_empty, lambda r: None, task=(k, first, count),
                        per_frame=per_frame)

        self._pipeline(tasks, make)

    def _frame_limit(self, per_frame: int) -> int:
        return max(1, int(per_frame * self._shrink))

    # -- the engine room ----------------------------------------------------------------
    def _single(self, ftype: int, body: bytes, parse: Callable):
        box = []

        def check(f):
            try:
                return parse(f)
            except ValueError as e:
                raise _BadReply(str(e)) from None

        tasks = deque([None])
        self._pipeline(tasks, lambda _t: _Req(ftype, body, check, box.append))
        return box[0]

    def _next_seq(self, busy) -> int:
        for _ in range(256):
            s = self._seq
            self._seq = (self._seq + 1) & 0xFF
            if s not in busy:
                return s
        raise RuntimeError("no free sequence number")  # window <= 255, cannot happen

    def _pipeline(self, tasks: deque, make: Callable) -> None:
        """Send the requests `make(task)` builds from `tasks` (make may push remainders back),
        keeping up to `window` in flight, until every request has its valid reply."""
        inflight: dict[int, _Req] = {}
        redo: deque[_Req] = deque()
        try:
            self._pump(tasks, make, inflight, redo)
        except _BoardWasReset:
            for req in list(inflight.values()) + list(redo):   # redo them after the reload
                if req.task is not None:
                    tasks.appendleft(req.task)
            raise

    def _pump(self, tasks: deque, make: Callable, inflight: dict, redo: deque) -> None:
        stats = self.stats
        last_rx = time.monotonic()
        while tasks or inflight or redo:
            was_idle = not inflight
            out = []
            while (redo or tasks) and len(inflight) < self.window:
                req = redo.popleft() if redo else make(tasks.popleft())
                if req.seq < 0 or req.seq in inflight:
                    req.seq = self._next_seq(inflight)
                    req.wire = b"\x00" + P.encode_frame(req.seq, req.type, req.body)
                self._txn += 1
                req.txn = self._txn
                req.tries += 1
                inflight[req.seq] = req
                out.append(req.wire)
            if out:
                data = b"".join(out)
                t0 = time.perf_counter()
                self.transport.write(data)
                stats.link_time_s += time.perf_counter() - t0
                stats.bytes_sent += len(data)
                stats.frames_sent += len(out)
                if was_idle:
                    last_rx = time.monotonic()
            if not inflight:
                continue
            # Silence allowed: the timeout plus the line time of everything in flight (on a
            # slow serial link a large frame alone can take longer than the timeout).
            spb = self.transport.seconds_per_byte
            limit = self.timeout + (spb * sum(len(r.wire) for r in inflight.values()) * 2
                                    if spb else 0.0)
            wait = max(0.0, limit - (time.monotonic() - last_rx))
            t0 = time.perf_counter()
            data = self.transport.read(-1, min(wait, 0.25))
            stats.link_time_s += time.perf_counter() - t0
            if data:
                last_rx = time.monotonic()
                stats.bytes_received += len(data)
                for f in self._decoder.feed(data):
                    self._on_frame(f, inflight, redo, tasks)
            elif self.transport.synchronous or time.monotonic() - last_rx >= limit:
                stats.timeouts += 1
                last_rx = time.monotonic()
                for req in sorted(inflight.values(), key=lambda r: r.txn):
                    self._resend(req, inflight, redo, tasks, "no reply within "
                                 f"{self.timeout:g} s")

    def _on_frame(self, f, inflight: dict, redo: deque, tasks: deque) -> None:
        stats = self.stats
        if isinstance(f, P.BadFrame):
            stats.bad_frames += 1
            return
        stats.frames_received += 1
        req = inflight.get(f.seq)
        if f.type == P.TYPE_ERROR:
            try:
                err = P.ErrorBody.unpack(f.body)
            except ValueError:
                stats.bad_frames += 1
                return
            name = _err_name(err.code)
            stats.error_replies[name] = stats.error_replies.get(name, 0) + 1
            if req is None or err.offending_type != req.type:
                return                      # damaged frame with an untrusted echo: wait
            if err.code == P.Err.NOT_CONFIGURED and req.type in (P.Cmd.RUN, P.Cmd.LOAD):
                raise _BoardWasReset("board reports NOT_CONFIGURED")
            # A command the board rejects twice (BAD_LENGTH: 3 times, as a damaged frame can
            # also look short) is really rejected; frame-level errors are just resent.
            limit = 3 if err.code == P.Err.BAD_LENGTH else 2
            if err.code not in P.FRAME_ERRORS and req.tries >= limit:
                raise BoardError(f"{self.transport.url}: board rejected {P.Cmd(req.type).name} "
                                 f"(seq {req.seq}): {err.describe()}", err)
            self._resend(req, inflight, redo, tasks, f"board error {err.describe()}")
            return
        if req is None or f.type != (req.type | P.REPLY_FLAG):
            stats.stale_replies += 1
            return
        try:
            result = req.check(f)
        except _BadReply as e:
            stats.bad_frames += 1
            self._resend(req, inflight, redo, tasks, str(e))
            return
        del inflight[f.seq]
        req.done(result)
        if req.tries == 1:
            self._clean += 1
            if self._clean >= 16 and self._shrink < 1.0:
                self._shrink = min(1.0, self._shrink * 2)
                self._clean = 0
        # The board answers in order: anything sent before this request and unanswered is lost.
        for other in sorted(inflight.values(), key=lambda r: r.txn):
            if other.txn < req.txn:
                self._resend(other, inflight, redo, tasks, "reply lost or damaged")

    def _resend(self, req: _Req, inflight: dict, redo: deque, tasks: deque, why: str) -> None:
        if req.tries > self.retries:
            raise LinkError(f"{self.transport.url}: no valid reply to {P.Cmd(req.type).name} "
                            f"(seq {req.seq}) after {req.tries} attempts; last problem: {why}")
        self.stats.retries += 1
        self._clean = 0
        self._shrink = max(1e-6, self._shrink / 2)
        inflight.pop(req.seq, None)
        if req.task is not None and req.task[-1] > self._frame_limit(req.per_frame):
            tasks.appendleft(req.task)      # re-split into smaller frames (fresh seqs)
        else:
            redo.append(req)


def _ranges(idx: np.ndarray, gap: int) -> list[tuple[int, int]]:
    """Sorted indices -> (first, count) runs, joining runs at most `gap` apart."""
    if idx.size == 0:
        return []
    cut = np.flatnonzero(np.diff(idx) > gap + 1)
    starts = np.concatenate([[0], cut + 1])
    ends = np.concatenate([cut, [idx.size - 1]])
    return [(int(idx[s]), int(idx[e] - idx[s] + 1)) for s, e in zip(starts, ends)]


def _expect_empty(f) -> None:
    if f.body:
        raise _BadReply(f"expected an empty reply body, got {len(f.body)} bytes")


def _err_name(code: int) -> str:
    try:
        return P.Err(code).name
    except ValueError:
        return f"0x{code:02x}"


# Entry point ------------------------------------------------------------------------------

def connect(url: str, **kw) -> Session:
    """Open a board by URL (see hil.transport) and exchange INFO. Session options may also
    be given in the URL query: timeout=SECONDS, retries=N, window=N, max-body=BYTES."""
    base, opts = split_options(url)
    sess_kw = {}
    for key, conv, name in (("timeout", float, "timeout"), ("retries", int, "retries"),
                            ("window", int, "window"), ("max-body", int, "max_body")):
        value = take_option(opts, key, conv, None, url)
        if value is not None:
            sess_kw[name] = value
    sess_kw.update(kw)
    transport = open_transport(base, opts)
    try:
        return Session(transport, **sess_kw)
    except BaseException:
        transport.close()
        raise


def capacity_problems(i: P.Info, max_body: int, net: Netlist) -> list[str]:
    """Every limit of a board (its INFO and frame body) that `net` exceeds; [] when it fits."""
    widths = net.widths
    problems = []
    for what, need, have in (("inputs", net.inputs, i.max_inputs),
                             ("layers", len(widths), i.max_layers),
                             ("layer width", max(widths), i.max_width),
                             ("gate slots (each layer rounded up to a multiple of "
                              f"{i.gates_per_cycle})", P.gate_slots(widths, i.gates_per_cycle),
                              i.max_gates),
                             ("classes", net.classes, i.max_classes)):
        if need > have:
            problems.append(f"{what} {need} > {have}")
    if P.RUN_FIXED_BYTES + P.sample_bytes(net.inputs) > max_body:
        problems.append(f"one sample ({P.sample_bytes(net.inputs)} bytes) does not fit a "
                        f"frame body of {max_body} bytes")
    return problems
