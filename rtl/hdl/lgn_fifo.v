// SPDX-License-Identifier: MIT
// Synchronous byte FIFO (DEPTH a power of 2). A write while full is dropped and counted:
// behind a UART nothing can push back, so the link protocol's CRC/retry covers the loss.
module lgn_fifo #(
    parameter integer DEPTH = 4096
) (
    input  wire       clk,
    input  wire       rst,
    input  wire [7:0] in_data,
    input  wire       in_valid,
    output wire [7:0] out_data,
    output wire       out_valid,
    input  wire       out_ready,
    output reg [15:0] dropped
);
    localparam integer AW = $clog2(DEPTH);
    reg [7:0]  mem [0:DEPTH-1];
    reg [AW:0] wptr, rptr;
    wire full = (wptr - rptr) == (AW+1)'(DEPTH);
    assign out_valid = wptr != rptr;
    assign out_data = mem[rptr[AW-1:0]];
    always @(posedge clk) begin
        if (rst) begin
            wptr <= {(AW+1){1'b0}};
            rptr <= {(AW+1){1'b0}};
            dropped <= 16'd0;
        end else begin
            if (in_valid) begin
                if (full) dropped <= dropped + 16'd1;
                else begin
                    mem[wptr[AW-1:0]] <= in_data;
                    wptr <= wptr + 1'b1;
                end
            end
            if (out_valid && out_ready) rptr <= rptr + 1'b1;
        end
    end
endmodule
