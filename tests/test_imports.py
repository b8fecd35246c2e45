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


def test_the_command_line_starts_without_torch():
    """`lgn`'s parser (every command's options and defaults) builds without importing torch,
    so `lgn --help` or `lgn board info` do not pay for it."""
    code = ("import sys; from hil.cli import build_parser; build_parser(); "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_lazy_torch_exports():
    import host
    assert host.LogicLayer.__name__ == "LogicLayer" and host.GroupSum.__name__ == "GroupSum"


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            out.add((node.module or "").split(".")[0])
    return out


def test_imports_flow_one_way():
    """host imports none of the others; rtl may import host; boards rtl and host; hil all
    (DESIGN.md). Every import in the package, lazy ones inside functions included."""
    forbidden = {"host": {"hil", "rtl", "boards"}, "rtl": {"hil", "boards"}, "boards": {"hil"}}
    bad = [(p.relative_to(ROOT).as_posix(), sorted(_imports(p) & no))
           for pkg, no in forbidden.items() for p in (ROOT / pkg).rglob("*.py") if _imports(p) & no]
    assert not bad, bad
