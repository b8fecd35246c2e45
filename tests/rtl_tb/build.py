# SPDX-License-Identifier: MIT
"""Build the RTL testbenches once per parameter set and run cocotb test modules on them.

Builds live under $LGN_CACHE_DIR (or ~/.cache/lgn-hil)/cocotb/<name>-<hash of sources and
parameters>, made under a file lock, so the several pytest files that share a build (the
framer and the engine tests use the same small lgn_core) compile it once.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HDL = ROOT / "rtl" / "hdl"
TB = Path(__file__).resolve().parent

#: A small engine for cocotb: every limit is reachable with small, fast frames.
SMALL_CORE = dict(LANES=8, GATES_PER_CYCLE=4, MAX_INPUTS=64, MAX_WIDTH=64, MAX_LAYERS=4,
                  MAX_GATES=192, MAX_CLASSES=8, MAX_BODY=512, FRAME_BUFS=2, CLOCK_HZ=50_000_000)


class TbError(RuntimeError):
    pass


def _cache() -> Path:
    base = os.environ.get("LGN_CACHE_DIR")
    return (Path(base) if base else Path.home() / ".cache" / "lgn-hil") / "cocotb"


def build(name: str, top: str, sources: list[Path], parameters: dict) -> tuple[object, Path]:
    """-> (runner, build_dir) for `top` built from `sources` with `parameters`."""
    from cocotb_tools.runner import get_runner
    from rtl.verilator import claim_build_dir, environ as vl_environ, tool_env
    h = hashlib.sha256(json.dumps(parameters, sort_keys=True).encode())
    for s in sorted(sources) + sorted(HDL.glob("*.vh")) + sorted((HDL / "generated").glob("*.vh")):
        h.update(Path(s).read_bytes())
    bdir = _cache() / f"{name}-{h.hexdigest()[:16]}"
    bdir.parent.mkdir(parents=True, exist_ok=True)
    env = tool_env()
    runner = get_runner("verilator")
    with open(bdir.parent / f"{bdir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        claim_build_dir(bdir, env)
        with vl_environ(env):
            runner.build(sources=[str(s) for s in sources], hdl_toplevel=top, build_dir=str(bdir),
                         parameters=parameters, includes=[str(HDL)],
                         build_args=["-Wno-fatal", "--x-assign", "unique", "--x-initial", "unique"],
                         timescale=("1ns", "1ps"), always=False)
    return runner, bdir


def run(runner, bdir: Path, top: str, module: str, extra_env: dict | None = None) -> None:
    """Run cocotb test module `tests.rtl_tb.<module>`; raise TbError naming failed tests."""
    from cocotb_tools.runner import get_results
    from rtl.verilator import environ as vl_environ, tool_env
    env = tool_env()
    extra = {"PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    extra.update(extra_env or {})
    work = bdir / f"run-{module}"
    work.mkdir(exist_ok=True)
    try:
        with vl_environ(env):
            xml = runner.test(test_module=f"tests.rtl_tb.{module}", hdl_toplevel=top,
                              hdl_toplevel_lang="verilog", build_dir=str(bdir), test_dir=str(work),
                              extra_env=extra)
    except SystemExit as e:     # cocotb's runner exits when a test fails
        raise TbError(f"cocotb tests in {module} failed (exit {e.code}); see the log above") from None
    total, failed = get_results(xml)
    if total == 0 or failed:
        raise TbError(f"{failed} of {total} cocotb tests in {module} failed (see the log above, {xml})")


def small_core():
    sources = sorted(HDL.glob("lgn_*.v"))
    return build("core-small", "lgn_core", sources, SMALL_CORE)
