// SPDX-License-Identifier: MIT
// lgn_framer: the payload bytes of lgn_cobs_dec in, one checked frame out (docs/protocol.md).
//
// Per frame: the header (seq, type, len), the first body bytes (a RUN's fixed part: mode,
// layer, count), the CRC over header and body, and the checks of a frame (COBS, length, CRC,
// len field), in that order; `fr_code` is 0 for a good frame, else the error to reply with
// and `fr_detail` its detail. The body goes into the frame store as it arrives: FRAME_BUFS
// buffers of FS_DEPTH words of L bytes (lgn_core_sizes.vh). A body byte at offset o is
// stored at word o/L, byte lane o%L, except the samples of a RUN frame (when configured):
// byte j of sample s goes to byte lane s%L of word (s/L)*sample_bytes + j, so the L samples
// the gate engine evaluates together arrive side by side and one word read per input byte
// transposes them (the bit-sliced form).
//
// When a frame ends it is pending (`fr_pending`, its buffer starts at word `fr_base`) and
// the decoder is held until `fr_release`; with FRAME_BUFS = 2 the next frame goes into the
// other buffer meanwhile. The command handler reads the store after the CRC has passed, and
// the gate engine reads a RUN's samples, through one registered read port (fs_raddr ->
// fs_rword).
//
// W = IN_BYTES_PER_CLK decoded slots a clock, handled in order on local copies of the state
// (blocking) and stored at the end; with W = 1 this is plain per-byte logic.
// Ports are declared in the body, where their widths can use the included sizes.
module lgn_framer #(
`include "generated/lgn_engine_params.vh"
) (clk, rst, d_data, d_valid, d_end, d_err, cfg_valid, cfg_nbytes, fr_pending, fr_release,
   fr_seq, fr_type, fr_len, fr_head, fr_code, fr_detail, fr_base, fs_raddr, fs_ren, fs_rword);
`include "generated/lgn_protocol.vh"
`include "lgn_core_sizes.vh"
`include "lgn_crc16.vh"
    localparam integer W = IN_BYTES_PER_CLK;
    localparam integer HEAD = 32'(LGN_RUN_FIXED_BYTES);   // body bytes captured in fr_head

    input  wire           clk;
    input  wire           rst;
    // decoded slots: slot k is byte d_data[8k +: 8] when d_valid[k]; with d_end[k] it ends
    // the frame instead (d_err[k]: the frame was not valid COBS)
    input  wire [8*W-1:0] d_data;
    input  wire [W-1:0]   d_valid;
    input  wire [W-1:0]   d_end;
    input  wire [W-1:0]   d_err;
    // the configuration decides where a RUN's samples go
    input  wire           cfg_valid;
    input  wire [15:0]    cfg_nbytes;              // ceil(inputs/8)
    // the pending frame
    output reg            fr_pending;
    input  wire           fr_release;              // the handler is done with it
    output reg  [7:0]     fr_seq;                  // (0 when the frame was too short for it)
    output reg  [7:0]     fr_type;
    output reg  [15:0]    fr_len;
    output reg  [8*HEAD-1:0] fr_head;              // body byte i in bits 8i +: 8
    output reg  [7:0]     fr_code;                 // 0 = good frame, else the error to reply
    output reg  [15:0]    fr_detail;
    output wire [FSW-1:0] fr_base;                 // first word of its buffer
    // the frame store's read port (one clock)
    input  wire [FSW-1:0] fs_raddr;
    input  wire           fs_ren;
    output reg  [8*L-1:0] fs_rword;

    reg [17:0] fr_pos;                     // payload bytes so far
    reg [7:0]  fr_b1, fr_b2;               // the last two bytes (the CRC, at the end)
    reg [15:0] fr_crc;
    reg        fr_long;
    reg        fr_runmap;                  // store as RUN samples
    reg [15:0] fr_j;                       // byte of the sample
    reg [LG-1:0] fr_lane;                  // sample % L
    reg [FSW-1:0] fr_cbase;                // first word of the sample's chunk
    reg        fr_bank, fr_pbank;          // buffer being filled / holding the pending frame

    reg [8*L-1:0] fstore [0:FS_WORDS-1];
    always @(posedge clk) if (fs_ren) fs_rword <= fstore[fs_raddr];
    assign fr_base = fr_pbank ? FSW'(FS_DEPTH) : {FSW{1'b0}};

    reg [17:0]  fx_pos, fx_off;
    reg [7:0]   fx_seq, fx_type, fx_b1, fx_b2, fx_code, fx_byte;
    reg [15:0]  fx_len, fx_crc, fx_detail, fx_j;
    reg [FSW-1:0] fx_word;                 // where this byte goes in the frame store
    reg [LG-1:0] fx_blane;
    reg         fx_long, fx_runmap, fx_pend, fx_bank, fx_pbank, fx_sample;
    reg [8*HEAD-1:0] fx_head;
    reg [LG-1:0] fx_lane;
    reg [FSW-1:0] fx_cbase;
    /* verilator lint_off BLKSEQ */
    always @(posedge clk) begin
        if (rst) begin
            fr_pos <= 18'd0;
            fr_crc <= LGN_CRC_INIT;
            fr_long <= 1'b0;
            fr_pending <= 1'b0;
            fr_runmap <= 1'b0;
            fr_j <= 16'd0;
            fr_lane <= {LG{1'b0}};
            fr_cbase <= {FSW{1'b0}};
            fr_code <= 8'd0;
            fr_detail <= 16'd0;
            fr_seq <= 8'd0;
            fr_type <= 8'd0;
            fr_len <= 16'd0;
            fr_b1 <= 8'd0;
            fr_b2 <= 8'd0;
            fr_bank <= 1'b0;
            fr_pbank <= 1'b0;
        end else if (!fr_pending && |d_valid) begin   // (nothing to do otherwise)
            fx_pos = fr_pos; fx_seq = fr_seq; fx_type = fr_type; fx_b1 = fr_b1; fx_b2 = fr_b2;
            fx_len = fr_len; fx_crc = fr_crc; fx_long = fr_long; fx_runmap = fr_runmap;
            fx_j = fr_j; fx_lane = fr_lane; fx_cbase = fr_cbase; fx_code = fr_code;
            fx_detail = fr_detail; fx_bank = fr_bank; fx_pbank = fr_pbank; fx_head = fr_head;
            fx_pend = 1'b0;
            for (int k = 0; k < W; k++) begin
                if (d_valid[k] && d_end[k]) begin
                    fx_pend = 1'b1;
                    fx_pbank = fx_bank;
                    if (FRAME_BUFS > 1) fx_bank = !fx_bank;
                    fx_detail = 16'd0;
                    if (fx_pos <= 18'(LGN_HEADER_OFF_TYPE)) fx_type = 8'd0;
                    if (fx_pos <= 18'(LGN_HEADER_OFF_SEQ)) fx_seq = 8'd0;
                    if (d_err[k])
                        fx_code = LGN_ERR_BAD_COBS;
                    else if (fx_long) begin
                        fx_code = LGN_ERR_FRAME_TOO_LONG;
                        fx_detail = 16'(MAX_BODY);
                    end else if (fx_pos < 18'(LGN_MIN_PAYLOAD)) begin
                        fx_code = LGN_ERR_BAD_LENGTH;
                        fx_detail = 16'(fx_pos);
                    end else if ({fx_b1, fx_b2} != fx_crc) begin
                        fx_code = LGN_ERR_BAD_CRC;
                        fx_detail = 16'(fx_pos);             // payload bytes received
                    end else if (18'(fx_len) != fx_pos - 18'(LGN_MIN_PAYLOAD)) begin
                        fx_code = LGN_ERR_BAD_LENGTH;
                        fx_detail = fx_len;                  // the length field that did not match
                    end else
                        fx_code = 8'd0;
                    fx_pos = 18'd0;
                    fx_crc = LGN_CRC_INIT;
                    fx_long = 1'b0;
                    fx_runmap = 1'b0;
                    fx_j = 16'd0;
                    fx_lane = {LG{1'b0}};
                    fx_cbase = {FSW{1'b0}};
                end else if (d_valid[k]) begin
                    fx_byte = d_data[8*k +: 8];
                    if (fx_pos >= 18'(MAX_PAYLOAD)) fx_long = 1'b1;
                    else begin
                        // the body goes into the frame store (RUN samples: lane-major)
                        if (fx_pos >= 18'(LGN_HEADER_BYTES)) begin
                            fx_off = fx_pos - 18'(LGN_HEADER_BYTES);
                            fx_sample = fx_runmap && fx_off >= 18'(LGN_RUN_FIXED_BYTES);
                            // one write a byte (one write port: block RAM on a board)
                            fx_word = (fx_bank ? FSW'(FS_DEPTH) : {FSW{1'b0}})
                                    + (fx_sample ? fx_cbase + fx_j[FSW-1:0] : FSW'(fx_off >> LG));
                            fx_blane = fx_sample ? fx_lane : fx_off[LG-1:0];
                            for (int b = 0; b < L; b++)   // (byte enables, not bit enables)
                                if (fx_blane == LG'(b)) fstore[fx_word][8*b +: 8] <= fx_byte;
                            if (fx_sample) begin
                                if (fx_j == cfg_nbytes - 16'd1) begin
                                    fx_j = 16'd0;
                                    fx_lane = fx_lane + 1'b1;
                                    if (fx_lane == {LG{1'b0}}) fx_cbase = fx_cbase + cfg_nbytes[FSW-1:0];
                                end else fx_j = fx_j + 16'd1;
                            end
                            if (fx_off < 18'(HEAD)) fx_head[8*fx_off[$clog2(HEAD)-1:0] +: 8] = fx_byte;
                        end
                        // the CRC runs LGN_CRC_BYTES behind: the last bytes are the CRC itself
                        if (fx_pos >= 18'(LGN_CRC_BYTES)) fx_crc = lgn_crc16_byte(fx_crc, fx_b2);
                        fx_b2 = fx_b1;
                        fx_b1 = fx_byte;
                        case (fx_pos)
                            18'(LGN_HEADER_OFF_SEQ): fx_seq = fx_byte;
                            18'(LGN_HEADER_OFF_TYPE): begin
                                fx_type = fx_byte;
                                fx_runmap = fx_byte == LGN_CMD_RUN && cfg_valid;
                            end
                            18'(LGN_HEADER_OFF_LEN): fx_len[7:0] = fx_byte;
                            18'(LGN_HEADER_OFF_LEN) + 18'd1: fx_len[15:8] = fx_byte;
                            default: ;
                        endcase
                        fx_pos = fx_pos + 18'd1;
                    end
                end
            end
            fr_pos <= fx_pos; fr_seq <= fx_seq; fr_type <= fx_type; fr_b1 <= fx_b1; fr_b2 <= fx_b2;
            fr_len <= fx_len; fr_crc <= fx_crc; fr_long <= fx_long; fr_runmap <= fx_runmap;
            fr_j <= fx_j; fr_lane <= fx_lane; fr_cbase <= fx_cbase; fr_code <= fx_code;
            fr_detail <= fx_detail; fr_bank <= fx_bank; fr_pbank <= fx_pbank; fr_head <= fx_head;
            fr_pending <= fx_pend;
        end else if (fr_release) fr_pending <= 1'b0;
    end
    /* verilator lint_on BLKSEQ */
endmodule
