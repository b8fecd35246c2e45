# SPDX-License-Identifier: MIT
"""The PYNQ-Z2 agent's access to the engine's AXI4-Lite registers (rtl/axi_regs.py), and the
byte-stream board on top of it that boards.server serves.

Two implementations of one register-level interface (all offsets within the wrapper's
64 KiB window):

    hw.read(offset) -> int                 one 32-bit read
    hw.write(offset, value)                one 32-bit write
    hw.write_words(offset, words)          len(words) writes to the same offset (IN window)
    hw.read_words(offset, n) -> ndarray    n reads of the same offset (OUT window), uint32
    hw.wait(seconds)                       let the engine work (real time, or simulated clocks)

- `PynqHw`: on the board, `pynq.Overlay(bitfile)` and `pynq.MMIO(base, range)` (pynq is
  imported only here, inside it). A window transfer is one numpy slice assignment onto
  `mmio.array` covering consecutive words of the window (the wrapper treats every address of
  a window as the FIFO, so consecutive addresses are consecutive pushes/pops).
- `SimHw`: the Verilator model of rtl/hdl/lgn_axi_top.v behind a small AXI-Lite master
  (axi_harness.cpp), built and cached by rtl.verilator.library_build; for CI and laptops.

`AxiBoard(hw)` gives the `write(data)` / `read(max_bytes, timeout)` verbs of a byte stream
(those of boards.sim.VirtualBoard). numpy and the standard library only (no torch).
"""
from __future__ import annotations

import abc
import re
import time
from pathlib import Path

import numpy as np

from boards.pynq_z2 import ADDRESS_RANGE, BASE_ADDRESS, BITFILE, HERE, TOP, WRAPPER_PARAMETERS
from rtl import axi_regs as R

HDL = HERE.parents[1] / "rtl" / "hdl"


class HwError(RuntimeError):
    """The engine is not where it should be, or does not answer like it."""


class Hw(abc.ABC):
    """The register interface (see the module docstring): PynqHw and SimHw implement it."""

    @abc.abstractmethod
    def read(self, offset: int) -> int: ...

    @abc.abstractmethod
    def write(self, offset: int, value: int) -> None: ...

    @abc.abstractmethod
    def write_words(self, offset: int, words: np.ndarray) -> None: ...

    @abc.abstractmethod
    def read_words(self, offset: int, n: int) -> np.ndarray: ...

    def wait(self, seconds: float) -> None:
        """Let the engine run for about `seconds` (PynqHw: sleep)."""
        time.sleep(seconds)

    def close(self) -> None:
        pass

    def check_id(self) -> None:
        got = self.read(R.ID)
        if got != R.ID_VALUE:
            raise HwError(f"no lgn engine at the AXI address: ID reads 0x{got:08X}, "
                          f"expected 0x{R.ID_VALUE:08X} (wrong bitstream, or not loaded?)")


# On the board --------------------------------------------------------------------------------

class PynqHw(Hw):
    """The engine in the programmable logic, through PYNQ (3.1)."""

    def __init__(self, bitfile: str | Path | None = None, base: int | None = None,
                 size: int | None = None, download: bool = True):
        import pynq                        # only on the board
        bitfile = Path(bitfile or HERE / BITFILE)
        if download:
            if not bitfile.exists():
                raise HwError(f"no bitstream at {bitfile} (copy lgn_pynq.bit and lgn_pynq.hwh there)")
            self.overlay = pynq.Overlay(str(bitfile))
        self.base = int(base if base is not None else BASE_ADDRESS)
        self.size = int(size if size is not None else ADDRESS_RANGE)
        self.mmio = pynq.MMIO(self.base, self.size)
        self._array = self.mmio.array      # uint32 view of the window
        self.check_id()

    def read(self, offset: int) -> int:
        return int(self.mmio.read(offset))

    def write(self, offset: int, value: int) -> None:
        self.mmio.write(offset, int(value) & 0xFFFF_FFFF)

    def write_words(self, offset: int, words: np.ndarray) -> None:
        words = np.asarray(words, dtype=np.uint32)
        step = R.WINDOW_BYTES // 4 - (offset - R.IN_WINDOW) // 4
        i0 = offset // 4
        for k in range(0, len(words), step):      # a window holds 1024 consecutive words
            part = words[k:k + step]
            self._array[i0:i0 + len(part)] = part

    def read_words(self, offset: int, n: int) -> np.ndarray:
        out = np.empty(n, dtype=np.uint32)
        step = R.WINDOW_BYTES // 4 - (offset - R.OUT_WINDOW) // 4
        i0 = offset // 4
        for k in range(0, n, step):
            m = min(step, n - k)
            out[k:k + m] = self._array[i0:i0 + m]
        return out


