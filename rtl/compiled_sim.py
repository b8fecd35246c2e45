# SPDX-License-Identifier: MIT
"""Run compiled netlists in Verilator through cocotb and compare with the software model.

Many designs share one Verilator build: `build()` writes each design's Verilog and a
wrapper top (`lgn_tb_top`) that gives design i its own ports `d<i>_*`; `run()` drives them
all at once with rtl/cocotb_tb.py and returns each design's scores and predicted classes.
`verify()` does both and counts mismatches against `host.softmodel.SoftModel`.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from host.netlist import Netlist
from host.softmodel import SoftModel, predict_from_scores
from rtl.gen_groupsum import ECP5_DEFINE
from rtl.gen_verilog import DATA_PORTS, RtlDesign
from rtl.verilator import BuildError, CocotbBuild, ToolchainError, cocotb_build

TOP = "lgn_tb_top"
CARRIES = ("portable", "ecp5")
CCU2C_MODEL = Path(__file__).resolve().parent / "hdl" / "sim" / "CCU2C.v"
DP16KD_MODEL = CCU2C_MODEL.with_name("DP16KD.v")
TRELLIS_FF_MODEL = CCU2C_MODEL.with_name("TRELLIS_FF.v")
ECP5_MODELS = (CCU2C_MODEL, DP16KD_MODEL, TRELLIS_FF_MODEL)   # the ECP5 cells the compiled RTL instantiates


class SimError(RuntimeError):
    """The Verilator build or the cocotb run failed; the tools' output went to stderr."""


@dataclass
class SimResult:
    scores: np.ndarray   # int32 [n, classes] as seen on out_scores
    classes: np.ndarray  # int64 [n] as seen on out_class


def wrapper_verilog(designs: list[RtlDesign]) -> str:
    """A top that instantiates every design with its own prefixed ports (d<i>_<port>)."""
    decls = ["    input  wire clk", "    input  wire rst"]
    body = []
    for i, d in enumerate(designs):
        data = [p for p in d.ports if p.name in DATA_PORTS]
        decls += ["    " + p.decl(f"d{i}_") for p in data]
        conns = [".clk(clk)", ".rst(rst)"] + [f".{p.name}(d{i}_{p.name})" for p in data]
        body.append(f"    {d.top} u{i} ({', '.join(conns)});")
    return "\n".join(["// SPDX-License-Identifier: MIT",
                      "// Generated test wrapper: one set of ports per compiled netlist.",
                      f"module {TOP} (", ",\n".join(decls), ");", *body, "endmodule", ""])


def build(designs: list[RtlDesign], waves: str | None = None, quiet: bool = True,
          fast_compile: bool = True, carry: str = "portable") -> CocotbBuild:
    """One Verilator model for all `designs` (rtl.verilator builds it, or takes it from the
    cache when the same designs were built before). `carry`: "portable" simulates the
    popcount adders as Verilog `+`; "ecp5" simulates the CCU2C chains, DP16KD tables and
    flip-flop cells `lgn synth` builds for the ECP5, with models of those cells (ECP5_MODELS)."""
    if carry not in CARRIES:
        raise ValueError(f"carry must be one of {', '.join(CARRIES)}, got {carry!r}")
    tops = [d.top for d in designs]
    if len(set(tops)) != len(tops):
        raise ValueError(f"designs in one build need distinct module names, got {tops}")
    texts = {f"{d.top}.v": d.verilog for d in designs}
    texts[f"{TOP}.v"] = wrapper_verilog(designs)
    args = ["-Wno-fatal", "-Wno-DECLFILENAME", "-Wno-UNUSEDSIGNAL"]
    if carry == "ecp5":
        texts.update((m.name, m.read_text()) for m in ECP5_MODELS)
        args.append(f"-D{ECP5_DEFINE}")
    if waves == "fst":
        if not any(Path(p, "lz4.h").exists() for p in ("/usr/include", "/usr/local/include")):
            raise ToolchainError("FST waveforms need the lz4 headers for Verilator's FST writer "
                                 "(Debian: apt-get install liblz4-dev); use --waves vcd instead")
        args.append("--trace-fst")
    elif waves not in (None, "vcd"):
        raise ValueError(f"waves must be 'vcd' or 'fst', got {waves!r}")
    try:
        return cocotb_build(TOP, texts, build_args=args, waves=waves is not None,
                            optimize=not fast_compile, quiet=quiet)
    except BuildError as e:
        raise SimError(str(e)) from None


def run(model: CocotbBuild, run_dir: str | os.PathLike, designs: list[RtlDesign],
        inputs: list[np.ndarray], idle: float = 0.0, seed: int = 1, waves: bool = False,
        quiet: bool = True) -> list[SimResult]:
    """Drive `inputs[i]` (uint8 [n_i, inputs]) into design i; return what came out.
    The run's files (inputs, outputs, results.xml, waveforms) go to RUN_DIR/run."""
    work = Path(run_dir).resolve() / "run"
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
    results_xml = model.test("rtl.cocotb_tb", work, extra_env={"LGN_TB_SPEC": str(spec_path)},
                             waves=waves, quiet=quiet)
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
