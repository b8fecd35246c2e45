# SPDX-License-Identifier: MIT
"""Portability of the generated Verilog: `verilator --lint-only -Wall` clean, read by yosys
without a single warning, and compiled by Icarus (`iverilog -g2012`) where it is installed;
the first and the last in both forms of the popcount (portable `+`, and the ECP5's CCU2C
chains and DP16KD tables with their models, compiled_sim.ECP5_MODELS).

Checked on generated designs of every awkward shape (one class, width-1 layers, deep
narrow nets, constant outputs, unpruned netlists, each register spacing, a digits-sized
random net, tables for every bit or for some) and on the Verilog the tools add around them
(the Verilator test wrapper and the synthesis harness).
"""
import subprocess

import numpy as np
import pytest

from host.netlist import Layer, Netlist, random_netlist
from rtl import compiled_sim, synth
from rtl.gen_groupsum import ECP5_DEFINE
from rtl.gen_verilog import generate
from tests.helpers import yosys


def _designs():
    rng = np.random.default_rng(99)
    out = []
    shapes = [(8, [6, 4], 1, 1), (5, [1, 1, 2], 2, 1), (3, [3, 2, 2, 1, 1, 3, 2, 1, 2, 3], 3, 2),
              (40, [30, 21], 7, 3), (16, [12, 12, 12, 10], 5, 4), (512, [2000, 2000, 2000, 2000], 10, 2)]
    for i, (inputs, widths, classes, k) in enumerate(shapes):
        net = random_netlist(rng, inputs, widths, classes)
        out.append(generate(net, name=f"lint{i}", register_every=k, prune=(i != 2)))
        if i in (3, 5):   # GroupSum's tables in block RAM: for every bit, and for some of them
            out.append(generate(net, name=f"lint{i}_bram", register_every=k, brams=5 if i == 3 else 30))
    # every last-layer bit constant: no registers in the gate layers at all
    const = Netlist(inputs=4, layers=[Layer(np.array([0, 1], np.int32), np.array([1, 2], np.int32),
                                            np.array([0, 15], np.uint8))], classes=2)
    out.append(generate(const, name="lint_const"))
    return out


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    d = tmp_path_factory.mktemp("lint")
    designs = _designs()
    files = []
    for des in designs:
        p = d / f"{des.top}.v"
        p.write_text(des.verilog)
        files.append((p, des.top))
    h = d / f"{synth.HARNESS}.v"
    h.write_text(synth.harness_verilog(designs[3]))
    w = d / f"{compiled_sim.TOP}.v"
    w.write_text(compiled_sim.wrapper_verilog(designs[:3]))
    return d, designs, files, h, w


@pytest.mark.needs("verilator")
def test_verilator_lint_wall(sources):
    from rtl.verilator import run_verilator
    d, designs, files, h, w = sources
    for p, top in files:
        r = run_verilator(["--lint-only", "-Wall", str(p), "--top-module", top], check=False)
        assert r.returncode == 0 and not r.stderr.strip(), (p.name, r.stderr[:2000])
        # the ECP5 form: CCU2C chains, with the cell's simulation model
        r = run_verilator(["--lint-only", "-Wall", f"-D{ECP5_DEFINE}", str(p),
                           *map(str, compiled_sim.ECP5_MODELS), "--top-module", top], check=False)
        assert r.returncode == 0 and not r.stderr.strip(), (p.name, "ecp5", r.stderr[:2000])
    # the harness and the test wrapper, with the designs they instantiate
    r = run_verilator(["--lint-only", "-Wall", str(h), str(files[3][0]), "--top-module", synth.HARNESS],
                      check=False)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr[:2000]
    r = run_verilator(["--lint-only", "-Wall", str(w), *(str(p) for p, _ in files[:3]),
                       "--top-module", compiled_sim.TOP], check=False)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr[:2000]


@pytest.mark.needs("iverilog")
def test_iverilog_compiles(sources, tmp_path):
    d, designs, files, h, w = sources
    for p, top in files:
        r = subprocess.run(["iverilog", "-g2012", "-Wall", "-s", top, "-o", str(tmp_path / "a.vvp"), str(p)],
                           capture_output=True, text=True)
        assert r.returncode == 0 and not r.stderr.strip(), (p.name, r.stderr[:2000])
        r = subprocess.run(["iverilog", "-g2012", "-Wall", f"-D{ECP5_DEFINE}", "-s", top, "-o",
                            str(tmp_path / "a.vvp"), str(p), *map(str, compiled_sim.ECP5_MODELS)],
                           capture_output=True, text=True)
        assert r.returncode == 0 and not r.stderr.strip(), (p.name, "ecp5", r.stderr[:2000])
    r = subprocess.run(["iverilog", "-g2012", "-s", synth.HARNESS, "-o", str(tmp_path / "h.vvp"),
                        str(h), str(files[3][0])], capture_output=True, text=True)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr[:2000]


@pytest.mark.needs("yowasp")
def test_yosys_reads_without_warnings(sources):
    d, designs, files, h, w = sources
    reads = [f"read_verilog -sv {p.name}" for p, _ in files + [(h, None), (w, None)]]
    r = yosys(reads + ["hierarchy -check", "proc", "check -assert"], d, quiet=False)
    warnings = [ln for ln in (r.stdout + r.stderr).splitlines() if "warning" in ln.lower()]
    assert not warnings, warnings[:10]
