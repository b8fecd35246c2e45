// SPDX-License-Identifier: MIT
// Top level of the virtual board (boards/sim): the core with its byte stream exposed
// (BAUD = 0) or behind the real UART path (BAUD > 0; the harness then drives rxd and
// samples txd every clock, so link timing is simulated). Unused ports are left dangling on
// purpose: the harness uses one set or the other.
// The byte stream moves IN_BYTES_PER_CLK bytes in and OUT_BYTES_PER_CLK bytes out a clock and
// the core has RESULT_BUFS result banks: the same RTL as on the boards (which use 1, 1, 1),
// widened so that the simulation needs fewer clocks per sample. RUN cycle counts do not change.
// The UART path (BAUD > 0) moves one byte a clock each way (lgn_uart_top refuses other
// byte-stream widths). FAULTS = 1 builds the core's fault injection (stuck-at slots, flip mask).
module lgn_sim_top #(
    parameter integer BAUD            = 0,
`include "generated/lgn_engine_params.vh"
) (
`include "lgn_sim_ports.vh"
);
    generate
        if (BAUD == 0) begin : direct
            lgn_core #(
`include "generated/lgn_engine_pass.vh"
            ) u_core (
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
            lgn_uart_top #(
                .BAUD(BAUD),
`include "generated/lgn_engine_pass.vh"
            ) u_top (
                .clk(clk), .rst(rst), .rxd(rxd), .txd(txd), .frame_err(frame_err), .idle(idle),
                .fault_we(fault_we), .fault_gate(fault_gate), .fault_stuck(fault_stuck),
                .flip_mask(flip_mask));
            assign in_ready = 1'b0;
            assign out_data = {(8*OUT_BYTES_PER_CLK){1'b0}};
            assign out_valid = {OUT_BYTES_PER_CLK{1'b0}};
        end
    endgenerate
endmodule
