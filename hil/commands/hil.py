# SPDX-License-Identifier: MIT
"""`lgn hil --board URL --run DIR`: hardware-in-the-loop fine-tuning of a trained run
(hil.finetune), and `lgn hil sweep`: fault studies on the virtual board (hil.sweep)."""
from __future__ import annotations

import shlex
import sys


def _floats(s: str) -> list[float]:
    return [float(v) for v in s.split(",") if v.strip()]


def _ints(s: str) -> list[int]:
    return [int(v) for v in s.split(",") if v.strip()]


def _noise(s: str) -> float | None:
    if s == "auto":
        return None
    try:
        return float(s)
    except ValueError:
        raise ValueError(f"--twin-noise takes a probability or 'auto', got {s!r}") from None


def _training_args(p, run_required: bool) -> None:
    from hil.config import HilConfig
    from host.train_config import SCHEDULES
    d = HilConfig()
    # `lgn hil` checks --run itself: argparse would demand it before `sweep` could supply it
    p.add_argument("--run", required=run_required, metavar="DIR", help="a `lgn train` run folder (model.pt, netlist.json)")
    p.add_argument("--epochs", type=int, default=d.epochs, help=f"default {d.epochs}")
    p.add_argument("--lr", type=float, default=d.lr, help=f"Adam learning rate (default {d.lr})")
    p.add_argument("--schedule", choices=SCHEDULES, default=d.schedule)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--eval-passes", type=int, default=d.eval_passes,
                   help="hardware test passes per evaluation, averaged (noisy boards)")
    p.add_argument("--seed", type=int, default=d.seed)


def register(sub) -> None:
    from hil.cli import add_json_flag
    from hil.config import METHODS, SWEEP_METHODS, HilConfig
    d = HilConfig()
    p = sub.add_parser("hil", help="hardware-in-the-loop fine-tuning; `lgn hil sweep`: fault studies",
                       description="Fine-tune a trained run with the board's real outputs: forward on "
                                   "the board, backward through the relaxed twin. Records, plots and "
                                   "report.md go to RUN/hil (or --out).")
    p.add_argument("--board", metavar="URL", help="sim, sim?faults=stuck=0.25&fault_seed=1, tcp://host:port, ...")
    _training_args(p, run_required=False)
    p.add_argument("--method", choices=METHODS, default=d.method,
                   help="hil: train on the board's outputs; software: the baseline that never reads them")
    p.add_argument("--no-remap", action="store_true",
                   help="do not place the netlist around gate slots the board shows to be dead")
    p.add_argument("--copies", type=int, default=d.copies,
                   help="place N copies of the network that vote in every class score (noisy boards; 0: as many as fit)")
    p.add_argument("--twin-noise", type=_noise, default=d.twin_noise, metavar="P|auto",
                   help="flips injected where the twin computes on its own (software method, progressive "
                        "suffix); auto: the rate measured on the board")
    p.add_argument("--progressive", action="store_true",
                   help="freeze layers into the board one at a time from the input side")
    p.add_argument("--out", help="records folder (default RUN/hil)")
    again = p.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="continue an interrupted run")
    again.add_argument("--fresh", action="store_true", help="delete the records of an earlier run first")
    add_json_flag(p)
    p.set_defaults(func=run)

    ssub = p.add_subparsers(dest="hil_command", metavar="sweep")
    s = ssub.add_parser("sweep", help="hardware accuracy before and after fine-tuning over fault levels",
                        description="For each fault level, fault seed and method: a full `lgn hil` run "
                                    "on the virtual board; CSV, JSON, plots and report.md in --out.")
    s.add_argument("--board", default="sim", help="the virtual board, with any options but faults (default sim)")
    _training_args(s, run_required=True)
    s.add_argument("--stuck", type=_floats, default=[], help="stuck fractions, e.g. 0,0.1,0.25,0.4")
    s.add_argument("--flip", type=_floats, default=[], help="flip probabilities, e.g. 0.001,0.01,0.05,0.1")
    s.add_argument("--fault-seeds", type=_ints, default=[1, 2, 3], help="default 1,2,3")
    s.add_argument("--methods", default="software,hil,remap,remap+hil",
                   help="comma-separated, of: " + ", ".join(SWEEP_METHODS) + " (default software,hil,remap,remap+hil)")
    s.add_argument("--flip-passes", type=int, default=5, help="hardware test passes per evaluation under flips")
    s.add_argument("--out", help="output folder (default RUN/sweep)")
    add_json_flag(s)
    s.set_defaults(func=run_sweep)


def _config(args, **kw):
    from hil.config import HilConfig
    return HilConfig(epochs=args.epochs, lr=args.lr, schedule=args.schedule, batch_size=args.batch_size,
                     eval_passes=args.eval_passes, seed=args.seed, **kw)


def run(args) -> dict:
    import os
    from hil.cli import UsageError
    from hil.finetune import finetune
    from hil.records import RunRecord
    if not args.board or not args.run:
        raise UsageError("give --board URL (sim, sim?faults=..., tcp://host:port, a serial device) "
                         "and --run DIR (a `lgn train` run folder)")
    cfg = _config(args, method=args.method, remap=not args.no_remap, progressive=args.progressive,
                  copies=args.copies, twin_noise=args.twin_noise)
    out = args.out or os.path.join(args.run, "hil")
    if args.fresh:
        RunRecord(out).clear()
    return finetune(cfg, args.run, args.board, resume=args.resume, out_dir=out,
                    command="lgn " + shlex.join(sys.argv[1:]) if sys.argv[1:2] == ["hil"] else None)


def run_sweep(args) -> dict:
    import os
    from hil.sweep import sweep, table
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    out = args.out or os.path.join(args.run, "sweep")
    rows = sweep(args.run, out, stuck=args.stuck, flip=args.flip, seeds=args.fault_seeds,
                 methods=methods, cfg=_config(args), flip_passes=args.flip_passes, board=args.board)
    t = table(rows)
    return {"rows": rows, "mean": [{"fault": k[0], "level": k[1], "method": k[2], **v} for k, v in t.items()],
            "out": out, "report": os.path.join(out, "report.md")}
