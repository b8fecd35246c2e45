# SPDX-License-Identifier: MIT
"""The records of a hardware-in-the-loop run, in one folder (RUN/hil by default):

    config.json      settings, board, what the board was measured to be, accuracy as trained
    state.pt         model, optimizer and RNG state after the last complete epoch (atomic)
    metrics.csv      one row per epoch, appended and flushed as each epoch ends
    metrics.json     the same rows (rewritten atomically each epoch)
    netlist.json     the fine-tuned netlist; placed.json the physical netlist the board ran
    summary.json, curves.png, gates.png, report.md   when the run ends

state.pt is the truth: it is written before the metrics, and a resumed run rewrites the
metrics files from it, so they never hold an epoch twice or miss one.
"""
from __future__ import annotations

import csv
import io
import json
import os
import shutil

from host.netlist import Netlist, write_atomic

CSV_KEYS = ["epoch", "stage", "on_board", "train_loss", "relaxed_test_acc", "sw_test_acc",
            "hw_train_acc", "hw_test_acc", "mismatches", "gates_sent", "gates_changed", "seconds",
            "link_samples_per_s"]


def write_csv(path: str, keys: list[str], rows: list[dict]) -> None:
    """The rows as CSV under these column names, written atomically."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, keys, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    write_atomic(path, buf.getvalue().encode())


class RunRecord:
    def __init__(self, path: str):
        self.dir = os.fspath(path)
        self.history: list[dict] = []

    def _p(self, name: str) -> str:
        return os.path.join(self.dir, name)

    # -- life cycle ----------------------------------------------------------------------
    def start(self, allow_existing: bool = False) -> None:
        if os.path.exists(self._p("state.pt")) and not allow_existing:
            raise ValueError(f"{self.dir} already holds a hardware-in-the-loop run: continue it "
                             f"with --resume, or start over with --fresh")
        os.makedirs(self.dir, exist_ok=True)
        for name in ("metrics.csv", "metrics.json", "summary.json"):
            if os.path.exists(self._p(name)):
                os.remove(self._p(name))
        self.history = []

    def clear(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def load_state(self) -> dict | None:
        import torch
        if not os.path.exists(self._p("state.pt")):
            return None
        return torch.load(self._p("state.pt"), weights_only=True, map_location="cpu")

    def save_state(self, state: dict) -> None:
        import torch
        buf = io.BytesIO()
        torch.save(state, buf)
        write_atomic(self._p("state.pt"), buf.getvalue())

    def write_config(self, header: dict) -> None:
        write_atomic(self._p("config.json"), json.dumps(header, indent=1).encode())

    def read_config(self) -> dict:
        with open(self._p("config.json")) as f:
            return json.load(f)

    # -- metrics -------------------------------------------------------------------------
    def restore(self, history: list[dict]) -> None:
        """Make the metrics files say exactly `history` (the state's), then go on appending."""
        self.history = list(history)
        write_csv(self._p("metrics.csv"), CSV_KEYS, self.history)
        self._write_json()

    def append(self, rec: dict) -> None:
        self.history.append(rec)
        new = not os.path.exists(self._p("metrics.csv"))
        with open(self._p("metrics.csv"), "a", newline="") as f:
            w = csv.DictWriter(f, CSV_KEYS, extrasaction="ignore", lineterminator="\n")
            if new:
                w.writeheader()
            w.writerow(rec)
            f.flush()
            os.fsync(f.fileno())
        self._write_json()

    def _write_json(self) -> None:
        write_atomic(self._p("metrics.json"), json.dumps({"epochs": self.history}, indent=1).encode())

    # -- results -------------------------------------------------------------------------
    def save_netlist(self, net: Netlist) -> None:
        net.save(self._p("netlist.json"))

    def save_placement(self, phys: Netlist) -> None:
        phys.save(self._p("placed.json"))

    def finish(self, summary: dict) -> None:
        from hil import report
        write_atomic(self._p("summary.json"), json.dumps(summary, indent=1).encode())
        report.write(self.dir, self.read_config(), self.history, summary)
