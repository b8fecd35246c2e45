# SPDX-License-Identifier: MIT
"""Raw features -> input bits, by a thermometer code whose thresholds are fitted on the
training split and saved in the netlist's `encoding` entry:

    {"kind": "thermometer", "features": F, "thresholds": [[t_0 .. t_{T-1}] x F]}

Bit f*T + j is 1 when feature f > thresholds[f][j]. `{"kind": "none"}` means the inputs
are bits already. numpy only.
"""
from __future__ import annotations

import numpy as np


def fit_thermometer(x_train: np.ndarray, levels: int, method: str = "uniform") -> dict:
    """Thresholds per feature: `uniform` splits the global value range evenly (images);
    `quantile` uses each feature's training quantiles (tables of unlike scales)."""
    x = np.asarray(x_train, dtype=np.float64)
    if levels < 1:
        raise ValueError(f"thermometer levels must be >= 1, got {levels}")
    if method == "uniform":
        lo, hi = float(x.min()), float(x.max())
        t = lo + (hi - lo) * np.arange(1, levels + 1) / (levels + 1)
        thr = np.tile(t, (x.shape[1], 1))
    elif method == "quantile":
        thr = np.quantile(x, np.arange(1, levels + 1) / (levels + 1), axis=0).T
    else:
        raise ValueError(f"unknown threshold method {method!r} (uniform, quantile)")
    return {"kind": "thermometer", "features": int(x.shape[1]), "method": method,
            "thresholds": np.round(thr, 6).tolist()}


def encoded_width(encoding: dict) -> int | None:
    if encoding.get("kind") == "thermometer":
        return encoding["features"] * len(encoding["thresholds"][0])
    return None


def encode(encoding: dict, x: np.ndarray) -> np.ndarray:
    """uint8 [n, bits] of 0/1 for raw features x [n, features]."""
    kind = encoding.get("kind")
    if kind == "none":
        raise ValueError("this netlist's inputs are raw bits (encoding 'none'): use --bits")
    if kind != "thermometer":
        raise ValueError(f"unknown encoding kind {kind!r}")
    thr = np.asarray(encoding["thresholds"], dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != thr.shape[0]:
        raise ValueError(f"encoding expects {thr.shape[0]} features, got data of shape {list(x.shape)}")
    return (x[:, :, None] > thr[None, :, :]).reshape(len(x), -1).astype(np.uint8)
