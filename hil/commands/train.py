# SPDX-License-Identifier: MIT
"""`lgn train --dataset D --out DIR`: train, discretize, write model.pt, netlist.json, metrics.json.

The training options are host.train_config.TrainConfig's fields: one flag per field, its help and
its defaults (the field's and each dataset's, host.train_config.DEFAULTS) are read from there, so
this module states none of them."""
from __future__ import annotations

import argparse


def register(sub) -> None:
    from hil.cli import add_json_flag
    from host.train_config import flag, options
    p = sub.add_parser("train", help="train a relaxed logic-gate network and discretize it",
                       description="Options left out take the dataset's default, listed with each "
                                   "option (README \"Default networks\").")
    p.add_argument("--out", default=None, help="output folder (default: runs/DATASET)")
    for f in options():
        cli = {k: v for k, v in f.metadata.items() if k != "help"}
        cli.setdefault("type", type(f.default))
        # SUPPRESS: an option left out is absent from args, and the dataset's default applies
        p.add_argument(flag(f.name), default=argparse.SUPPRESS,
                       help=f"{f.metadata['help']} ({_defaults(f)})", **cli)
    add_json_flag(p)
    p.set_defaults(func=run)


def _defaults(f) -> str:
    """'default 2000; mnist5k: 5000; mnist, fashion-mnist: 16000' from the one table."""
    from host.train_config import DEFAULTS
    by_value: dict = {}
    for name, row in DEFAULTS.items():
        if f.name in row:
            by_value.setdefault(row[f.name], []).append(name)
    return "; ".join([f"default {'none' if f.default is None else f.default}"]
                     + [f"{', '.join(names)}: {v}" for v, names in by_value.items()])


def config(args):
    """The TrainConfig the parsed flags ask for: the dataset's defaults, overridden by the flags
    given."""
    from host.train_config import TrainConfig, options
    given = {f.name: getattr(args, f.name) for f in options() if hasattr(args, f.name)}
    return TrainConfig.for_dataset(**given).check()


def run(args) -> dict:
    import torch
    from host.train import train
    cfg = config(args)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)     # a process setting: the command's, not the library's
    return train(cfg, args.out or f"runs/{cfg.dataset}")
