// SPDX-License-Identifier: MIT
// Top level of the virtual board (boards/sim): the core with its byte stream exposed
// (BAUD = 0) or behind the real UART path (BAUD > 0; the harness then drives rxd and
// samples txd every clock, so link timing is simulated). Unused ports are left dangling on
// purpose: the harness uses one set or the other.
// The byte stream moves IN_BYTES_PER_CLK bytes in and OUT_BYTES_PER_CLK bytes out a clock and
// the core has RESULT_BUFS result banks: the same RTL as on the boards (which use 1, 1, 1),
// widened so that the simulation needs fewer clocks per sample. RUN cycle counts do not change.
module lgn_sim_top #(
    parameter integer BAUD            = 0,
    parameter integer CLK_HZ          = 50_000_000,
    parameter integer LANES           = 64,
    parameter integer GATES_PER_CYCLE = 16,
    parameter integer MAX_INPUTS      = 4096,
    parameter integer MAX_WIDTH       = 8192,
    parameter integer MAX_LAYERS      = 8,
    parameter integer MAX_GATES       = 49152,
    parameter integer MAX_CLASSES     = 16,
    parameter integer MAX_BODY        = 32768,
    parameter integer IN_BYTES_PER_CLK = 8,     // byte-stream mode: bytes taken per clock
    parameter integer OUT_BYTES_PER_CLK = 8,    // byte-stream mode: reply bytes per clock
    parameter integer RESULT_BUFS     = 2       // a RUN overlaps the previous reply
) (
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
);
    generate
        if (BAUD == 0) begin : direct
            lgn_core #(.LANES(LANES), .GATES_PER_CYCLE(GATES_PER_CYCLE), .MAX_INPUTS(MAX_INPUTS),
                       .MAX_WIDTH(MAX_WIDTH), .MAX_LAYERS(MAX_LAYERS), .MAX_GATES(MAX_GATES),
                       .MAX_CLASSES(MAX_CLASSES), .MAX_BODY(MAX_BODY), .CLOCK_HZ(CLK_HZ),
                       .IN_BYTES_PER_CLK(IN_BYTES_PER_CLK),
                       .OUT_BYTES_PER_CLK(OUT_BYTES_PER_CLK),
                       .RESULT_BUFS(RESULT_BUFS)) u_core (
                .clk(clk), .rst(rst), .in_data(in_data), .in_valid(in_valid), .in_ready(in_ready),
                .in_data2(in_data2), .in_valid2(in_valid2),
                .out_data(out_data), .out_valid(out_valid), .out_ready(out_ready), .idle(idle),
                .fault_we(fault_we), .fault_gate(fault_gate), .fault_stuck(fault_stuck),
                .flip_mask(flip_mask));
            assign txd = 1'b1;
        end else begin : uart
            /* verilator lint_off UNUSEDSIGNAL */
            wire frame_err;
            /* verilator lint_on UNUSEDSIGNAL */
            lgn_uart_top #(.CLK_HZ(CLK_HZ), .BAUD(BAUD), .LANES(LANES),
                           .GATES_PER_CYCLE(GATES_PER_CYCLE), .MAX_INPUTS(MAX_INPUTS),
                           .MAX_WIDTH(MAX_WIDTH), .MAX_LAYERS(MAX_LAYERS), .MAX_GATES(MAX_GATES),
                           .MAX_CLASSES(MAX_CLASSES), .MAX_BODY(MAX_BODY)) u_top (
                .clk(clk), .rst(rst), .rxd(rxd), .txd(txd), .frame_err(frame_err), .idle(idle),
                .fault_we(fault_we), .fault_gate(fault_gate), .fault_stuck(fault_stuck),
                .flip_mask(flip_mask));
            assign in_ready = 1'b0;
            assign out_data = {(8*OUT_BYTES_PER_CLK){1'b0}};
            assign out_valid = {OUT_BYTES_PER_CLK{1'b0}};
        end
    endgenerate
endmodule
