// SPDX-License-Identifier: MIT
// UART testbench top: four rx/tx pairs at the clock/baud combinations the boards use.
//   a: 25 MHz, 115,200 baud    b: 25 MHz, 3,000,000 baud
//   c: 100 MHz, 3,000,000 baud d: 100 MHz, 115,200 baud   (c/d: a PLL'd clock)
module tb_uart (
    input  wire       clk25,
    input  wire       clk100,
    input  wire       rst,
    input  wire [3:0] rxd,
    output wire [3:0] rx_valid,
    output wire [3:0] rx_ferr,
    output wire [31:0] rx_data,      // byte i in bits 8i+7:8i
    input  wire [31:0] tx_data,
    input  wire [3:0] tx_valid,
    output wire [3:0] tx_ready,
    output wire [3:0] txd
);
    genvar i;
    generate
        for (i = 0; i < 4; i = i + 1) begin : u
            localparam integer CLK = (i < 2) ? 25_000_000 : 100_000_000;
            localparam integer BAUD = (i == 0 || i == 3) ? 115_200 : 3_000_000;
            wire clk = (i < 2) ? clk25 : clk100;
            lgn_uart_rx #(.CLK_HZ(CLK), .BAUD(BAUD)) rx (
                .clk(clk), .rst(rst), .rxd(rxd[i]), .data(rx_data[8*i +: 8]),
                .valid(rx_valid[i]), .frame_err(rx_ferr[i]));
            lgn_uart_tx #(.CLK_HZ(CLK), .BAUD(BAUD)) tx (
                .clk(clk), .rst(rst), .data(tx_data[8*i +: 8]), .valid(tx_valid[i]),
                .ready(tx_ready[i]), .txd(txd[i]));
        end
    endgenerate
endmodule
