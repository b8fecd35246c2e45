// SPDX-License-Identifier: MIT
// The virtual board's port list (boards/sim/harness.cpp drives it): lgn_sim_top's, and that of
// every other top the harness can run (boards/ulx3s/lgn_ulx3s_sim.v). `include it as the body
// of a module's port list; the module needs lgn_core's parameters.
    input  wire       clk,
    input  wire       rst,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [7:0] in_data,
    input  wire       in_valid,
    input  wire [8*((IN_BYTES_PER_CLK > 1) ? IN_BYTES_PER_CLK - 1 : 1)-1:0] in_data2,  // more bytes
    input  wire [((IN_BYTES_PER_CLK > 1) ? IN_BYTES_PER_CLK - 1 : 1)-1:0]   in_valid2, // (lgn_core)
    input  wire       out_ready,
    input  wire       rxd,
    /* verilator lint_on UNUSEDSIGNAL */
    output wire       in_ready,
    output wire [8*OUT_BYTES_PER_CLK-1:0] out_data,
    output wire [OUT_BYTES_PER_CLK-1:0]   out_valid,
    output wire       txd,
    output wire       idle,
    input  wire                       fault_we,
    input  wire [31:0]                fault_gate,
    input  wire [1:0]                 fault_stuck,
    input  wire [GATES_PER_CYCLE*LANES-1:0] flip_mask
