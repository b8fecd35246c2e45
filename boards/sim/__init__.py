# SPDX-License-Identifier: MIT
"""The virtual board: the real engine RTL (rtl/hdl/lgn_core.v) compiled with Verilator into a
shared library with a small C++ harness (harness.cpp), loaded with ctypes.

    vb = VirtualBoard()                  # default capacity, bytes straight into the core
    vb.write(frame_bytes)                # clocks the RTL until it has taken every byte and
    reply = vb.read()                    # gone idle; read() returns what it sent back
    vb.cycles                            # simulated clock cycles so far

It speaks the link protocol byte for byte like a board behind a UART, but moves bytes in
bulk: one C call clocks the RTL as many cycles as the bytes need. `baud=N` puts the real
UART RTL in the loop at N baud (simulated time; for link-timing studies, ~170 clocks a byte
at 3 Mbaud and 50 MHz). `faults="stuck=0.02,flip=0.001"` with `fault_seed` makes the
simulated board imperfect in ways the host cannot read back: a fraction of the gate slots
output a constant, and every gate output bit flips with a probability per evaluation.

Builds are made and cached by rtl.verilator.library_build (by design parameters and source
contents), so parallel processes build one parameter set once.
"""
from __future__ import annotations

import ctypes
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rtl import verilator as vl
from rtl.engine import Engine

HERE = Path(__file__).resolve().parent
HDL = HERE.parents[1] / "rtl" / "hdl"
TOP = "lgn_sim_top"

#: The virtual board's engine build: holds the digits (512 inputs, 4 x 2,000) and mnist5k
#: (2,352 inputs, 4 x 8,000) netlists; its byte stream moves 8 bytes a clock each way and a
#: RUN overlaps the previous reply (fewer simulated clocks per sample; RUN cycle counts are
#: the boards'), and it has the fault-injection logic.
ENGINE = Engine(in_bytes_per_clk=8, out_bytes_per_clk=8, result_bufs=2, faults=1)
LOCKUP_CLOCKS = 100_000_000   # idle-wait budget per write() beyond what the bytes need


class SimLockup(RuntimeError):
    """The RTL did not go idle within a generous clock budget: a lock-up in the design."""


class SimBuildError(RuntimeError):
    pass


@dataclass(frozen=True)
class SimTop:
    """A top level the harness runs: one with the virtual board's ports
    (rtl/hdl/lgn_sim_ports.vh), such as a board's top in a wrapper (boards/ulx3s)."""
    module: str
    sources: tuple


SIM_TOP = SimTop(TOP, tuple(sorted(HDL.glob("*.v"))))


def build(engine: Engine = ENGINE, baud: int = 0, top: SimTop = SIM_TOP) -> Path:
    """The harness library for this engine build (rtl.verilator builds and caches it)."""
    if top != SIM_TOP and not baud:
        raise ValueError(f"{top.module} is reached through its UART: give a baud rate")
    if baud and (engine.in_bytes_per_clk, engine.out_bytes_per_clk) != (1, 1):
        raise ValueError("behind a UART the engine takes and sends one byte a clock: "
                         "use in_bytes_per_clk = out_bytes_per_clk = 1 (uart_engine())")
    p = engine.parameters()
    flip_bits = engine.gates_per_cycle * engine.lanes
    defines = (f"-DVB_BAUD={baud} -DVB_CLK_HZ={engine.clock_hz} -DVB_FLIP_BITS={flip_bits} "
               f"-DVB_IN_BYTES={engine.in_bytes_per_clk} -DVB_OUT_BYTES={engine.out_bytes_per_clk}")
    try:
        return vl.library_build(top.module, list(top.sources), {**p, "BAUD": baud}, model=f"V{TOP}",
                                includes=[HDL], cflags=f"-O2 {defines}", harness=[HERE / "harness.cpp"],
                                verilator_args=["-O3", "--x-assign", "fast", "--x-initial", "fast",
                                                "--noassert", "-Wno-fatal"],
                                # the fast eval path needs this Verilator's internals; the
                                # plain eval() path always links
                                link_variants=(("-DVB_FAST_EVAL",), ()))
    except vl.BuildError as e:
        raise SimBuildError(str(e)) from None


def uart_engine(engine: Engine = ENGINE) -> Engine:
    """`engine` as the build behind a UART: one byte a clock each way."""
    return engine.replace(in_bytes_per_clk=1, out_bytes_per_clk=1)


_U64, _VP = ctypes.c_uint64, ctypes.c_void_p

#: The C API of harness.cpp: name -> (restype, argtypes).
_SIGNATURES = {
    "vb_new": (_VP, [_U64]), "vb_free": (None, [_VP]),
    "vb_write": (None, [_VP, ctypes.c_char_p, _U64]), "vb_read": (_U64, [_VP, _VP, _U64]),
    "vb_pending_out": (_U64, [_VP]), "vb_cycles": (_U64, [_VP]), "vb_step": (_U64, [_VP, _U64]),
    "vb_stuck": (None, [_VP, ctypes.c_uint32, ctypes.c_int, ctypes.c_int]),
    "vb_flip": (None, [_VP, ctypes.c_double]), "vb_fast_eval": (ctypes.c_int, []),
}

