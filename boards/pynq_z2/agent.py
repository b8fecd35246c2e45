# SPDX-License-Identifier: MIT
"""The PYNQ-Z2 board-side agent: serves the engine in the programmable logic to one host at a
time on a TCP port, with the connection hello of docs/protocol.md ("TCP connections").

    python3 -m boards.pynq_z2.agent --listen tcp://0.0.0.0:9000 --token SECRET
            [--idle-timeout S] [--hw pynq|sim] [--bitfile PATH]

then, on the host:  lgn infer --board tcp://pynq:9000?token=SECRET NETLIST --dataset digits

It loads the overlay (`--hw pynq`, the default: pynq.Overlay + pynq.MMIO, boards/pynq_z2/hw.py),
resets the engine, and bridges the frame stream between the socket and the AXI FIFOs with the
same server as `lgn board serve` (boards/server.py): token, busy answers, frame-size limit
and idle timeout included. `--hw sim` runs the Verilator model of the same AXI wrapper
instead (CI, laptops). Runs on the board's Python (PYNQ 3.1: Python 3.10, numpy, pynq): it
imports nothing that needs torch.
"""
from __future__ import annotations

import argparse
import os
import sys
from urllib.parse import urlsplit

from host.progress import log


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python3 -m boards.pynq_z2.agent",
                                description="Serve the PYNQ-Z2 engine to a host over TCP.")
    p.add_argument("--listen", default="tcp://0.0.0.0:9000", metavar="tcp://HOST:PORT",
                   help="address to listen on (port 0: any; default tcp://0.0.0.0:9000)")
    p.add_argument("--token", default=None,
                   help="hosts must show this token (default: $LGN_BOARD_TOKEN; none: any host)")
    p.add_argument("--idle-timeout", type=float, default=600.0, metavar="SECONDS",
                   help="drop a host after this long without a byte either way (0: never; default 600)")
    p.add_argument("--hw", choices=("pynq", "sim"), default="pynq",
                   help="pynq: the overlay in the PL (default); sim: the Verilator model")
    p.add_argument("--bitfile", help="the overlay's .bit (its .hwh beside it); default: "
                                     "lgn_pynq.bit in this package's folder")
    p.add_argument("--once", action="store_true", help="exit when the first host disconnects")
    return p


def open_board(hw: str = "pynq", bitfile: str | None = None):
    """The engine's byte stream (an AxiBoard) on the chosen hardware, freshly reset."""
    from boards.pynq_z2.hw import AxiBoard, PynqHw, SimHw
    if hw == "sim":
        log("agent: starting the simulated AXI engine (its first use builds it with Verilator)")
        dev = SimHw()
    else:
        log("agent: loading the overlay")
        dev = PynqHw(bitfile)
    board = AxiBoard(dev)
    board.reset()
    return board


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    parts = urlsplit(args.listen)
    if parts.scheme != "tcp" or parts.hostname is None or parts.port is None:
        print(f"agent: error: --listen {args.listen!r}: expected tcp://HOST:PORT", file=sys.stderr)
        return 2
    token = args.token if args.token is not None else os.environ.get("LGN_BOARD_TOKEN") or None
    from boards.server import check_token, serve_tcp
    try:
        check_token(token)
    except ValueError as e:
        print(f"agent: error: --token: {e}", file=sys.stderr)
        return 2
    if not token:
        log("agent: warning: no token: any host that can reach this port may use the board")
    try:
        board = open_board(args.hw, args.bitfile)
    except Exception as e:  # noqa: BLE001 - one line for the person at the board
        print(f"agent: error: {type(e).__name__}: {' '.join(str(e).split())}", file=sys.stderr)
        return 1

    def ready(address: str) -> None:
        print(address, flush=True)
        log(f"agent: serving the PYNQ-Z2 engine ({args.hw}) at {address} (Ctrl-C to stop)")

    try:
        serve_tcp(board, parts.hostname, parts.port, once=args.once, ready=ready, token=token,
                  idle_timeout=args.idle_timeout or None, name="agent")
    finally:
        board.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
