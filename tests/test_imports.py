# SPDX-License-Identifier: MIT
"""Import rules of DESIGN.md: the numpy-only parts load without torch (the PYNQ agent runs
them on PYNQ 3.1's Python), and host imports none of hil/rtl/boards."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_numpy_only_modules_do_not_pull_in_torch():
    code = ("import sys, host, host.netlist, host.softmodel, host.gates, host.prune, host.encoding; "
            "from host import Netlist, SoftModel; "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_lazy_torch_exports():
    import host
    assert host.LogicLayer.__name__ == "LogicLayer" and host.GroupSum.__name__ == "GroupSum"


def test_host_imports_flow_one_way():
    for path in (ROOT / "host").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for n in names:
                assert n.split(".")[0] not in ("hil", "rtl", "boards"), (path.name, n)
