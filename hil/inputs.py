# SPDX-License-Identifier: MIT
"""The shared input options of `lgn eval`, `lgn rtl --verify` and `lgn infer`:
a dataset's test split encoded by the netlist's own encoding, or raw bits from --bits X.npy;
and --scores-out S.npy for the class scores."""
from __future__ import annotations

import argparse
import os

import numpy as np

from host import datasets
from host.encoding import encode
from host.netlist import Netlist, write_atomic


def add_input_args(p: argparse.ArgumentParser, default_dataset: str | None = None) -> None:
    src = p.add_mutually_exclusive_group()
    src.add_argument("--dataset", choices=datasets.NAMES, default=None,
                     help=f"evaluate on this dataset's test split (default: {default_dataset or 'none'})")
    src.add_argument("--bits", metavar="X.npy", help="uint8 array [n, inputs] of 0/1, already encoded")
    p.add_argument("--data-dir", help="folder with IDX files (mnist, fashion-mnist)")
    p.add_argument("--scores-out", metavar="S.npy", help="write the class scores, int32 [n, classes]")
    p.set_defaults(default_dataset=default_dataset)


def load_inputs(args, net: Netlist) -> tuple[np.ndarray, np.ndarray | None]:
    """(bits uint8 [n, inputs], labels or None)."""
    if args.bits:
        try:
            bits = np.load(args.bits, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise ValueError(f"cannot read --bits {args.bits!r}: {e}") from None
        if bits.ndim != 2 or bits.shape[1] != net.inputs:
            raise ValueError(f"--bits has shape {list(bits.shape)}, the netlist needs [n, {net.inputs}]")
        if not np.issubdtype(bits.dtype, np.integer) and bits.dtype != np.bool_:
            raise ValueError(f"--bits must hold integers 0/1, got dtype {bits.dtype}")
        if bits.size and (bits.min() < 0 or bits.max() > 1):
            raise ValueError("--bits must hold only 0 and 1")
        return bits.astype(np.uint8), None
    name = args.dataset or args.default_dataset
    if not name:
        raise ValueError("give --dataset D or --bits X.npy")
    ds = datasets.load(name, args.data_dir)
    bits = encode(net.encoding, ds.x_test)
    if bits.shape[1] != net.inputs:
        raise ValueError(f"dataset {name!r} encodes to {bits.shape[1]} bits but the netlist has "
                         f"{net.inputs} inputs: was it trained on another dataset?")
    return bits, ds.y_test


def save_scores(path: str | None, scores: np.ndarray) -> None:
    if not path:
        return
    import io
    buf = io.BytesIO()
    np.save(buf, np.asarray(scores, dtype=np.int32))
    write_atomic(os.fspath(path), buf.getvalue())
