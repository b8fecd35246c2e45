# SPDX-License-Identifier: MIT
"""`lgn demo`: train, verify the RTL, drop the network on a faulty virtual board, recover it
with hardware-in-the-loop fine-tuning, and write the report (hil.demo)."""
from __future__ import annotations


def register(sub) -> None:
    from hil.cli import add_json_flag
    from hil.config import DEMO_BOARD, HilConfig
    epochs = HilConfig().epochs
    p = sub.add_parser("demo", help="the whole loop on the embedded defaults, with a report",
                       description="Train the default digits network, verify its compiled RTL in "
                                   "Verilator, run it on a virtual board with 25%% of its gate slots "
                                   "stuck, fine-tune with the hardware in the loop, write report.md.")
    p.add_argument("--out", default="runs/demo", help="output folder (default runs/demo)")
    p.add_argument("--board", default=DEMO_BOARD, help=f"board URL (default {DEMO_BOARD})")
    p.add_argument("--epochs", type=int, default=epochs, help=f"fine-tuning epochs per method (default {epochs})")
    p.add_argument("--no-rtl", action="store_true", help="skip the compiled-RTL verification")
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args) -> dict:
    from hil.demo import demo
    return demo(args.out, board=args.board, epochs=args.epochs, verify_rtl=not args.no_rtl)