# In Verilator ---------------------------------------------------------------------------------

_SIGNATURES = None


def _signatures() -> dict:
    import ctypes
    u32, u64, vp = ctypes.c_uint32, ctypes.c_uint64, ctypes.c_void_p
    return {"axi_new": (vp, []), "axi_free": (None, [vp]),
            "axi_read": (u32, [vp, u32]), "axi_write": (None, [vp, u32, u32, u32]),
            "axi_write_words": (None, [vp, u32, vp, u64]),
            "axi_read_words": (None, [vp, u32, vp, u64]),
            "axi_step": (None, [vp, u64]), "axi_cycles": (u64, [vp]), "axi_hung": (ctypes.c_int, [vp])}


def sim_engine():
    """The engine build SimHw simulates: the PYNQ-Z2's (boards.registry)."""
    from boards import registry
    return registry.get("pynq-z2").engine


def build(engine=None) -> Path:
    """The AXI harness library for this engine build with the bitstream's FIFO depths
    (rtl.verilator builds and caches it)."""
    from rtl import verilator as vl
    engine = engine or sim_engine()
    params = {**WRAPPER_PARAMETERS, **engine.parameters()}
    return vl.library_build(TOP, sorted(HDL.glob("*.v")), params, includes=[HDL], cflags="-O2",
                            harness=[HERE / "axi_harness.cpp"],
                            verilator_args=["-O3", "--x-assign", "fast", "--x-initial", "fast",
                                            "--noassert", "-Wno-fatal"],
                            link_variants=(("-DAXI_FAST_EVAL",), ()))


class SimHw(Hw):
    """lgn_axi_top in Verilator behind an AXI-Lite master: every access costs the bus clocks it
    would take; `wait(seconds)` clocks the model that long in simulated time (capped, so a
    polling host does not simulate minutes of idle)."""

    MAX_WAIT_CLOCKS = 4096

    def __init__(self, engine=None):
        from boards.sim import load_library
        self.engine = engine or sim_engine()
        self.clock_hz = self.engine.clock_hz
        self._so = load_library(build(self.engine), _signatures())
        self._h = self._so.axi_new()
        self.check_id()

    def _check(self) -> None:
        if self._h is None:
            raise HwError("SimHw is closed")

    def read(self, offset: int) -> int:
        self._check()
        return int(self._so.axi_read(self._h, offset))

    def write(self, offset: int, value: int) -> None:
        self.write_strobed(offset, value, 0xF)

    def write_strobed(self, offset: int, value: int, strobes: int) -> None:
        self._check()
        self._so.axi_write(self._h, offset, int(value) & 0xFFFF_FFFF, strobes)

    def write_words(self, offset: int, words: np.ndarray) -> None:
        self._check()
        words = np.ascontiguousarray(words, dtype=np.uint32)
        if len(words):
            self._so.axi_write_words(self._h, offset, words.ctypes.data, len(words))
        self._hang_check()

    def read_words(self, offset: int, n: int) -> np.ndarray:
        self._check()
        out = np.empty(n, dtype=np.uint32)
        if n:
            self._so.axi_read_words(self._h, offset, out.ctypes.data, n)
        self._hang_check()
        return out

    def wait(self, seconds: float) -> None:
        self._check()
        n = min(self.MAX_WAIT_CLOCKS, max(1, int(seconds * self.clock_hz)))
        self._so.axi_step(self._h, n)

    @property
    def cycles(self) -> int:
        self._check()
        return int(self._so.axi_cycles(self._h))

    def _hang_check(self) -> None:
        if self._so.axi_hung(self._h):
            raise HwError("the simulated AXI slave stopped answering (a handshake never came)")

    def close(self) -> None:
        if getattr(self, "_h", None) is not None:
            self._so.axi_free(self._h)
            self._h = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


