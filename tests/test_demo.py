# SPDX-License-Identifier: MIT
"""`lgn demo`: the README's first command, end to end on the embedded defaults."""
import pytest

from tests.helpers import lgn


@pytest.mark.slow(seconds=255)
@pytest.mark.needs("verilator")
def test_demo_tells_the_story(tmp_path):
    out = tmp_path / "demo"
    res = lgn("demo", "--out", out, "--json").json
    assert res["train"]["test_acc_discrete"] >= 0.97
    assert res["rtl"]["samples"] == 450 and res["rtl"]["mismatches"] == 0
    assert res["acc_before"] < res["acc_software"] - 0.1          # the faults hurt
    m = res["methods"]
    assert m["software"]["recovered"] < 0.1                        # blind fine-tuning does not help
    assert m["hil"]["recovered"] > 0.5                             # the board's outputs do
    assert m["remap+hil"]["recovered"] >= 0.9
    report = (out / "report.md").read_text()
    assert "](demo.png)" in report and (out / "demo.png").stat().st_size > 10_000
    for name in ("software", "hil", "remap+hil"):
        assert f"]({name}/report.md)" in report
        for f in ("report.md", "curves.png", "before_after.png", "gates.png", "metrics.csv"):
            assert (out / name / f).stat().st_size > 0, (name, f)
    assert (out / "train" / "curves.png").exists()
