# SPDX-License-Identifier: MIT
"""A fault-injecting link: wraps any transport and damages the byte stream both ways.

Per byte and per direction, with independent probabilities: `corrupt` replaces the byte
with a different random value, `drop` deletes it, `dup` sends it twice, and `garbage`
inserts a burst of 1..16 random bytes (0x00 included) before it. Deterministic for a seed.
This is a link model for tests and studies, not a board: the board stays whatever the
wrapped transport talks to.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hil.transport import Transport


@dataclass
class LinkFaults:
    corrupt: float = 1e-3
    drop: float = 1e-3
    dup: float = 1e-3
    garbage: float = 1e-3
    counts: dict = field(default_factory=lambda: {"corrupt": 0, "drop": 0, "dup": 0, "garbage": 0})

    def apply(self, data: bytes, rng: np.random.Generator) -> bytes:
        d = np.frombuffer(data, dtype=np.uint8)
        n = d.size
        if n == 0:
            return data
        u = rng.random((4, n))
        corrupt, drop, dup, garb = (u[0] < self.corrupt, u[1] < self.drop, u[2] < self.dup,
                                    u[3] < self.garbage)
        if not (corrupt.any() or drop.any() or dup.any() or garb.any()):
            return data
        d = d.copy()
        k = int(corrupt.sum())
        d[corrupt] ^= rng.integers(1, 256, k, dtype=np.uint8)    # never a no-op
        reps = np.ones(n, dtype=np.int64) + dup - drop
        reps[drop & dup] = 0
        pieces = []
        idx = np.flatnonzero(garb)
        start = 0
        for g in idx:                                             # rare: a Python loop is fine
            pieces.append(np.repeat(d[start:g], reps[start:g]))
            pieces.append(rng.integers(0, 256, int(rng.integers(1, 17)), dtype=np.uint8))
            start = g
        pieces.append(np.repeat(d[start:], reps[start:]))
        self.counts["corrupt"] += k
        self.counts["drop"] += int(drop.sum())
        self.counts["dup"] += int((dup & ~drop).sum())
        self.counts["garbage"] += int(idx.size)
        return np.concatenate(pieces).tobytes()


class FaultyTransport(Transport):
    """`FaultyTransport(inner, seed=1, corrupt=1e-3, ...)`: the same faults on both directions."""

    def __init__(self, inner: Transport, seed: int = 0, to_board: LinkFaults | None = None,
                 from_board: LinkFaults | None = None, **rates):
        self.inner = inner
        self.url = f"faulty+{getattr(inner, 'url', '')}"
        self.synchronous = inner.synchronous
        self.rng = np.random.default_rng(seed)
        self.to_board = to_board or LinkFaults(**rates)
        self.from_board = from_board or LinkFaults(**rates)

    def _write(self, data: bytes) -> None:
        self.inner.write(self.to_board.apply(data, self.rng))

    def _read(self, max_bytes: int, timeout: float) -> bytes:
        return self.from_board.apply(self.inner.read(max_bytes, timeout), self.rng)

    def _close(self) -> None:
        self.inner.close()

    def counts(self) -> dict:
        return {"to_board": dict(self.to_board.counts), "from_board": dict(self.from_board.counts)}