_LIBS: dict[Path, ctypes.CDLL] = {}


def load_library(lib: Path, signatures: dict) -> ctypes.CDLL:
    """A harness library built by rtl.verilator.library_build, loaded once per process, with
    the C API `signatures` (name -> (restype, argtypes)) declared. The PYNQ agent's SimHw
    loads its AXI harness through this too."""
    if lib not in _LIBS:
        so = ctypes.CDLL(str(lib))
        for name, (restype, argtypes) in signatures.items():
            fn = getattr(so, name)
            fn.restype = restype
            fn.argtypes = argtypes
        _LIBS[lib] = so
    return _LIBS[lib]


def parse_faults(spec: str | None) -> dict:
    """'stuck=0.02,flip=0.001' -> {'stuck': 0.02, 'flip': 0.001}; ValueError names the problem."""
    out = {"stuck": 0.0, "flip": 0.0}
    if not spec:
        return out
    for part in str(spec).split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, val = part.partition("=")
        name = name.strip()
        if not sep or name not in out:
            raise ValueError(f"bad fault spec {part!r}: expected stuck=FRACTION and/or flip=PROBABILITY")
        try:
            x = float(val)
        except ValueError:
            raise ValueError(f"bad fault spec {part!r}: {val!r} is not a number") from None
        if not 0.0 <= x <= 1.0:
            raise ValueError(f"bad fault spec {part!r}: must be within 0..1")
        out[name] = x
    return out


class VirtualBoard:
    """The engine RTL in Verilator, behind the link protocol's byte stream."""

    def __init__(self, engine: Engine | None = None, baud: int | None = None,
                 faults: str | None = None, fault_seed: int = 0, top: SimTop = SIM_TOP):
        self.baud = int(baud) if baud else 0
        self.top = top
        self.engine = engine or (uart_engine() if self.baud else ENGINE)
        self.clock_hz = self.engine.clock_hz
        self.faults = parse_faults(faults)
        self.fault_seed = int(fault_seed)
        if not self.engine.faults and any(self.faults.values()):
            raise ValueError("this engine build has no fault injection (faults = 0)")
        self._so = load_library(build(self.engine, self.baud, top), _SIGNATURES)
        self._h = self._so.vb_new(self.fault_seed * 2 + 1)
        self._apply_faults()
        self._buf = ctypes.create_string_buffer(1 << 16)

    def _apply_faults(self) -> None:
        rng = np.random.default_rng(self.fault_seed)
        slots = self.engine.max_gates
        if self.faults["stuck"] > 0:
            n = int(round(self.faults["stuck"] * slots))
            for s, v in zip(rng.choice(slots, n, replace=False), rng.integers(0, 2, n)):
                self._so.vb_stuck(self._h, int(s), 1, int(v))
        if self.faults["flip"] > 0:
            self._so.vb_flip(self._h, float(self.faults["flip"]))

    # -- byte stream ------------------------------------------------------------------------
    def write(self, data: bytes) -> int:
        """Queue `data` for the board and clock the RTL until it has taken it all and is idle."""
        self._check_open()
        data = bytes(data)
        if data:
            self._so.vb_write(self._h, data, len(data))
        # every byte in, and the largest reply out, at the link's pace, plus the engine
        per_byte = 20 * (self.clock_hz / self.baud if self.baud else 1)
        budget = int(LOCKUP_CLOCKS + per_byte * (len(data) + 2 * self.engine.max_body + 64))
        ran = self._so.vb_step(self._h, budget)
        if ran >= budget:
            raise SimLockup(f"the virtual board was still busy after {ran:,} clocks "
                            f"({len(data)} bytes written): the RTL is locked up")
        return len(data)

    def read(self, max_bytes: int = -1, timeout: float = 0.0) -> bytes:
        """The bytes the board has sent (at most max_bytes; -1: all). Never blocks: the RTL
        already ran to idle in write(), so `timeout` is accepted for transport symmetry only."""
        self._check_open()
        avail = self._so.vb_pending_out(self._h)
        n = avail if max_bytes is None or max_bytes < 0 else min(avail, max_bytes)
        if n == 0:
            return b""
        if n > len(self._buf):
            self._buf = ctypes.create_string_buffer(int(n))
        got = self._so.vb_read(self._h, self._buf, n)
        return self._buf.raw[:got]

    @property
    def in_waiting(self) -> int:
        return 0 if self._h is None else int(self._so.vb_pending_out(self._h))

    @property
    def cycles(self) -> int:
        """Simulated clock cycles since power-up (fault set-up excluded)."""
        self._check_open()
        return int(self._so.vb_cycles(self._h))

    @property
    def seconds(self) -> float:
        """Simulated time at the board's clock."""
        return self.cycles / self.clock_hz

    def close(self) -> None:
        if getattr(self, "_h", None) is not None:
            self._so.vb_free(self._h)
            self._h = None

    def _check_open(self) -> None:
        if self._h is None:
            raise ValueError("virtual board is closed")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        link = f"uart {self.baud} baud" if self.baud else "byte stream"
        return f"VirtualBoard({link}, {self.engine})"
