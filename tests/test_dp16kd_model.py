# SPDX-License-Identifier: MIT
"""GroupSum's tables reach the ECP5 as yosys would put them there: for a 4K x 4 memory of
random words, the DP16KD that yosys's own block-RAM mapping makes has the INITVAL values
rtl.gen_groupsum.initvals computes and the address on AD13..AD2. rtl/hdl/sim/DP16KD.v reads
words in that layout; the compiled designs' bit-exact tests in the ECP5 form (tables counted
by that model against the software model) close the loop."""
import json

import numpy as np
import pytest

from rtl.gen_groupsum import ROM_BITS, initvals
from tests.helpers import yosys

pytestmark = pytest.mark.needs("yowasp")


def test_initvals_are_yosys_layout(tmp_path):
    words = np.random.default_rng(5).integers(0, 16, 1 << (ROM_BITS + 1)).tolist()
    init = "\n".join(f"        rom[{w}] = 4'd{v};" for w, v in enumerate(words))
    (tmp_path / "rom.v").write_text(
        "module rom(input clk, input [11:0] a, output reg [3:0] q);\n"
        "    reg [3:0] rom [0:4095];\n"
        f"    initial begin\n{init}\n    end\n"
        "    always @(posedge clk) q <= rom[a];\nendmodule\n")
    script = ["read_verilog -sv rom.v", "hierarchy -top rom", "proc", "memory -nomap",
              "memory_libmap -lib +/lattice/brams_16kd.txt", "techmap -map +/lattice/brams_map_16kd.v",
              "opt_clean", "write_json rom.json"]
    yosys(script, tmp_path)
    mod = json.loads((tmp_path / "rom.json").read_text())["modules"]["rom"]
    cells = [c for c in mod["cells"].values() if c["type"] == "DP16KD"]
    assert len(cells) == 1, [c["type"] for c in mod["cells"].values()]
    cell = cells[0]
    assert int(cell["parameters"]["DATA_WIDTH_A"], 2) == 4
    a_bits = mod["netnames"]["a"]["bits"]
    assert [cell["connections"][f"ADA{i + 2}"] for i in range(12)] == [[b] for b in a_bits]
    want = initvals([words[:1 << ROM_BITS], words[1 << ROM_BITS:]])
    got = [int(cell["parameters"][f"INITVAL_{k:02X}"], 2) for k in range(64)]
    assert got == want
