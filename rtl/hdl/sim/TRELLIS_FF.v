// SPDX-License-Identifier: MIT
// Simulation model of the Lattice ECP5 flip-flop TRELLIS_FF in the one configuration compiled
// networks instantiate (rtl/gen_groupsum.py: a table's own copy of its address bits, a cell
// so that yosys does not merge it with the other registers of the same signal): clock enable
// always on (CEMUX "1"), LSR a synchronous reset to 0 (REGSET "RESET", tied low there), and no M
// (a preload value, for LSRMODE "PRLD" only): GroupSum leaves it open.
// tests/test_trellis_ff_model.py checks it against yosys's own model of the cell.
/* verilator lint_off DECLFILENAME */
/* verilator lint_off UNUSEDPARAM */
/* verilator lint_off UNUSEDSIGNAL */
module TRELLIS_FF #(
    parameter GSR = "ENABLED",
    parameter CEMUX = "1",
    parameter CLKMUX = "CLK",
    parameter LSRMUX = "LSR",
    parameter SRMODE = "LSR_OVER_CE",
    parameter REGSET = "RESET",
    parameter LSRMODE = "LSR"
) (
    input  wire CLK, LSR, CE, DI,
    output reg  Q
);
    initial Q = 1'b0;
    always @(posedge CLK) Q <= LSR ? 1'b0 : DI;
endmodule
