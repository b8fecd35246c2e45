# SPDX-License-Identifier: MIT
"""Build a small C source into a shared library on first use and load it with ctypes.

Cached (host.cache) by source, compiler, flags and CPU: the flags include -march=native,
so a cache folder shared between machines (a network home) must not hand one CPU a
library built for another. No torch, no numpy: the PYNQ agent may import this.
"""
from __future__ import annotations

import ctypes
import os
import platform
import shutil
import subprocess
from pathlib import Path

from host.cache import cached, digest

# -ffp-contract=off: no FMA contraction, so float results do not depend on the CPU model.
DEFAULT_FLAGS = ("-O3", "-march=native", "-ffp-contract=off", "-shared", "-fPIC")


class BuildError(RuntimeError):
    pass


def cpu_id() -> str:
    """What -march=native depends on: the CPU model and its feature flags."""
    try:
        with open("/proc/cpuinfo") as f:
            lines = [ln for ln in f if ln.startswith(("model name", "flags", "Features", "CPU part"))]
        return "".join(sorted(set(lines)))
    except OSError:
        return f"{platform.machine()} {platform.processor()}"


def compiler() -> str | None:
    return os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")


def load_library(source: Path, flags: tuple[str, ...] = DEFAULT_FLAGS) -> ctypes.CDLL:
    cc = compiler()
    if not cc:
        raise BuildError("no C compiler (cc/gcc/clang) on PATH")
    name = f"{source.stem}.so"

    def make(folder: Path) -> None:
        r = subprocess.run([cc, *flags, str(source), "-o", str(folder / name)], capture_output=True,
                           text=True)
        if r.returncode:
            raise BuildError(f"building {source.name} failed: {r.stderr.strip()[:400]}")

    folder = cached("ckernel", digest(cc, list(flags), cpu_id(), files=[source]), make)
    return ctypes.CDLL(str(folder / name))
