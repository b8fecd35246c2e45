// SPDX-License-Identifier: MIT
// lgn_ulx3s_top as the virtual board runs it (`lgn infer --board "sim?top=ulx3s"`): the
// harness of boards/sim drives the FT231X lines at the UART's baud and presses the reset
// button, so a host talks to the real board's top level, UART, FIFO and engine build, clocked
// at the PLL's output frequency. The byte-stream and fault ports of the virtual board's port
// list are unused here.
module lgn_ulx3s_sim #(
    parameter integer BAUD = 3_000_000,
`include "generated/lgn_engine_params.vh"
) (
/* verilator lint_off UNUSEDSIGNAL */
`include "lgn_sim_ports.vh"
/* verilator lint_on UNUSEDSIGNAL */
);
    wire [7:0] led;
    /* verilator lint_off PINCONNECTEMPTY */
    lgn_ulx3s_top #(
        .BAUD(BAUD),
`include "generated/lgn_engine_pass.vh"
    ) u_top (
        .clk_25mhz(clk), .ftdi_txd(rxd), .ftdi_rxd(txd), .btn({5'b00000, rst, 1'b1}), .led(led),
        .wifi_gpio0());
    /* verilator lint_on PINCONNECTEMPTY */
    assign idle = !led[3];
    assign in_ready = 1'b0;
    assign out_data = {(8*OUT_BYTES_PER_CLK){1'b0}};
    assign out_valid = {OUT_BYTES_PER_CLK{1'b0}};
endmodule
