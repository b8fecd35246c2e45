# SPDX-License-Identifier: MIT
"""`lgn train --dataset D --out DIR`: train, discretize, write model.pt, netlist.json, metrics.json."""
from __future__ import annotations

from host import datasets


def register(sub) -> None:
    from hil.cli import add_json_flag
    p = sub.add_parser("train", help="train a relaxed logic-gate network and discretize it",
                       description="Options left out take the dataset's defaults (see README).")
    p.add_argument("--dataset", choices=datasets.NAMES, default=datasets.DEFAULT)
    p.add_argument("--out", default=None, help="output folder (default: runs/DATASET)")
    p.add_argument("--data-dir", help="folder with IDX files (mnist, fashion-mnist)")
    p.add_argument("--layers", type=int)
    p.add_argument("--width", type=int, help="gates per layer")
    p.add_argument("--levels", type=int, help="thermometer thresholds per feature")
    p.add_argument("--thresholds", choices=["uniform", "quantile"])
    p.add_argument("--tau", type=float, help="GroupSum temperature")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float, help="Adam learning rate")
    p.add_argument("--connections", choices=["random", "unique"])
    p.add_argument("--init", choices=["gaussian", "residual"])
    p.add_argument("--shift", type=int, help="augment images with random shifts of up to N pixels")
    p.add_argument("--noise", type=float, help="augment with gaussian noise of this std on raw features")
    p.add_argument("--schedule", choices=["cosine", "constant"], help="learning-rate schedule")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args) -> dict:
    import torch
    from host.train import TrainConfig, train
    if args.threads < 0:
        raise ValueError("--threads must be >= 0")
    if args.threads:
        torch.set_num_threads(args.threads)     # a process setting: the command's, not the library's
    cfg = TrainConfig.for_dataset(
        args.dataset, layers=args.layers, width=args.width, levels=args.levels,
        thresholds=args.thresholds, tau=args.tau, epochs=args.epochs, batch_size=args.batch_size,
        lr=args.lr, connections=args.connections, init=args.init, shift=args.shift,
        noise=args.noise, schedule=args.schedule,
        seed=args.seed, threads=args.threads, data_dir=args.data_dir)
    return train(cfg, args.out or f"runs/{args.dataset}")
