# SPDX-License-Identifier: MIT
"""`lgn infer` throughput over every link to the virtual board, plus the host side alone.

    python benchmarks/bench_link_infer.py [--netlist N.json] [--samples 100000] [--json]

For each of: `sim` in-process, `lgn board serve --pty` (pyserial) and
`lgn board serve --listen tcp://`, runs `lgn infer --bits` on the same inputs and reports
samples/s (netlist load and start-up not counted), mismatches against the software model,
protocol overhead (share of wire bytes that are not sample or result bytes), and the
latency breakdown. "host only" times what the session does per sample without any
board: packing, RUN framing (CRC, COBS), and decoding/checking pre-made replies, i.e. the
ceiling the host side puts on throughput. On a shared machine wall-clock rates vary a lot;
for `sim` the samples per CPU-second of this process are reported as well.

Without --netlist: tests/data/digits.netlist.json if present, else a random netlist of the
digits shape (512 inputs, 4 x 2,000 gates, 10 classes).
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from hil.cli import main as lgn  # noqa: E402
from host.netlist import Netlist, random_netlist  # noqa: E402
from host.softmodel import SoftModel  # noqa: E402
from rtl import protocol as P  # noqa: E402


def infer(board: str, net_path: Path, x_path: Path) -> dict:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = lgn(["infer", "--board", board, str(net_path), "--bits", str(x_path), "--json"])
    if code:
        raise SystemExit(f"lgn infer --board {board} failed: {err.getvalue()}")
    return json.loads(out.getvalue())


def served(kind: str):
    args = ["--pty"] if kind == "pty" else ["--listen", "tcp://127.0.0.1:0"]
    p = subprocess.Popen([sys.executable, "-m", "hil.cli", "board", "serve", "--board", "sim",
                          "--once", *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    return p, p.stdout.readline().strip()


def host_only(net: Netlist, bits: np.ndarray, max_body: int) -> dict:
    """The session's per-sample work with the board taken out (replies made beforehand)."""
    n = len(bits)
    per = P.max_run_count(max_body, net.inputs, 0, net.classes)
    scores = SoftModel(net).scores(bits)
    pred = np.argmax(scores, axis=1)
    replies = [P.encode_frame(k & 0xFF, 0x85, P.encode_run_reply(1, 0, scores[s:s + per], pred[s:s + per]))
               for k, s in enumerate(range(0, n, per))]
    dec = P.FrameDecoder(max_body)
    t0 = time.perf_counter()
    packed = P.pack_samples(bits)
    wire = 0
    for k, s in enumerate(range(0, n, per)):
        wire += len(P.encode_frame(k & 0xFF, P.Cmd.RUN, P.encode_run(0, 0, packed[s:s + per])))
        f = dec.feed(replies[k])[0]
        r = P.decode_run_reply(f.body, 0, min(per, n - s), net.classes)
        assert (np.argmax(r.scores, axis=1) == r.pred).all()
    dt = time.perf_counter() - t0
    return {"samples_per_s": round(n / dt, 1), "seconds": round(dt, 4), "frames": len(replies)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--netlist")
    ap.add_argument("--samples", type=int, default=100_000)
    ap.add_argument("--links", default="sim,pty,tcp")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    digits = ROOT / "tests" / "data" / "digits.netlist.json"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.netlist:
            net_path = Path(args.netlist)
        elif digits.exists():
            net_path = digits
        else:
            net_path = tmp / "net.json"
            random_netlist(np.random.default_rng(0), 512, [2000] * 4, 10).save(net_path)
        net = Netlist.load(net_path)
        bits = np.random.default_rng(1).integers(0, 2, (args.samples, net.inputs)).astype(np.uint8)
        np.save(tmp / "x.npy", bits)
        res = {"netlist": str(net_path), "net": repr(net), "samples": args.samples, "links": {}}
        for link in args.links.split(","):
            proc = None
            board = link
            if link in ("pty", "tcp"):
                proc, board = served(link)
            try:
                c0 = time.process_time()
                r = infer(board, net_path, tmp / "x.npy")
                cpu = time.process_time() - c0
            finally:
                if proc is not None:
                    proc.wait(timeout=30)
            res["links"][link] = {"board": board, "samples_per_s": r["samples_per_s"],
                                  "mismatches": r["mismatches"],
                                  "protocol_overhead": r["link"]["protocol_overhead"],
                                  "bytes_sent": r["bytes_sent"], "bytes_received": r["bytes_received"],
                                  "retries": r["retries"], "latency": r["latency"]}
            if link == "sim":
                # In-process everything (host and simulated board) runs on this one thread, so
                # samples per CPU-second is what an unloaded core would do; it includes the
                # load and the software-model check, so it understates the run itself.
                res["links"][link]["samples_per_cpu_s_incl_load_and_check"] = round(args.samples / cpu, 1)
            print(f"{link:4s}: {r['samples_per_s']:>10,.0f} samples/s  mismatches {r['mismatches']}  "
                  f"overhead {100 * r['link']['protocol_overhead']:.2f}%  "
                  f"host {r['latency']['host_time_s']:.3f} s  link {r['latency']['link_time_s']:.3f} s  "
                  f"engine {r['latency']['engine_cycles_per_batch']:.0f} cycles/batch of "
                  f"{r['latency']['samples_per_batch']:.0f}", file=sys.stderr)
        import hil
        with hil.connect("sim") as b:             # frame sizes as the session would use them
            max_body = b.capacity.max_body
        res["host_only"] = host_only(net, bits, max_body)
        print(f"host only: {res['host_only']['samples_per_s']:,.0f} samples/s", file=sys.stderr)
    if args.json:
        print(json.dumps(res))


if __name__ == "__main__":
    main()
