// SPDX-License-Identifier: MIT
// COBS decoder: encoded bytes in, decoded payload bytes and end-of-frame markers out.
//
// Every input byte yields at most one output, in the same clock (in_ready = out_ready):
//   - a code byte emits the zero implied by the previous block (unless that block was a
//     full 0xFF block), then opens a block of code-1 data bytes;
//   - a data byte is passed through;
//   - the 0x00 delimiter emits an end marker (out_end=1), with out_err=1 when the frame
//     stopped inside a block. Empty frames (0x00 0x00) produce nothing.
// The implied zero of the last block is never emitted, so both the canonical form and
// the form with a trailing 0x01 after a full block decode to the same payload.
//
// W bytes per clock (W = 1 on the boards; the virtual board uses 8): byte k of in_data is
// valid when in_valid[k], and the valid bytes are the low ones. Only the LAST valid byte
// of a clock may be the 0x00 delimiter, so at most one frame ends per clock and it ends
// after every other byte of that clock. Output slot k belongs to input byte k.
module lgn_cobs_dec #(
    parameter integer W = 1
) (
    input  wire           clk,
    input  wire           rst,
    input  wire [8*W-1:0] in_data,
    input  wire [W-1:0]   in_valid,
    output wire           in_ready,
    output reg  [8*W-1:0] out_data,
    output reg  [W-1:0]   out_valid,
    output reg  [W-1:0]   out_end,     // with out_valid: end of frame, out_data meaningless
    output reg  [W-1:0]   out_err,     // with out_end: the frame was not valid COBS
    input  wire           out_ready
);
    reg [7:0] left;        // data bytes still to come in the current block
    reg       pend_zero;   // a zero is owed before the next block's data
    reg       blk_zero;    // the current block ends with an implied zero
    reg       started;     // bytes since the last delimiter
    reg [7:0] n_left;
    reg       n_pend, n_blk, n_started;
    reg [7:0] b;

    assign in_ready = out_ready;

    always @* begin
        out_data = in_data;
        out_valid = {W{1'b0}};
        out_end = {W{1'b0}};
        out_err = {W{1'b0}};
        n_left = left;
        n_pend = pend_zero;
        n_blk = blk_zero;
        n_started = started;
        for (int k = 0; k < W; k++) begin
            b = in_data[8*k +: 8];
            if (in_valid[k]) begin
                if (b == 8'h00) begin
                    out_valid[k] = n_started;
                    out_end[k] = 1'b1;
                    out_err[k] = n_left != 8'd0;
                    n_left = 8'd0;
                    n_pend = 1'b0;
                    n_started = 1'b0;
                end else begin
                    n_started = 1'b1;
                    if (n_left == 8'd0) begin          // a code byte
                        out_valid[k] = n_pend;
                        out_data[8*k +: 8] = 8'h00;
                        n_left = b - 8'd1;
                        n_blk = b != 8'hFF;
                        n_pend = b == 8'd1;             // an empty block ends at once
                    end else begin
                        out_valid[k] = 1'b1;
                        n_left = n_left - 8'd1;
                        if (n_left == 8'd0) n_pend = n_blk;
                    end
                end
            end
        end
    end

    always @(posedge clk) begin
        if (rst) begin
            left <= 8'd0;
            pend_zero <= 1'b0;
            blk_zero <= 1'b0;
            started <= 1'b0;
        end else if (in_valid[0] && in_ready) begin
            left <= n_left;
            pend_zero <= n_pend;
            blk_zero <= n_blk;
            started <= n_started;
        end
    end
endmodule
