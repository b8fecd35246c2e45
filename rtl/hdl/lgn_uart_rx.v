// SPDX-License-Identifier: MIT
// UART receiver, 8N1, LSB first. The bit period is CLK_HZ/BAUD clocks held as a fixed-point
// number with 8 fractional bits, so 3,000,000 baud from 25 MHz (8.33 clocks per bit) keeps
// every sample point within 1/256 clock of the ideal instead of drifting 4% per bit.
// A start bit is confirmed at half a bit; each data bit is sampled in its middle; a stop
// bit that reads 0 raises `frame_err` for one clock and the byte is dropped (a break or
// a baud mismatch). The line is synchronised through three flip-flops.
module lgn_uart_rx #(
    parameter integer CLK_HZ = 25_000_000,
    parameter integer BAUD   = 115_200
) (
    input  wire       clk,
    input  wire       rst,
    input  wire       rxd,
    output reg  [7:0] data,
    output reg        valid,      // one clock per received byte
    output reg        frame_err   // one clock per byte whose stop bit was 0
);
    // Clocks per bit in 24.8 fixed point (rounded). The divisor is the only timing knob.
    localparam [39:0] DIV_Q8 = (40'(CLK_HZ) * 40'd256 + 40'(BAUD / 2)) / 40'(BAUD);
    localparam [31:0] DIV = DIV_Q8[31:0];
    // Two synchroniser clocks have already passed when the start edge is seen.
    localparam [31:0] HALF = (DIV >> 1) - 32'd512;

    reg [2:0] sync;
    reg       line_q;      // the line one clock earlier: a start bit is a falling edge, so a
    wire line = sync[2];   // line held low (a break, or a framing error's low stop bit) is
    always @(posedge clk) begin   // not taken for a stream of 0x00 bytes
        sync <= {sync[1:0], rxd};
        line_q <= line;
    end

    localparam [1:0] IDLE = 2'd0, START = 2'd1, BITS = 2'd2, STOP = 2'd3;
    reg  [1:0]  state;
    reg  [31:0] acc;       // time left to the next sample point, 24.8 fixed point
    reg  [2:0]  nbit;
    reg  [7:0]  shreg;
    wire        tick = acc < 32'd256;

    always @(posedge clk) begin
        valid <= 1'b0;
        frame_err <= 1'b0;
        if (rst) begin
            state <= IDLE;
            acc <= 32'd0;
            nbit <= 3'd0;
            shreg <= 8'd0;
            data <= 8'd0;
        end else begin
            acc <= tick ? acc + DIV - 32'd256 : acc - 32'd256;
            case (state)
                IDLE: if (line_q && !line) begin
                    state <= START;
                    acc <= HALF;
                end
                START: if (tick) begin
                    if (line) state <= IDLE;   // a glitch, not a start bit
                    else begin
                        state <= BITS;
                        nbit <= 3'd0;
                    end
                end
                BITS: if (tick) begin
                    shreg <= {line, shreg[7:1]};
                    nbit <= nbit + 3'd1;
                    if (nbit == 3'd7) state <= STOP;
                end
                STOP: if (tick) begin
                    state <= IDLE;
                    if (line) begin
                        data <= shreg;
                        valid <= 1'b1;
                    end else frame_err <= 1'b1;
                end
            endcase
        end
    end
endmodule
