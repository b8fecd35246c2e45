// SPDX-License-Identifier: MIT
// COBS encoder: payload bytes in (with `in_last` on a frame's final byte), encoded bytes out,
// each frame followed by the 0x00 delimiter.
//
// Non-zero bytes go into a 512-byte circular buffer; a block closes on a zero byte, after
// 254 bytes or at the end of the frame, and its length goes into a small block queue. The
// output side emits a closed block's code byte, then its bytes from the buffer, while the
// input side fills the next block, so a frame streams at about W bytes per clock. Output
// is canonical COBS (a frame ending on a full block gets no trailing 0x01).
//
// W bytes per clock each way (W = 1 on the boards; the virtual board uses more). Input:
// byte k of in_data is offered when in_valid[k]; the offered bytes are the low ones, and
// in_last marks the highest offered byte as the frame's last. in_ready means that all W
// could be taken, and every offered byte is taken when it is high. Output: out_valid[k]
// for byte k, the valid bytes are the low ones; out_ready takes all of them.
module lgn_cobs_enc #(
    parameter integer W = 1
) (
    input  wire           clk,
    input  wire           rst,
    input  wire [8*W-1:0] in_data,
    input  wire           in_last,
    input  wire [W-1:0]   in_valid,
    output wire           in_ready,
    output reg  [8*W-1:0] out_data,
    output reg  [W-1:0]   out_valid,
    input  wire           out_ready,
    output wire           idle         // nothing buffered, nothing being sent
);
    // block queue depth: a clock pushes at most W+1 entries (a final zero byte: two), and
    // in_ready leaves room for three clocks of them
    localparam integer QD = 1 << $clog2(4 * (W + 1));
    localparam integer QB = $clog2(QD);
    reg [7:0] buffer [0:511];
    reg [9:0] wptr, rptr;
    reg [7:0] cur_len;
    localparam [1:0] O_CODE = 2'd0, O_DATA = 2'd1, O_DELIM = 2'd2;
    reg [1:0] ostate;

    // Block queue: {final, full, len}.
    reg [9:0] q [0:QD-1];
    reg [QB:0] qw, qr;
    wire [QB:0] qcount = qw - qr;
    wire [9:0] fill = wptr - rptr;
    // The input side is a register stage: the bytes taken at clock t are written at t+1 (the
    // streamer's byte selection and the zero test here are not one path). in_ready is a
    // register too, set from this clock's state: it leaves room for the bytes taken this
    // clock and the last, not yet in the state, as well as the next clock's.
    reg [8*W-1:0] s_data;
    reg [W-1:0]   s_valid;
    reg           s_last;
    reg in_ready_q;
    always @(posedge clk) in_ready_q <= !rst && (fill <= 10'(511 - 3 * W)) && (qcount <= (QB+1)'(QD - 3 * W - 3));
    assign in_ready = in_ready_q;
    assign idle = (qcount == {(QB+1){1'b0}}) && (fill == 10'd0) && (cur_len == 8'd0) && (ostate == O_CODE)
                  && !s_valid[0];

    reg [7:0] orem;
    reg       ofinal;

    // output side: the W slots of a clock in order, on local copies of the state
    reg [1:0]  o_st;
    reg [QB:0] o_qr;
    reg [9:0]  o_rp;
    reg [7:0]  o_rem;
    reg        o_fin, o_stop;
    reg [9:0]  o_head;
    always @* begin
        out_valid = {W{1'b0}};
        out_data = {(8*W){1'b0}};
        o_st = ostate;
        o_qr = qr;
        o_rp = rptr;
        o_rem = orem;
        o_fin = ofinal;
        o_stop = 1'b0;
        o_head = 10'd0;
        for (int k = 0; k < W; k++) if (ostate != O_CODE || qr != qw) begin   // (not a latch)
            if (!o_stop) begin
                case (o_st)
                    O_CODE: begin
                        if (o_qr == qw) o_stop = 1'b1;
                        else begin
                            o_head = q[o_qr[QB-1:0]];
                            out_valid[k] = 1'b1;
                            out_data[8*k +: 8] = o_head[8] ? 8'hFF : o_head[7:0] + 8'd1;
                            o_qr = o_qr + 1'b1;
                            o_rem = o_head[7:0];
                            o_fin = o_head[9];
                            if (o_head[7:0] != 8'd0) o_st = O_DATA;
                            else if (o_head[9]) o_st = O_DELIM;
                        end
                    end
                    O_DATA: begin
                        out_valid[k] = 1'b1;
                        out_data[8*k +: 8] = buffer[o_rp[8:0]];
                        o_rp = o_rp + 10'd1;
                        o_rem = o_rem - 8'd1;
                        if (o_rem == 8'd0) o_st = o_fin ? O_DELIM : O_CODE;
                    end
                    default: begin   // the delimiter
                        out_valid[k] = 1'b1;
                        o_st = O_CODE;
                    end
                endcase
            end
        end
    end

    // input side: the W bytes taken a clock before, in order, on local copies of the state
    always @(posedge clk) begin
        s_valid <= (!rst && in_ready) ? in_valid : {W{1'b0}};
        s_data <= in_data;
        s_last <= in_last;
    end
    reg [9:0]  i_wp;
    reg [7:0]  i_len, i_len1, i_b;
    reg [QB:0] i_qw;
    reg        i_last;

    /* verilator lint_off BLKSEQ */
    always @(posedge clk) begin
        if (rst) begin
            wptr <= 10'd0;
            rptr <= 10'd0;
            cur_len <= 8'd0;
            qw <= {(QB+1){1'b0}};
            qr <= {(QB+1){1'b0}};
            ostate <= O_CODE;
            orem <= 8'd0;
            ofinal <= 1'b0;
        end else begin
            if (s_valid[0]) begin
                i_wp = wptr;
                i_len = cur_len;
                i_qw = qw;
                for (int k = 0; k < W; k++) begin
                    if (s_valid[k]) begin
                        i_b = s_data[8*k +: 8];
                        i_last = s_last && (k == W - 1 || !s_valid[(k + 1) % W]);
                        i_len1 = i_len + 8'd1;
                        if (i_b == 8'h00) begin
                            q[i_qw[QB-1:0]] <= {1'b0, 1'b0, i_len};
                            i_qw = i_qw + 1'b1;
                            i_len = 8'd0;
                            if (i_last) begin
                                q[i_qw[QB-1:0]] <= {1'b1, 1'b0, 8'd0};
                                i_qw = i_qw + 1'b1;
                            end
                        end else begin
                            buffer[i_wp[8:0]] <= i_b;
                            i_wp = i_wp + 10'd1;
                            if (i_len1 == 8'd254 || i_last) begin
                                q[i_qw[QB-1:0]] <= {i_last, i_len1 == 8'd254, i_len1};
                                i_qw = i_qw + 1'b1;
                                i_len = 8'd0;
                            end else i_len = i_len1;
                        end
                    end
                end
                wptr <= i_wp;
                cur_len <= i_len;
                qw <= i_qw;
            end
            if (out_valid[0] && out_ready) begin
                qr <= o_qr;
                rptr <= o_rp;
                orem <= o_rem;
                ofinal <= o_fin;
                ostate <= o_st;
            end
        end
    end
    /* verilator lint_on BLKSEQ */
endmodule
