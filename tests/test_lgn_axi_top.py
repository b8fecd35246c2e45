# SPDX-License-Identifier: MIT
"""lgn_axi_top (the engine behind AXI4-Lite, the PYNQ-Z2 wrapper) on the small core in
Verilator under cocotb with cocotbext-axi (tests/rtl_tb/lgn_axi_top_cocotb.py): the register
map of rtl/axi_regs.py, CTRL reset, INFO and bit-exact netlist runs through the FIFOs,
partial strobes, every AW/W order, OUT back-pressure and IN overflow (tiny FIFOs), and the
simulated throughput."""
import pytest

from tests.rtl_tb import build

pytestmark = [pytest.mark.needs("verilator"), pytest.mark.slow(seconds=50)]

MODULE = "lgn_axi_top_cocotb"


@pytest.mark.parametrize("case", build.cases(MODULE))
def test_lgn_axi_top(case, tmp_path):
    params = build.AXI_TOP_TINY if case.startswith("small_fifos_") else build.AXI_TOP
    out = tmp_path / "throughput.txt"
    build.run(build.axi_top(params), MODULE, case, extra_env={"LGN_AXI_THROUGHPUT_OUT": str(out)})
    if out.exists():
        print(out.read_text())
