// SPDX-License-Identifier: MIT
// Synchronous first-word-fall-through FIFO of WIDTH-bit words, DEPTH (a power of 2) words in
// a memory with one write port and one registered read port (so it maps onto block RAM),
// plus the output register that port reads into (out_data, valid while out_valid). A word
// written at clock t is at the output at t+2 when the FIFO was empty.
//
// in_free counts the words the memory takes now (a write while it is 0 is dropped, and
// in_ready is low); count is every word held, the output register's included (so it goes up
// to DEPTH + 1).
module lgn_word_fifo #(
    parameter integer WIDTH = 36,
    parameter integer DEPTH = 1024
) (
    input  wire             clk,
    input  wire             rst,
    input  wire [WIDTH-1:0] in_data,
    input  wire             in_valid,
    output wire             in_ready,
    output wire [WIDTH-1:0] out_data,
    output wire             out_valid,
    input  wire             out_ready,
    output wire [31:0]      in_free,
    output wire [31:0]      count
);
    localparam integer AW = $clog2(DEPTH);
    generate
        if (DEPTH < 2 || (1 << AW) != DEPTH) begin : bad_depth
            ERROR_lgn_word_fifo_needs_DEPTH_a_power_of_2 check();
        end
    endgenerate

    reg [WIDTH-1:0] mem [0:DEPTH-1];
    reg [AW:0]      wptr, rptr;
    reg [WIDTH-1:0] q;
    reg             q_valid;
    wire [AW:0]     used = wptr - rptr;
    wire            full = used == (AW+1)'(DEPTH);
    wire            read = (used != {(AW+1){1'b0}}) && (!q_valid || out_ready);

    assign in_ready  = !full;
    assign out_data  = q;
    assign out_valid = q_valid;
    assign in_free   = 32'(DEPTH) - 32'(used);
    assign count     = 32'(used) + {31'd0, q_valid};

    // the memory: one write port, one registered read port, no reset
    always @(posedge clk) begin
        if (in_valid && !full) mem[wptr[AW-1:0]] <= in_data;
        if (read) q <= mem[rptr[AW-1:0]];
    end

    always @(posedge clk) begin
        if (rst) begin
            wptr <= {(AW+1){1'b0}};
            rptr <= {(AW+1){1'b0}};
            q_valid <= 1'b0;
        end else begin
            if (in_valid && !full) wptr <= wptr + 1'b1;
            if (read) rptr <= rptr + 1'b1;
            if (read) q_valid <= 1'b1;
            else if (out_ready) q_valid <= 1'b0;
        end
    end
endmodule
