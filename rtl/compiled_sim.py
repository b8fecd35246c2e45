# SPDX-License-Identifier: MIT
"""Run compiled netlists in Verilator through cocotb and compare with the software model.

Many designs share one Verilator build: `build()` writes each design's Verilog and a
wrapper top (`lgn_tb_top`) that gives design i its own ports `d<i>_*`; `run()` drives them
all at once with rtl/cocotb_tb.py and returns each design's scores and predicted classes.
`verify()` does both and counts mismatches against `host.softmodel.SoftModel`.
"""
from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from host.netlist import Netlist
from host.softmodel import SoftModel, predict_from_scores
from rtl.gen_verilog import RtlDesign
from rtl.verilator import ToolchainError, claim_build_dir, tool_env
from rtl.verilator import environ as vl_environ

TOP = "lgn_tb_top"
ROOT = Path(__file__).resolve().parents[1]


class SimError(RuntimeError):
    """The Verilator build or the cocotb run failed; the tools' output went to stderr."""


@dataclass
class SimResult:
    scores: np.ndarray   # int32 [n, classes] as seen on out_scores
    classes: np.ndarray  # int64 [n] as seen on out_class


def wrapper_verilog(designs: list[RtlDesign]) -> str:
    """A top that instantiates every design with its own prefixed ports."""
    ports = ["    input  wire clk,", "    input  wire rst"]
    body = []
    for i, d in enumerate(designs):
        ports[-1] += ","
        ports += [f"    input  wire d{i}_in_valid,",
                  f"    input  wire [{d.inputs - 1}:0] d{i}_in_bits,",
                  f"    output wire d{i}_out_valid,",
                  f"    output wire [{d.classes * d.score_width - 1}:0] d{i}_out_scores,",
                  f"    output wire [{d.class_width - 1}:0] d{i}_out_class"]
        body.append(f"    {d.top} u{i} (.clk(clk), .rst(rst), .in_valid(d{i}_in_valid), "
                    f".in_bits(d{i}_in_bits), .out_valid(d{i}_out_valid), "
                    f".out_scores(d{i}_out_scores), .out_class(d{i}_out_class));")
    return "\n".join(["// SPDX-License-Identifier: MIT",
                      "// Generated test wrapper: one set of ports per compiled netlist.",
                      f"module {TOP} (", *ports, ");", *body, "endmodule", ""])


def build(designs: list[RtlDesign], build_dir: str | os.PathLike, waves: str | None = None,
          quiet: bool = True, fast_compile: bool = True):
    """Write the sources and build one Verilator model for all `designs`; returns the runner."""
    from cocotb_tools.runner import get_runner
    build_dir = Path(build_dir).resolve()
    src = build_dir / "src"
    src.mkdir(parents=True, exist_ok=True)
    tops = [d.top for d in designs]
    if len(set(tops)) != len(tops):
        raise ValueError(f"designs in one build need distinct module names, got {tops}")
    files = []
    for d in designs:
        p = src / f"{d.top}.v"
        _write_if_changed(p, d.verilog)
        files.append(p)
    w = src / f"{TOP}.v"
    _write_if_changed(w, wrapper_verilog(designs))
    files.append(w)
    env = tool_env()
    if fast_compile:
        # These models run for a few thousand cycles: compiling the C++ without
        # optimisation saves far more time than it costs.
        env["MAKEFLAGS"] += " OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O0"
    runner = get_runner("verilator")
    runner.env = env  # not used by every cocotb version; os.environ below is what counts
    args = ["-Wno-fatal", "-Wno-DECLFILENAME", "-Wno-UNUSEDSIGNAL"]
    if waves == "fst":
        if not any(Path(p, "lz4.h").exists() for p in ("/usr/include", "/usr/local/include")):
            raise ToolchainError("FST waveforms need the lz4 headers for Verilator's FST writer "
                                 "(Debian: apt-get install liblz4-dev); use --waves vcd instead")
        args.append("--trace-fst")
    elif waves not in (None, "vcd"):
        raise ValueError(f"waves must be 'vcd' or 'fst', got {waves!r}")
    claim_build_dir(build_dir, env)
    rt_key = _runtime_key(env, waves)
    _restore_runtime(build_dir, rt_key)
    try:
        with vl_environ(env), _maybe_quiet(quiet):
            runner.build(sources=[str(f) for f in files], hdl_toplevel=TOP, build_dir=str(build_dir),
                         build_args=args, waves=waves is not None, always=False)
    except (RuntimeError, SystemExit) as e:
        raise SimError(f"the Verilator build in {build_dir} failed ({e}); its output is above") from None
    _save_runtime(build_dir, rt_key)
    return runner


# -- Verilator runtime objects, compiled once ------------------------------------------------------
# Every build compiles Verilator's runtime (verilated.cpp, verilated_vpi.cpp, ...) again, which
# costs more than a small design itself. Those objects depend only on the Verilator version,
# the compiler flags and the trace setting, never on the design, so they are kept in a cache
# and copied into a new build folder, dated so that make sees them up to date. (cocotb's main,
# verilator.o, includes the model's header and is always rebuilt.)
_RUNTIME_OBJECTS = ("verilated.o", "verilated_dpi.o", "verilated_vpi.o", "verilated_threads.o",
                    "verilated_vcd_c.o", "verilated_fst_c.o")


