// SPDX-License-Identifier: MIT
// The engine core behind a UART: uart_rx -> FIFO -> lgn_core -> uart_tx (8N1). The FIFO
// absorbs bytes that arrive while the core is busy with the previous frame; a host that
// waits for each reply (or keeps less than FIFO_DEPTH bytes in flight) never overflows it.
// The engine parameters are lgn_core's (same names); the byte stream is one byte a clock.
module lgn_uart_top #(
    parameter integer BAUD            = 3_000_000,
    parameter integer FIFO_DEPTH      = 4096,
`include "generated/lgn_engine_params.vh"
) (
    input  wire clk,
    input  wire rst,
    input  wire rxd,
    output wire txd,
    output wire frame_err,      // a received byte had a bad stop bit (for a LED / counter)
    output wire idle,
    // fault injection (lgn_core FAULTS = 1; unused and tied to 0 on a board)
    input  wire                       fault_we,
    input  wire [31:0]                fault_gate,
    input  wire [1:0]                 fault_stuck,
    input  wire [GATES_PER_CYCLE*LANES-1:0] flip_mask
);
    generate
        // A UART moves one byte a clock: a wider byte stream would silently run narrower.
        // (An instance of a module that does not exist: Verilator's elaboration-time $fatal
        // is only a warning under -Wno-fatal, and Icarus 11 has none; both stop at this.)
        if (IN_BYTES_PER_CLK != 1 || OUT_BYTES_PER_CLK != 1) begin : bad_params
            ERROR_lgn_uart_top_needs_IN_and_OUT_BYTES_PER_CLK_1 check();
        end
    endgenerate
    wire [7:0] rx_data, f_data, c_data;
    wire       rx_valid, f_valid, f_ready, c_valid, c_ready, tx_ready;
    /* verilator lint_off UNUSEDSIGNAL */
    wire        f_in_ready;     // (behind a UART nothing can push back: a byte that finds the
    wire [31:0] f_free, f_count;    // FIFO full is dropped, and the link's CRC and resend cover it)
    /* verilator lint_on UNUSEDSIGNAL */

    lgn_uart_rx #(.CLK_HZ(CLOCK_HZ), .BAUD(BAUD)) u_rx (
        .clk(clk), .rst(rst), .rxd(rxd), .data(rx_data), .valid(rx_valid), .frame_err(frame_err));
    lgn_word_fifo #(.WIDTH(8), .DEPTH(FIFO_DEPTH)) u_fifo (
        .clk(clk), .rst(rst), .in_data(rx_data), .in_valid(rx_valid), .in_ready(f_in_ready),
        .out_data(f_data), .out_valid(f_valid), .out_ready(f_ready), .in_free(f_free), .count(f_count));
    // A skid register between the FIFO's block RAM, whose read leaves the RAM late, and the
    // core: registers on both sides of it, data and ready alike.
    reg [7:0] m_data, k_data;             // to the core, and the byte that came while it waited
    reg       m_valid, k_valid;
    assign f_ready = !k_valid;
    always @(posedge clk)
        if (rst) {m_valid, k_valid} <= 2'b00;
        else if (!m_valid || c_ready) begin
            {m_valid, m_data} <= k_valid ? {1'b1, k_data} : {f_valid, f_data};
            k_valid <= 1'b0;
        end else if (f_valid && !k_valid) {k_valid, k_data} <= {1'b1, f_data};
    lgn_core #(
`include "generated/lgn_engine_pass.vh"
    ) u_core (
        .clk(clk), .rst(rst), .in_data(m_data), .in_valid(m_valid), .in_ready(c_ready),
        .in_data2(8'h00), .in_valid2(1'b0),
        .out_data(c_data), .out_valid(c_valid), .out_ready(tx_ready), .idle(idle),
        .fault_we(fault_we), .fault_gate(fault_gate), .fault_stuck(fault_stuck), .flip_mask(flip_mask));
    lgn_uart_tx #(.CLK_HZ(CLOCK_HZ), .BAUD(BAUD)) u_tx (
        .clk(clk), .rst(rst), .data(c_data), .valid(c_valid), .ready(tx_ready), .txd(txd));
endmodule
