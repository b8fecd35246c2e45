// SPDX-License-Identifier: MIT
// Simulation model of the Lattice ECP5 CCU2C carry cell (two LUT4 halves on a carry chain),
// for simulating compiled networks built with `define LGN_ECP5_CARRY in Verilator or Icarus.
// Per half: the LUT4 gives the propagate p = INIT[{D,C,B,A}]; the generate is INIT[{B,A}]
// (the same LUT4 at C = D = 0); S = p ^ carry-in; carry-out = p ? carry-in : generate.
// tests/test_ccu2c_model.py checks it against yosys's own model of the cell.
/* verilator lint_off DECLFILENAME */
module CCU2C #(
    parameter [15:0] INIT0 = 16'h0000,
    parameter [15:0] INIT1 = 16'h0000,
    parameter INJECT1_0 = "YES",
    parameter INJECT1_1 = "YES"
) (
    input  wire CIN,
    input  wire A0, B0, C0, D0, A1, B1, C1, D1,
    output wire S0, S1, COUT
);
    wire p0 = INIT0[{D0, C0, B0, A0}];
    wire p1 = INIT1[{D1, C1, B1, A1}];
    // INJECT1 = "YES" cuts the carry in to the half's sum and drops its generate
    /* verilator lint_off WIDTHEXPAND */  // "NO" and "YES" are strings of different widths
    localparam CUT0 = INJECT1_0 == "YES";
    localparam CUT1 = INJECT1_1 == "YES";
    /* verilator lint_on WIDTHEXPAND */
    wire g0 = CUT0 ? 1'b0 : INIT0[{2'b00, B0, A0}];
    wire g1 = CUT1 ? 1'b0 : INIT1[{2'b00, B1, A1}];
    wire co0 = p0 ? CIN : g0;
    assign S0 = p0 ^ (CUT0 ? 1'b0 : CIN);
    assign S1 = p1 ^ (CUT1 ? 1'b0 : co0);
    assign COUT = p1 ? co0 : g1;
endmodule
/* verilator lint_on DECLFILENAME */
