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
module lgn_cobs_dec (
    input  wire       clk,
    input  wire       rst,
    input  wire [7:0] in_data,
    input  wire       in_valid,
    output wire       in_ready,
    output reg  [7:0] out_data,
    output reg        out_valid,
    output reg        out_end,     // with out_valid: end of frame, out_data meaningless
    output reg        out_err,     // with out_end: the frame was not valid COBS
    input  wire       out_ready
);
    reg [7:0] left;        // data bytes still to come in the current block
    reg       pend_zero;   // a zero is owed before the next block's data
    reg       blk_zero;    // the current block ends with an implied zero
    reg       started;     // bytes since the last delimiter

    assign in_ready = out_ready;

    always @* begin
        out_data = in_data;
        out_valid = 1'b0;
        out_end = 1'b0;
        out_err = 1'b0;
        if (in_valid) begin
            if (in_data == 8'h00) begin
                out_valid = started;
                out_end = 1'b1;
                out_err = left != 8'd0;
            end else if (left == 8'd0) begin
                out_valid = pend_zero;
                out_data = 8'h00;
            end else
                out_valid = 1'b1;
        end
    end

    always @(posedge clk) begin
        if (rst) begin
            left <= 8'd0;
            pend_zero <= 1'b0;
            blk_zero <= 1'b0;
            started <= 1'b0;
        end else if (in_valid && in_ready) begin
            if (in_data == 8'h00) begin
                left <= 8'd0;
                pend_zero <= 1'b0;
                started <= 1'b0;
            end else begin
                started <= 1'b1;
                if (left == 8'd0) begin
                    left <= in_data - 8'd1;
                    blk_zero <= in_data != 8'hFF;
                    pend_zero <= (in_data == 8'd1);   // an empty block ends at once
                end else begin
                    left <= left - 8'd1;
                    if (left == 8'd1) pend_zero <= blk_zero;
                end
            end
        end
    end
endmodule
