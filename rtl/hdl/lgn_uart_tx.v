// SPDX-License-Identifier: MIT
// UART transmitter, 8N1, LSB first, with the same fixed-point bit timing as lgn_uart_rx.
// Byte stream in (valid/ready); `txd` idles high.
module lgn_uart_tx #(
    parameter integer CLK_HZ = 25_000_000,
    parameter integer BAUD   = 115_200
) (
    input  wire       clk,
    input  wire       rst,
    input  wire [7:0] data,
    input  wire       valid,
    output wire       ready,
    output reg        txd
);
    localparam [39:0] DIV_Q8 = (40'(CLK_HZ) * 40'd256 + 40'(BAUD / 2)) / 40'(BAUD);
    localparam [31:0] DIV = DIV_Q8[31:0];

    reg        busy;
    reg [8:0]  shreg;     // data bits then the stop bit
    reg [3:0]  nbit;
    reg [31:0] acc;
    wire       tick = acc < 32'd256;
    assign ready = !busy;

    always @(posedge clk) begin
        if (rst) begin
            busy <= 1'b0;
            txd <= 1'b1;
            shreg <= 9'h1FF;
            nbit <= 4'd0;
            acc <= 32'd0;
        end else if (!busy) begin
            if (valid) begin
                busy <= 1'b1;
                txd <= 1'b0;                // start bit
                shreg <= {1'b1, data};
                nbit <= 4'd0;
                acc <= DIV - 32'd256;
            end
        end else begin
            acc <= tick ? acc + DIV - 32'd256 : acc - 32'd256;
            if (tick) begin
                if (nbit == 4'd9) busy <= 1'b0;   // stop bit finished
                else begin
                    txd <= shreg[0];
                    shreg <= {1'b1, shreg[8:1]};
                    nbit <= nbit + 4'd1;
                end
            end
        end
    end
endmodule
