// SPDX-License-Identifier: MIT
// COBS encoder: payload bytes in (with `in_last` on a frame's final byte), encoded bytes out,
// each frame followed by the 0x00 delimiter.
//
// Non-zero bytes go into a 512-byte circular buffer; a block closes on a zero byte, after
// 254 bytes or at the end of the frame, and its length goes into a small block queue. The
// output side emits a closed block's code byte, then its bytes from the buffer, while the
// input side fills the next block, so a frame streams at about one byte per clock. Output
// is canonical COBS (a frame ending on a full block gets no trailing 0x01).
module lgn_cobs_enc (
    input  wire       clk,
    input  wire       rst,
    input  wire [7:0] in_data,
    input  wire       in_last,
    input  wire       in_valid,
    output wire       in_ready,
    output reg  [7:0] out_data,
    output reg        out_valid,
    input  wire       out_ready,
    output wire       idle         // nothing buffered, nothing being sent
);
    reg [7:0] buffer [0:511];
    reg [9:0] wptr, rptr;
    reg [7:0] cur_len;
    localparam [1:0] O_CODE = 2'd0, O_DATA = 2'd1, O_DELIM = 2'd2;
    reg [1:0] ostate;

    // Block queue: {final, full, len}.
    reg [9:0] q [0:3];
    reg [2:0] qw, qr;
    wire [2:0] qcount = qw - qr;
    wire [9:0] fill = wptr - rptr;
    assign in_ready = (fill < 10'd511) && (qcount <= 3'd2);
    assign idle = (qcount == 3'd0) && (fill == 10'd0) && (cur_len == 8'd0) && (ostate == O_CODE);

    reg [7:0] orem;
    reg       ofinal;
    wire [9:0] head = q[qr[1:0]];

    always @* begin
        out_valid = 1'b0;
        out_data = 8'h00;
        case (ostate)
            O_CODE: begin
                out_valid = qcount != 3'd0;
                out_data = head[8] ? 8'hFF : head[7:0] + 8'd1;
            end
            O_DATA: begin
                out_valid = 1'b1;
                out_data = buffer[rptr[8:0]];
            end
            default: out_valid = 1'b1;   // the delimiter
        endcase
    end

    wire take = in_valid && in_ready;
    wire [7:0] len1 = cur_len + 8'd1;

    always @(posedge clk) begin
        if (rst) begin
            wptr <= 10'd0;
            rptr <= 10'd0;
            cur_len <= 8'd0;
            qw <= 3'd0;
            qr <= 3'd0;
            ostate <= O_CODE;
            orem <= 8'd0;
            ofinal <= 1'b0;
        end else begin
            // input side
            if (take) begin
                if (in_data == 8'h00) begin
                    q[qw[1:0]] <= {1'b0, 1'b0, cur_len};
                    cur_len <= 8'd0;
                    if (in_last) begin
                        q[qw[1:0] + 2'd1] <= {1'b1, 1'b0, 8'd0};
                        qw <= qw + 3'd2;
                    end else qw <= qw + 3'd1;
                end else begin
                    buffer[wptr[8:0]] <= in_data;
                    wptr <= wptr + 10'd1;
                    if (len1 == 8'd254 || in_last) begin
                        q[qw[1:0]] <= {in_last, len1 == 8'd254, len1};
                        qw <= qw + 3'd1;
                        cur_len <= 8'd0;
                    end else cur_len <= len1;
                end
            end
            // output side
            if (out_valid && out_ready) begin
                case (ostate)
                    O_CODE: begin
                        qr <= qr + 3'd1;
                        orem <= head[7:0];
                        ofinal <= head[9];
                        if (head[7:0] != 8'd0) ostate <= O_DATA;
                        else if (head[9]) ostate <= O_DELIM;
                    end
                    O_DATA: begin
                        rptr <= rptr + 10'd1;
                        orem <= orem - 8'd1;
                        if (orem == 8'd1) ostate <= ofinal ? O_DELIM : O_CODE;
                    end
                    default: ostate <= O_CODE;
                endcase
            end
        end
    end
endmodule
