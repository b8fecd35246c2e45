# SPDX-License-Identifier: MIT
"""Progress on stderr: a rich bar on a terminal, a plain line every few seconds elsewhere (CI logs)."""
from __future__ import annotations

import sys
import time


class Progress:
    """`with Progress(total, "training") as p: p.advance(1, loss=0.3)`."""

    def __init__(self, total: int | None, description: str, every_s: float = 2.0, enabled: bool = True):
        self.total, self.description, self.every_s = total, description, every_s
        self.enabled = enabled
        self.done = 0
        self._fields: dict = {}
        self._rich = None
        self._last = 0.0

    def __enter__(self):
        self._t0 = time.perf_counter()
        if self.enabled and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress,
                                       TextColumn, TimeElapsedColumn, TimeRemainingColumn)
            self._rich = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                      TimeElapsedColumn(), TimeRemainingColumn(),
                                      TextColumn("{task.fields[info]}"),
                                      console=Console(stderr=True), transient=False)
            self._rich.__enter__()
            self._task = self._rich.add_task(self.description, total=self.total, info="")
        return self

    def advance(self, n: int = 1, **fields) -> None:
        self.done += n
        self._fields.update(fields)
        if not self.enabled:
            return
        info = "  ".join(f"{k} {_fmt(v)}" for k, v in self._fields.items())
        if self._rich is not None:
            self._rich.update(self._task, advance=n, info=info)
            return
        now = time.perf_counter()
        if now - self._last >= self.every_s or (n and self.total and self.done >= self.total):
            self._last = now
            of = f"/{self.total}" if self.total else ""
            print(f"{self.description}: {self.done}{of} [{now - self._t0:.1f}s] {info}",
                  file=sys.stderr, flush=True)

    def log(self, msg: str) -> None:
        if not self.enabled:
            return
        if self._rich is not None:
            self._rich.console.print(msg)
        else:
            print(msg, file=sys.stderr, flush=True)

    def __exit__(self, *exc):
        if self._rich is not None:
            self._rich.__exit__(*exc)
        return False


def _fmt(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
