# SPDX-License-Identifier: MIT
"""docs/tutorial-hil.md: every `$ lgn ...` line runs, in order, in an empty folder, and
says what the page says it does."""
import json
import os
import re
import shlex
from pathlib import Path

import pytest

from tests.helpers import lgn

DOC = Path(__file__).resolve().parents[1] / "docs" / "tutorial-hil.md"


def commands():
    blocks = re.findall(r"```console\n(.*?)```", DOC.read_text(), flags=re.S)
    return [shlex.split(ln[2:])[1:] for b in blocks for ln in b.splitlines() if ln.startswith("$ lgn ")]


def test_tutorial_images_exist():
    for img in re.findall(r"\]\((img/[^)]+)\)", DOC.read_text()):
        assert (DOC.parent / img).stat().st_size > 5000, img


@pytest.mark.slow(seconds=330)
@pytest.mark.needs("verilator")
def test_tutorial_commands_run(tmp_path):
    out = {}
    for argv in commands():
        key = argv[0] if argv[0] != "hil" else next(argv[i + 1] for i, a in enumerate(argv) if a == "--out")
        out[key] = lgn(*argv, cwd=tmp_path).json
    assert out["train"]["test_acc_discrete"] >= 0.97
    assert out["infer"]["mismatches"] == 0 and out["infer"]["test_acc"] == out["train"]["test_acc_discrete"]
    sw, hil, remap = out["run/software"], out["run/hil"], out["run/remap"]
    lost = sw["sw_acc_before"] - sw["acc_before"]
    assert lost > 0.15
    assert sw["acc_after"] < sw["acc_before"] + 0.1 * lost
    assert hil["acc_after"] > hil["acc_before"] + 0.5 * lost
    assert remap["acc_placed"] == remap["sw_acc_before"] and remap["per_epoch"][0]["mismatches"] == 0
    assert out["run/copies"]["acc_placed"] > out["run/copies"]["acc_before"]
    prog = out["run/progressive"]
    assert abs(prog["acc_after"] - prog["sw_acc_before"]) <= 0.01
    metrics = json.loads((tmp_path / "run/progressive/metrics.json").read_text())["epochs"]
    assert metrics[-1]["on_board"] == 4 and metrics[-1]["mismatches"] == 0
    for f in ("sweep.csv", "stuck.png", "report.md"):
        assert os.path.getsize(tmp_path / "run/sweep" / f) > 0
