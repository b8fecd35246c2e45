// SPDX-License-Identifier: MIT
// Synchronous byte FIFO (DEPTH a power of 2), first-word-fall-through. A write while full is
// dropped and counted: behind a UART nothing can push back, so the link protocol's CRC/retry
// covers the loss. The memory is read through a register (block RAM on the boards), so a
// byte reaches out_data two clocks after it was written; the output register holds one
// byte more than DEPTH.
module lgn_fifo #(
    parameter integer DEPTH = 4096
) (
    input  wire       clk,
    input  wire       rst,
    input  wire [7:0] in_data,
    input  wire       in_valid,
    output reg  [7:0] out_data,
    output reg        out_valid,
    input  wire       out_ready,
    output reg [15:0] dropped
);
    localparam integer AW = $clog2(DEPTH);
    reg [7:0]  mem [0:DEPTH-1];
    reg [AW:0] wptr, rptr;
    wire full = (wptr - rptr) == (AW+1)'(DEPTH);
    // move the oldest byte into the output register when it is empty or being taken
    wire load = wptr != rptr && (!out_valid || out_ready);
    always @(posedge clk) begin
        if (in_valid && !full) mem[wptr[AW-1:0]] <= in_data;
        if (load) out_data <= mem[rptr[AW-1:0]];
    end
    always @(posedge clk) begin
        if (rst) begin
            wptr <= {(AW+1){1'b0}};
            rptr <= {(AW+1){1'b0}};
            out_valid <= 1'b0;
            dropped <= 16'd0;
        end else begin
            if (in_valid) begin
                if (full) dropped <= dropped + 16'd1;
                else wptr <= wptr + 1'b1;
            end
            if (load) begin
                rptr <= rptr + 1'b1;
                out_valid <= 1'b1;
            end else if (out_ready) out_valid <= 1'b0;
        end
    end
endmodule
