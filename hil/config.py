# SPDX-License-Identifier: MIT
"""Settings of hardware-in-the-loop fine-tuning, its fault sweep and the demo, without torch
(the `lgn` command line builds its options and defaults from them at start)."""
from __future__ import annotations

from dataclasses import dataclass, fields

from host.train_config import SCHEDULES

METHODS = ("hil", "software")


@dataclass
class HilConfig:
    epochs: int = 10
    lr: float = 0.05
    schedule: str = "cosine"     # learning rate: cosine decay to 0 over the epochs, or constant
    batch_size: int = 100
    method: str = "hil"          # hil (the board's outputs drive training) or software (baseline)
    remap: bool = True           # place around dead slots measured on the board
    copies: int = 1              # copies of the network on the board, voting in each class score
                                 # (0: as many as fit)
    twin_noise: float | None = 0.0   # flips injected where the twin computes on its own (software
                                     # method, progressive suffix); None: the rate the board shows
    progressive: bool = False    # freeze layers into the board one at a time from the input
    eval_passes: int = 1         # hardware test passes per evaluation (averaged; for flips)
    seed: int = 0

    def check(self) -> "HilConfig":
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r} ({', '.join(METHODS)})")
        if self.copies < 0:
            raise ValueError(f"--copies must be >= 0 (0: as many as fit), got {self.copies}")
        for name in ("batch_size", "eval_passes"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}")
        if self.epochs < 0:
            raise ValueError(f"--epochs must be >= 0, got {self.epochs}")
        if self.lr <= 0:
            raise ValueError("--lr must be positive")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown --schedule {self.schedule!r} ({', '.join(SCHEDULES)})")
        if self.twin_noise is not None and not 0 <= self.twin_noise < 0.5:
            raise ValueError(f"--twin-noise must be in [0, 0.5) or auto, got {self.twin_noise}")
        if self.progressive and self.method != "hil":
            raise ValueError("--progressive needs the hil method")
        return self

    @classmethod
    def from_dict(cls, d: dict) -> "HilConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


#: method name -> how it differs from the HilConfig the sweep was given
SWEEP_METHODS = {
    "software": dict(method="software", remap=False),    # fine-tuning that never reads the board
    "hil": dict(method="hil", remap=False),              # training on the board's outputs alone
    "remap": dict(method="hil", remap=True, epochs=0),   # placement around dead slots alone
    "remap+hil": dict(method="hil", remap=True),         # both
    "noise": dict(method="software", remap=False, twin_noise=None),  # twin trained with the
                                                                     # board's measured flip rate
    "copies": dict(method="hil", remap=True, copies=0, epochs=0),    # as many voting copies as fit
}

#: The board `lgn demo` uses unless told: a virtual board with a quarter of its slots stuck.
DEMO_BOARD = "sim?faults=stuck=0.25&fault_seed=1"