# The byte stream on top -----------------------------------------------------------------------

_ZEROS = re.compile(b"\x00{2,}")


class AxiBoard:
    """The engine's byte stream over the register interface: what boards.server serves.

    write(data): packs bytes into words, low byte first, and pushes them into the IN window as
    fast as IN_FREE allows (reading replies out meanwhile, so the engine never stalls on a full
    OUT FIFO). A last partial word is sent only when it ends with a 0x00 (a frame's end), padded
    with 0x00 bytes: empty frames, which the engine ignores. Other tail bytes wait for the next
    write, so a frame split across writes is never cut by padding.

    read(max_bytes, timeout): OUT_COUNT words from the OUT window, as bytes; runs of 0x00 (the
    packer's padding after a frame's closing 0x00) are folded into one, as a COBS decoder would
    read them anyway. It waits up to `timeout` for a first byte, but returns at once when the
    engine is idle with both FIFOs empty (nothing more can come)."""

    POLL_S = 50e-6

    def __init__(self, hw: Hw, max_body: int | None = None):
        self.hw = hw
        self._tail = b""              # bytes of a partial word held back
        self._rx = bytearray()        # reply bytes read out, not yet returned
        self._last_zero = True        # the last byte returned was 0x00
        if max_body is None:
            eng = getattr(hw, "engine", None)
            max_body = eng.max_body if eng is not None else None
        self.max_body = max_body

    def reset(self) -> None:
        """CTRL reset: the engine, both FIFOs and the packer."""
        self.hw.write(R.CTRL, R.CTRL_RESET)
        self._tail, self._rx = b"", bytearray()

    def write(self, data) -> int:
        data = self._tail + bytes(data)
        whole = len(data) - len(data) % 4
        if whole < len(data) and data[-1] == 0:
            data += b"\x00" * (4 - len(data) % 4)
            whole = len(data)
        self._tail = data[whole:]
        words = np.frombuffer(data[:whole], dtype="<u4")
        k = 0
        while k < len(words):
            free = self.hw.read(R.IN_FREE)
            if free == 0:
                self._pull()
                self.hw.wait(self.POLL_S)
                continue
            self.hw.write_words(R.IN_WINDOW, words[k:k + free])
            k += free
        return len(data)

    def _pull(self) -> int:
        n = self.hw.read(R.OUT_COUNT)
        if n:
            raw = self.hw.read_words(R.OUT_WINDOW, n).astype("<u4").tobytes()
            self._rx += raw
        return n

    def idle(self) -> bool:
        """Nothing in flight: the engine idle, both FIFOs empty, no reply held here."""
        if self._rx:
            return False
        s = self.hw.read(R.STATUS)
        want = R.STATUS_IDLE | R.STATUS_IN_EMPTY | R.STATUS_OUT_EMPTY
        return s & want == want

    def read(self, max_bytes: int = -1, timeout: float = 0.0) -> bytes:
        end = time.monotonic() + max(0.0, timeout)
        while True:
            self._pull()
            out = self._take(max_bytes)
            if out or time.monotonic() >= end or self.idle():
                return out
            self.hw.wait(self.POLL_S)

    def _take(self, max_bytes: int) -> bytes:
        if not self._rx:
            return b""
        data = _ZEROS.sub(b"\x00", bytes(self._rx))
        if self._last_zero:
            data = data.lstrip(b"\x00")
        self._rx.clear()
        if not data:
            return b""
        if max_bytes is not None and 0 < max_bytes < len(data):
            self._rx += data[max_bytes:]
            data = data[:max_bytes]
        self._last_zero = data[-1] == 0
        return data

    def close(self) -> None:
        self.hw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
