# SPDX-License-Identifier: MIT
"""`lgn infer --board URL NETLIST --dataset D | --bits X.npy`: push the netlist to a board,
run the inputs on it, and check every score against the bit-exact software model.

Timing is split so that driver overhead is never mistaken for hardware latency:
engine cycles come from the RTL's own counters (per RUN reply, and STATUS busy/idle),
link time is wall time spent waiting in the transport (for a board simulated in this
process that includes the simulation), host time is the rest (packing, framing, checks).
"""
from __future__ import annotations

import time

import numpy as np

from hil.checks import conclude
from hil.inputs import add_input_args, load_inputs, save_scores
from host.netlist import Netlist
from host.progress import Progress, log
from host.softmodel import SoftModel
from rtl import protocol as P


def register(sub) -> None:
    from hil.checks import add_check_args
    from hil.cli import add_json_flag
    p = sub.add_parser("infer", help="run a netlist on a board (or the virtual board) and check it")
    p.add_argument("--board", required=True, metavar="URL",
                   help="sim, sim?faults=..., tcp://host:port, socket://host:port, /dev/ttyUSB0?baud=N")
    p.add_argument("netlist", help="netlist.json")
    add_input_args(p, default_dataset=None)
    p.add_argument("--timeout", type=float, help="seconds of link silence before a resend (default 2)")
    p.add_argument("--retries", type=int, help="resends per frame before giving up (default 12)")
    p.add_argument("--window", type=int, help="RUN frames in flight (default 4)")
    p.add_argument("--no-check", action="store_true", help="skip the software-model comparison")
    add_check_args(p)
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args) -> dict:
    from hil.commands.board import link_errors
    from hil.session import connect
    net = Netlist.load(args.netlist)
    bits, labels = load_inputs(args, net)
    n = len(bits)
    kw = {k: getattr(args, k) for k in ("timeout", "retries", "window") if getattr(args, k) is not None}
    if args.board.split("?")[0] == "sim":
        log("infer: starting the virtual board (its first use builds it with Verilator, ~1 min)")
    t_connect = time.perf_counter()
    with link_errors(), connect(args.board, **kw) as board:
        info = board.capacity
        log(f"infer: board {args.board}: protocol {info.protocol_version}, {info.max_gates} gates, "
            f"{info.lanes} lanes, {info.gates_per_cycle} gates/cycle, max body {info.max_body} B")
        board.check_capacity(net)            # refused before anything is sent
        t0 = time.perf_counter()
        board.load(net)
        load_s = time.perf_counter() - t0
        log(f"infer: loaded {net!r} in {load_s:.3f} s (tag {board.tag:#010x})")
        st0 = board.status()
        s0 = board.stats.as_dict()
        t1 = time.perf_counter()
        with Progress(n, "infer", every_s=5.0) as bar:
            out = board.run(None, packed=P.pack_samples(bits),   # packing counts as host time
                            progress=lambda k: bar.advance(k))
        run_s = time.perf_counter() - t1
        s1 = board.stats.as_dict()
        st1 = board.status()
    scores, pred = out.scores, out.pred
    save_scores(args.scores_out, scores)

    res = {"board": args.board, "samples": n, "gates": net.gates}
    res["test_acc"] = float((pred == labels).mean()) if labels is not None and n else None
    if args.no_check:
        res["mismatches"] = None
    else:
        ref = SoftModel(net).scores(bits)
        bad = (ref != scores).any(axis=1) | (np.argmax(ref, axis=1) != pred)
        res["mismatches"] = int(bad.sum())
        if res["mismatches"]:
            log(f"infer: {res['mismatches']} of {n} samples differ from the software model "
                f"(first: sample {int(np.flatnonzero(bad)[0])})")
    res["samples_per_s"] = round(n / max(run_s, 1e-9), 1)

    d = {k: s1[k] - s0[k] for k in ("bytes_sent", "bytes_received", "frames_sent", "frames_received",
                                    "retries", "timeouts", "bad_frames", "stale_replies", "reloads",
                                    "run_frames", "engine_cycles")}
    link_s = s1["link_time_s"] - s0["link_time_s"]
    payload = n * (P.sample_bytes(net.inputs) + net.classes * P.SCORE_BYTES + P.PRED_BYTES)
    wire = d["bytes_sent"] + d["bytes_received"]
    res["link"] = {
        "bytes_sent": d["bytes_sent"], "bytes_received": d["bytes_received"],
        "frames_sent": d["frames_sent"], "frames_received": d["frames_received"],
        "retries": d["retries"], "timeouts": d["timeouts"], "bad_frames": d["bad_frames"],
        "reloads": d["reloads"], "error_replies": s1["error_replies"],
        "protocol_overhead": round(1 - payload / wire, 5) if wire else None,
        "wire_bytes_per_sample": round(wire / n, 2) if n else None,
    }
    res["bytes_sent"], res["bytes_received"], res["retries"] = (d["bytes_sent"], d["bytes_received"],
                                                               d["retries"])
    cyc = np.asarray(out.cycles, dtype=np.int64)
    spf = np.asarray(out.samples_per_frame, dtype=np.int64)
    busy = (st1.busy_cycles - st0.busy_cycles) & 0xFFFFFFFF
    idle = (st1.idle_cycles - st0.idle_cycles) & 0xFFFFFFFF
    res["latency"] = {
        "batches": int(cyc.size),
        "samples_per_batch": round(float(spf.mean()), 2) if spf.size else None,
        "engine_cycles_per_batch": round(float(cyc.mean()), 1) if cyc.size else None,
        "engine_cycles_total": int(cyc.sum()),
        "engine_busy_cycles": int(busy), "engine_idle_cycles": int(idle),
        "engine_busy_fraction": round(busy / (busy + idle), 5) if busy + idle else None,
        "clock_hz": info.clock_hz,
        "engine_time_s": round(int(cyc.sum()) / info.clock_hz, 6) if info.clock_hz else None,
        "link_time_s": round(link_s, 6),
        "host_time_s": round(max(0.0, run_s - link_s), 6),
        "run_s": round(run_s, 6), "load_s": round(load_s, 6),
        "connect_s": round(t0 - t_connect, 6),
    }
    return conclude(args, res, f"infer {args.netlist} on {args.board}", n, res["mismatches"])
