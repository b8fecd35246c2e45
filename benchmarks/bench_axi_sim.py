# SPDX-License-Identifier: MIT
"""The PYNQ-Z2's AXI path in simulation: samples per second of simulated time through the
AXI-Lite FIFOs, against the engine alone.

    python benchmarks/bench_axi_sim.py [--netlist N.json] [--samples 20000] [--json]

The host session drives the agent's byte layer (boards.pynq_z2.hw.AxiBoard, as the agent
does) over SimHw: the Verilator model of lgn_axi_top with the pynq-z2 engine build, where
every register access and window word costs the bus clocks an AXI-Lite master takes (one
transaction at a time, as the ARM's stores and loads are). The clock is the board's 100 MHz.
  axi:     all simulated clocks of the RUN frames (bus transfers, polling, engine) per sample
  engine:  the engine's own RUN cycle count per sample (the rate if moving bytes cost nothing)
The ratio is what the AXI-Lite byte path costs on top of the engine. The TCP hop, the agent's
Python and the ARM's real bus timing are not in it (README, "Real boards").
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from boards.pynq_z2.hw import AxiBoard, SimHw  # noqa: E402
from hil.session import Session  # noqa: E402
from hil.transport import ObjectTransport  # noqa: E402
from host.netlist import Netlist  # noqa: E402
from host.softmodel import SoftModel  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--netlist", default=str(ROOT / "tests" / "data" / "digits.netlist.json"))
    ap.add_argument("--samples", type=int, default=20_000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    net = Netlist.load(args.netlist)
    bits = np.random.default_rng(5).integers(0, 2, (args.samples, net.inputs), dtype=np.uint8)
    hw = SimHw()
    sess = Session(ObjectTransport(AxiBoard(hw), "axi-sim"))
    sess.load(net)
    c0, e0 = hw.cycles, sess.stats.engine_cycles
    out = sess.run(bits)
    clocks, engine = hw.cycles - c0, sess.stats.engine_cycles - e0
    sess.close()
    hz = hw.clock_hz
    mismatches = int((out.scores != SoftModel(net).scores(bits)).any(1).sum())
    rep = {"netlist": Path(args.netlist).name, "samples": args.samples, "clock_hz": hz,
           "axi_samples_per_s": round(args.samples * hz / clocks), "axi_clocks_per_sample": round(clocks / args.samples, 1),
           "engine_samples_per_s": round(args.samples * hz / engine), "engine_clocks_per_sample": round(engine / args.samples, 1),
           "axi_over_engine": round(clocks / engine, 3), "mismatches": mismatches}
    print(json.dumps(rep) if args.json else "\n".join(f"{k}: {v}" for k, v in rep.items()))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