def _runtime_key(env: dict, waves: str | None) -> str:
    import hashlib
    from rtl.verilator import verilator_root
    root = verilator_root()
    stamp = os.stat(root / "include" / "verilated.cpp").st_mtime_ns
    text = f"{root}|{stamp}|{env.get('MAKEFLAGS', '')}|{waves}|{env.get('CXX', '')}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _runtime_cache(key: str) -> Path:
    base = Path(os.environ.get("LGN_CACHE_DIR", Path.home() / ".cache" / "lgn-hil"))
    return base / "verilator-runtime" / key


def _restore_runtime(build_dir: Path, key: str) -> None:
    import shutil
    cache = _runtime_cache(key)
    if not cache.is_dir():
        return
    for name in _RUNTIME_OBJECTS:
        src, dst = cache / name, build_dir / name
        if src.exists() and not dst.exists():
            shutil.copy2(src, dst)
            # verilated.mk makes these objects depend on Vtop.mk, which Verilator rewrites
            # just before make runs: date them a few minutes ahead so make keeps them
            # (make may print a clock-skew warning into the quiet build log)
            t = time.time() + 600
            os.utime(dst, (t, t))


def _save_runtime(build_dir: Path, key: str) -> None:
    import shutil
    cache = _runtime_cache(key)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        for name in _RUNTIME_OBJECTS:
            src = build_dir / name
            if src.exists() and not (cache / name).exists():
                tmp = cache / f".{name}.{os.getpid()}"
                shutil.copy2(src, tmp)
                os.replace(tmp, cache / name)
    except OSError:
        pass  # a cache is an optimisation only


def run(runner, build_dir: str | os.PathLike, designs: list[RtlDesign], inputs: list[np.ndarray],
        idle: float = 0.0, seed: int = 1, waves: bool = False, quiet: bool = True) -> list[SimResult]:
    """Drive `inputs[i]` (uint8 [n_i, inputs]) into design i; return what came out."""
    build_dir = Path(build_dir).resolve()
    work = build_dir / "run"
    work.mkdir(parents=True, exist_ok=True)
    spec = {"seed": seed, "idle": idle, "designs": []}
    for i, (d, x) in enumerate(zip(designs, inputs)):
        x = np.asarray(x, dtype=np.uint8)
        if x.ndim != 2 or x.shape[1] != d.inputs:
            raise ValueError(f"design {i}: inputs must have shape [n, {d.inputs}], got {list(x.shape)}")
        ip, op = work / f"in{i}.npy", work / f"out{i}.npz"
        np.save(ip, x)
        if op.exists():
            op.unlink()
        spec["designs"].append({"inputs": str(ip), "outputs": str(op), "score_width": d.score_width,
                                "classes": d.classes, "latency": d.latency})
    spec_path = work / "spec.json"
    spec_path.write_text(json.dumps(spec))
    env = tool_env()
    extra = {"LGN_TB_SPEC": str(spec_path),
             "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    with vl_environ(env), _maybe_quiet(quiet):
        results_xml = runner.test(test_module="rtl.cocotb_tb", hdl_toplevel=TOP,
                                  hdl_toplevel_lang="verilog", build_dir=str(build_dir),
                                  test_dir=str(work), extra_env=extra, waves=waves)
    out = []
    for i in range(len(designs)):
        op = work / f"out{i}.npz"
        if not op.exists():
            raise SimError(f"the cocotb testbench wrote no results (see {results_xml} and the log above)")
        z = np.load(op)
        out.append(SimResult(z["scores"], z["classes"]))
    return out


@dataclass
class Check:
    samples: int
    mismatches: int          # samples whose scores or class differ, or that never came out
    score_mismatches: int
    class_mismatches: int
    missing: int             # samples that did not come out (or extra ones that did)
    sim_scores: np.ndarray


def compare(net: Netlist, bits: np.ndarray, got: SimResult) -> Check:
    """Compare one design's simulation output with the software model, sample by sample."""
    ref = SoftModel(net).scores(bits)
    ref_cls = predict_from_scores(ref)
    n = len(ref)
    m = min(n, len(got.scores))
    sbad = (got.scores[:m] != ref[:m]).any(axis=1) if m else np.zeros(0, bool)
    cbad = (got.classes[:m] != ref_cls[:m]) if m else np.zeros(0, bool)
    missing = abs(n - len(got.scores))
    return Check(samples=n, mismatches=int((sbad | cbad).sum()) + missing,
                 score_mismatches=int(sbad.sum()), class_mismatches=int(cbad.sum()),
                 missing=missing, sim_scores=got.scores)


# -- helpers ---------------------------------------------------------------------------------------
def _write_if_changed(path: Path, text: str) -> None:
    if path.exists() and path.read_text() == text:
        return  # keeps the runner's up-to-date check (and the build) cached
    path.write_text(text)


@contextlib.contextmanager
def _maybe_quiet(quiet: bool):
    """Send the tools' chatter (fd 1 and 2) to a log file unless asked not to."""
    if not quiet:
        yield
        return
    import tempfile
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
                tail = log.read()[-4000:].decode(errors="replace")
                print(tail, file=sys.stderr)


def time_it(fn, *a, **k):
    t0 = time.perf_counter()
    r = fn(*a, **k)
    return r, time.perf_counter() - t0
