// SPDX-License-Identifier: MIT
// The engine core behind a UART: uart_rx -> FIFO -> lgn_core -> uart_tx (8N1). The FIFO
// absorbs bytes that arrive while the core is busy with the previous frame; a host that
// waits for each reply (or keeps less than FIFO_DEPTH bytes in flight) never overflows it.
module lgn_uart_top #(
    parameter integer CLK_HZ          = 25_000_000,
    parameter integer BAUD            = 3_000_000,
    parameter integer FIFO_DEPTH      = 4096,
    parameter integer LANES           = 64,
    parameter integer GATES_PER_CYCLE = 16,
    parameter integer MAX_INPUTS      = 4096,
    parameter integer MAX_WIDTH       = 8192,
    parameter integer MAX_LAYERS      = 8,
    parameter integer MAX_GATES       = 49152,
    parameter integer MAX_CLASSES     = 16,
    parameter integer MAX_BODY        = 32768
) (
    input  wire clk,
    input  wire rst,
    input  wire rxd,
    output wire txd,
    output wire frame_err,      // a received byte had a bad stop bit (for a LED / counter)
    output wire idle,
    input  wire                       fault_we,
    input  wire [31:0]                fault_gate,
    input  wire [1:0]                 fault_stuck,
    input  wire [GATES_PER_CYCLE*LANES-1:0] flip_mask
);
    wire [7:0] rx_data, f_data, c_data;
    wire       rx_valid, f_valid, f_ready, c_valid, tx_ready;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [15:0] dropped;        // observable in simulation; no status register for it yet
    /* verilator lint_on UNUSEDSIGNAL */

    lgn_uart_rx #(.CLK_HZ(CLK_HZ), .BAUD(BAUD)) u_rx (
        .clk(clk), .rst(rst), .rxd(rxd), .data(rx_data), .valid(rx_valid), .frame_err(frame_err));
    lgn_fifo #(.DEPTH(FIFO_DEPTH)) u_fifo (
        .clk(clk), .rst(rst), .in_data(rx_data), .in_valid(rx_valid),
        .out_data(f_data), .out_valid(f_valid), .out_ready(f_ready), .dropped(dropped));
    lgn_core #(.LANES(LANES), .GATES_PER_CYCLE(GATES_PER_CYCLE), .MAX_INPUTS(MAX_INPUTS),
               .MAX_WIDTH(MAX_WIDTH), .MAX_LAYERS(MAX_LAYERS), .MAX_GATES(MAX_GATES),
               .MAX_CLASSES(MAX_CLASSES), .MAX_BODY(MAX_BODY), .CLOCK_HZ(CLK_HZ)) u_core (
        .clk(clk), .rst(rst), .in_data(f_data), .in_valid(f_valid), .in_ready(f_ready),
        .in_data2(8'h00), .in_valid2(1'b0),
        .out_data(c_data), .out_valid(c_valid), .out_ready(tx_ready), .idle(idle),
        .fault_we(fault_we), .fault_gate(fault_gate), .fault_stuck(fault_stuck), .flip_mask(flip_mask));
    lgn_uart_tx #(.CLK_HZ(CLK_HZ), .BAUD(BAUD)) u_tx (
        .clk(clk), .rst(rst), .data(c_data), .valid(c_valid), .ready(tx_ready), .txd(txd));
endmodule
