# SPDX-License-Identifier: MIT
"""Throughput of the virtual board's harness alone (boards.sim.VirtualBoard), no hil session:
a plain Python loop packs RUN frames with rtl.protocol, writes `--frames-per-write` of them
at a time, reads the replies and checks them against the software model.

    python benchmarks/sim_harness.py                      # digits-size net, 100,000 samples
    python benchmarks/sim_harness.py --net mnist5k --samples 20000
    python benchmarks/sim_harness.py --netlist tests/data/digits.netlist.json

Prints one JSON object: samples/s (wall and per CPU second of this process, since the
machine may be shared), simulated clocks per sample, the RTL's engine cycles per RUN frame,
and how many clocks a 3,000,000-baud UART needs to deliver that frame at the board clock.
Netlist load and start-up are not timed.
"""
from __future__ import annotations

import argparse
import os
import json
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # idle BLAS threads spin on a shared box
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from boards.sim import VirtualBoard  # noqa: E402
from host.netlist import Netlist, random_netlist  # noqa: E402
from host.softmodel import SoftModel  # noqa: E402
from rtl import protocol as P  # noqa: E402

SHAPES = {"digits": (512, [2000] * 4, 10), "mnist5k": (2352, [8000] * 4, 10)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--net", choices=sorted(SHAPES), default="digits",
                    help="random netlist of this shape (default digits)")
    ap.add_argument("--netlist", help="a netlist JSON file instead of a random net")
    ap.add_argument("--samples", type=int, default=100_000)
    ap.add_argument("--frames-per-write", type=int, default=4)
    ap.add_argument("--uart-baud", type=int, default=3_000_000)
    ap.add_argument("--no-check", action="store_true", help="skip the software-model check")
    a = ap.parse_args()

    rng = np.random.default_rng(1)
    if a.netlist:
        net = Netlist.load(a.netlist)
    else:
        inputs, widths, classes = SHAPES[a.net]
        net = random_netlist(rng, inputs, widths, classes)
    vb = VirtualBoard()
    dec = P.FrameDecoder()

    def xfer(frames):
        vb.write(b"".join(b"\x00" + P.encode_frame(i & 255, t, body) for i, (t, body) in enumerate(frames)))
        got = dec.feed(vb.read())
        assert len(got) == len(frames) and all(g.type == t | 0x80 for g, (t, _) in zip(got, frames)), got
        return got

    info = P.Info.unpack(xfer([(P.Cmd.INFO, b"")])[0].body)
    xfer([(P.Cmd.CONFIG, P.Config(net.inputs, tuple(net.widths), net.classes, 7).pack())])
    per_load = P.max_load_count(info.max_body)
    xfer([(P.Cmd.LOAD, P.encode_load(k, s, l.a[s:s + per_load], l.b[s:s + per_load], l.op[s:s + per_load]))
          for k, l in enumerate(net.layers) for s in range(0, l.width, per_load)])

    bits = rng.integers(0, 2, (a.samples, net.inputs), dtype=np.uint8)
    packed = P.pack_samples(bits)
    per = P.max_run_count(info.max_body, net.inputs, 0, net.classes)
    starts = list(range(0, a.samples, per))
    scores, cycles, wire_in = [], [], 0
    c0, t0, p0 = vb.cycles, time.perf_counter(), time.process_time()
    for g in range(0, len(starts), a.frames_per_write):
        grp = starts[g:g + a.frames_per_write]
        frames = [(P.Cmd.RUN, P.encode_run(0, 0, packed[s:s + per])) for s in grp]
        wire_in += sum(len(P.encode_frame(0, t, b)) + 1 for t, b in frames)
        for s, r in zip(grp, xfer(frames)):
            out = P.decode_run_reply(r.body, 0, min(per, a.samples - s), net.classes)
            scores.append(out.scores)
            cycles.append(out.cycles)
    wall, cpu, clocks = time.perf_counter() - t0, time.process_time() - p0, vb.cycles - c0
    exact = None
    if not a.no_check:
        exact = bool((np.concatenate(scores) == SoftModel(net).scores(bits)).all())
    full_frame_bytes = len(P.encode_frame(0, P.Cmd.RUN, P.encode_run(0, 0, packed[:per]))) + 1
    uart_clocks = full_frame_bytes * 10 / a.uart_baud * info.clock_hz
    print(json.dumps({
        "net": a.netlist or a.net, "inputs": net.inputs, "widths": net.widths, "samples": a.samples,
        "lanes": info.lanes, "gates_per_cycle": info.gates_per_cycle, "clock_hz": info.clock_hz,
        "samples_per_frame": per, "frames_per_write": a.frames_per_write,
        "samples_per_s": round(a.samples / wall), "samples_per_cpu_s": round(a.samples / cpu),
        "sim_clocks_per_s": round(clocks / wall), "sim_clocks_per_sample": round(clocks / a.samples, 1),
        "engine_cycles_per_full_frame": cycles[0],
        "uart_bytes_per_full_frame": full_frame_bytes,
        "uart_clocks_per_full_frame_at_baud": round(uart_clocks),
        "engine_vs_uart": round(cycles[0] / uart_clocks, 4),
        "wire_bytes_in_per_sample": round(wire_in / a.samples, 2),
        "bit_exact": exact,
    }, indent=1))
    return 0 if exact in (None, True) else 1


if __name__ == "__main__":
    sys.exit(main())
