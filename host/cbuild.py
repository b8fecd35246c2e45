# SPDX-License-Identifier: MIT
"""Build a small C source into a shared library on first use and load it with ctypes.

Cached by (source, compiler, flags) hash under $LGN_CACHE_DIR or ~/.cache/lgn-hil; the
library is written under a temporary name and renamed, so parallel builds never see half
a file. No torch, no numpy: the PYNQ agent may import this.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

# -ffp-contract=off: no FMA contraction, so float results do not depend on the CPU model.
DEFAULT_FLAGS = ("-O3", "-march=native", "-ffp-contract=off", "-shared", "-fPIC")


class BuildError(RuntimeError):
    pass


def cache_dir() -> Path:
    d = os.environ.get("LGN_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "lgn-hil")
    return Path(d)


def compiler() -> str | None:
    return os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")


def load_library(source: Path, flags: tuple[str, ...] = DEFAULT_FLAGS) -> ctypes.CDLL:
    cc = compiler()
    if not cc:
        raise BuildError("no C compiler (cc/gcc/clang) on PATH")
    src = source.read_bytes()
    key = hashlib.sha256(src + " ".join([cc, *flags]).encode()).hexdigest()[:16]
    out = cache_dir() / f"{source.stem}-{key}.so"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
            tmp_so = Path(tmp) / out.name
            r = subprocess.run([cc, *flags, str(source), "-o", str(tmp_so)], capture_output=True, text=True)
            if r.returncode:
                raise BuildError(f"building {source.name} failed: {r.stderr.strip()[:400]}")
            os.replace(tmp_so, out)
    return ctypes.CDLL(str(out))
