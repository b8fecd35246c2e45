# SPDX-License-Identifier: MIT
"""Every module under rtl/hdl is `verilator --lint-only -Wall` clean (the only waivers are
in the sources, each with its reason) and compiles with Icarus (`iverilog -g2012`) where it
is installed; also in the parameter variants the boards and the virtual board use."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

HDL = Path(__file__).resolve().parents[1] / "rtl" / "hdl"
SOURCES = sorted(HDL.glob("*.v"))
MODULES = sorted({m for p in SOURCES for m in re.findall(r"^module\s+(\w+)", p.read_text(), re.M)})
VARIANTS = [("lgn_sim_top", []), ("lgn_sim_top", ["-GBAUD=3000000"]),
            ("lgn_sim_top", ["-GIN_BYTES_PER_CLK=1"]),
            ("lgn_sim_top", ["-GIN_BYTES_PER_CLK=1", "-GOUT_BYTES_PER_CLK=1", "-GRESULT_BUFS=1"]),
            ("lgn_core", ["-GIN_BYTES_PER_CLK=3", "-GOUT_BYTES_PER_CLK=3", "-GRESULT_BUFS=2"]),
            ("lgn_core", ["-GLANES=8", "-GGATES_PER_CYCLE=1", "-GFRAME_BUFS=1", "-GMAX_CLASSES=1"]),
            ("lgn_uart_top", ["-GCLK_HZ=100000000", "-GBAUD=115200"])]


def test_every_source_has_a_module():
    assert len(MODULES) >= len(SOURCES) >= 8, (MODULES, SOURCES)


@pytest.mark.parametrize("top,params", [(m, []) for m in MODULES] + VARIANTS,
                         ids=lambda x: x if isinstance(x, str) else " ".join(x) or "defaults")
def test_verilator_lint_clean(top, params):
    from rtl.verilator import ToolchainError, run_verilator
    try:
        r = run_verilator(["--lint-only", "-Wall", f"-I{HDL}", "--top-module", top, *params,
                           *map(str, SOURCES)], check=False)
    except ToolchainError as e:
        pytest.skip(str(e))
    assert r.returncode == 0 and "%Warning" not in r.stderr, r.stderr[-3000:]


@pytest.mark.parametrize("top", MODULES)
def test_icarus_compiles(top, tmp_path):
    if not shutil.which("iverilog"):
        pytest.skip("Icarus Verilog (iverilog) is not installed (Debian: apt-get install iverilog)")
    r = subprocess.run(["iverilog", "-g2012", f"-I{HDL}", "-s", top, "-o", str(tmp_path / "a.vvp"),
                        *map(str, SOURCES)], capture_output=True, text=True)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr[-3000:]
