# SPDX-License-Identifier: MIT
"""The UART link in simulation: samples per second of simulated time through the virtual
board with the UART RTL in the loop (`sim?baud=...`), against what the wire allows.

    python benchmarks/bench_uart_sim.py [--netlist N.json] [--samples 5100] [--baud 3000000] [--json]

  uart:  simulated clocks from the first RUN frame sent to the last reply read, per sample
         (random input bits, as many RUN frames as the engine's frame size needs)
  wire:  the request bytes' time on the wire alone (10 bits a byte), the bound for a link
         that keeps sending while replies come back
The ratio is what framing, the engine and the replies not overlapped with requests (the
last one) cost on top of the wire.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from hil.session import connect  # noqa: E402
from host.netlist import Netlist  # noqa: E402
from host.softmodel import SoftModel  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--netlist", default=str(ROOT / "tests" / "data" / "digits.netlist.json"))
    ap.add_argument("--samples", type=int, default=5100)
    ap.add_argument("--baud", type=int, default=3_000_000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    net = Netlist.load(args.netlist)
    bits = np.random.default_rng(1).integers(0, 2, (args.samples, net.inputs), dtype=np.uint8)
    s = connect(f"sim?baud={args.baud}")
    vb = s.transport.board
    s.load(net)
    sent0, c0 = s.stats.bytes_sent, vb.cycles
    out = s.run(bits)
    uart_s = (vb.cycles - c0) / vb.clock_hz
    wire_s = (s.stats.bytes_sent - sent0) * 10 / args.baud
    mismatches = int((out.scores != SoftModel(net).scores(bits)).any(axis=1).sum())
    s.close()
    r = {"samples": args.samples, "baud": args.baud, "mismatches": mismatches,
         "uart_samples_per_s": round(args.samples / uart_s, 1),
         "wire_samples_per_s": round(args.samples / wire_s, 1), "ratio": round(wire_s / uart_s, 3)}
    print(json.dumps(r) if args.json else
          f"{r['uart_samples_per_s']:,} samples/s simulated, {r['ratio']:.1%} of the wire's "
          f"{r['wire_samples_per_s']:,} ({mismatches} mismatches)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
