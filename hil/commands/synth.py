# SPDX-License-Identifier: MIT
"""`lgn synth NETLIST --board B`: synthesis + place-and-route report with open tools (yowasp)."""
from __future__ import annotations

import os
import time
from pathlib import Path

from host.netlist import Netlist
from host.progress import log


def register(sub) -> None:
    from boards.registry import fpga_boards
    from hil.cli import add_json_flag
    from rtl.synth import DEFAULT_PLACER, DEFAULT_ROUTER, PLACERS, ROUTERS
    p = sub.add_parser("synth", help="synthesize a compiled netlist and report LUTs, FFs and Fmax",
                       description="ECP5 boards: yosys synth_ecp5 + nextpnr-ecp5 (LUT4, CCU2C, FF, Fmax). "
                                   "pynq-z2: yosys synth_xilinx LUT6/FF estimates (Vivado is not run).")
    p.add_argument("netlist", help="netlist.json")
    p.add_argument("--board", required=True, choices=sorted(fpga_boards()), help="target board")
    p.add_argument("--out", help="folder for sources, tool logs and report.json (default: synth/<netlist>-<board>)")
    p.add_argument("--register-every", type=int, default=1, metavar="K",
                   help="pipeline register after every K gate layers (default 1)")
    p.add_argument("--freq", type=float, default=200.0, help="target clock for nextpnr in MHz (default 200)")
    p.add_argument("--seed", type=int, default=1, help="nextpnr placement seed")
    p.add_argument("--router", choices=ROUTERS, default=DEFAULT_ROUTER,
                   help=f"nextpnr router (default {DEFAULT_ROUTER})")
    p.add_argument("--placer", choices=PLACERS, default=DEFAULT_PLACER,
                   help=f"nextpnr placer (default {DEFAULT_PLACER})")
    p.add_argument("--spread", type=float, default=1.0, metavar="S",
                   help="ECP5: place, move the placed logic tiles S times farther apart (squeezed where "
                        "they reach the die's edges), then route; for large randomly wired networks that "
                        "do not route packed (default 1: place and route in one nextpnr run)")
    p.add_argument("--no-prune", action="store_true", help="emit the netlist as given (no pruning pass)")
    p.add_argument("--brams", type=int, default=None, metavar="N",
                   help="ECP5: count part of the last layer with tables in up to N block RAMs (DP16KD, "
                        "two tables each; default: every block RAM of the part if their tables then "
                        "count every bit, else none)")
    p.add_argument("--no-pnr", action="store_true", help="ECP5: stop after yosys (cell counts, no Fmax)")
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args) -> dict:
    from boards.registry import get
    from hil.cli import UsageError
    from rtl.gen_verilog import generate, module_name
    from rtl.synth import SynthError, synthesize
    if args.register_every < 1:
        raise ValueError(f"--register-every must be >= 1, got {args.register_every}")
    if not args.freq > 0:
        raise ValueError(f"--freq must be positive, got {args.freq}")
    if not args.spread >= 1:
        raise ValueError(f"--spread must be >= 1, got {args.spread}")
    board = get(args.board)
    part = board.part
    if part.family != "ecp5":   # tables are DP16KDs; other families count every bit with adders
        if args.brams:
            raise ValueError(f"--brams is for ECP5 parts (GroupSum's tables are DP16KDs); the "
                             f"{board.name}'s {part.device} counts with adders")
        brams = 0
    else:
        brams = part.brams if args.brams is None else args.brams
    if not 0 <= brams <= part.brams:
        raise ValueError(f"--brams must be between 0 and {part.brams} (the {part.device}'s), got {brams}")
    net = Netlist.load(args.netlist)
    stem = Path(args.netlist).stem
    out = Path(args.out or os.path.join("synth", f"{stem}-{board.name}"))

    # by default tables only where they count every bit: the 4 x 8,000 mnist5k network on the 85F
    # (2,849 of 8,000 bits on tables) was far from routed after 22 minutes of router1
    d = generate(net, name=module_name(f"lgn_{stem}"), register_every=args.register_every,
                 prune=not args.no_prune, source=os.path.basename(args.netlist), brams=brams,
                 all_or_none=args.brams is None)
    if args.brams is None and brams and d.table_bits < d.counted_bits:
        log(f"synth: the {part.device}'s {part.brams} block RAMs would not count all {d.counted_bits} "
            f"bits: counting them with adders (--brams {part.brams} uses them)")
    log(f"synth: {net!r}: {d.gates} gates, {d.gates_pruned} after pruning, latency {d.latency} cycles")
    t0 = time.perf_counter()
    try:
        rep = synthesize(d, board.part, out, freq_mhz=args.freq, seed=args.seed, progress=log,
                         pnr=not args.no_pnr, router=args.router,
                         placer=args.placer, spread=args.spread)
    except SynthError as e:
        raise UsageError(str(e)) from None
    rep = {"board": board.name, **rep}
    rep["seconds"] = round(time.perf_counter() - t0, 1)
    rep["out"] = str(out)
    if rep.get("fmax_mhz"):
        log(f"synth: {rep['luts']} LUT4 + {rep['carry_cells']} CCU2C ({rep['lut4_equivalent_per_gate']} "
            f"LUT4-eq/gate) + {rep['brams']} DP16KD, {rep['ffs']} FF, Fmax {rep['fmax_mhz']} MHz; report in {out / 'report.json'}")
    return rep
