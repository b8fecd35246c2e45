// SPDX-License-Identifier: MIT
// lgn_cmd: the command handler of lgn_core (docs/protocol.md): takes the framer's pending
// frame, answers INFO, RESET, CONFIG, LOAD, RUN, STATUS and every error, and keeps the
// STATUS counters; the configuration is its part lgn_config.
//
// A frame's body is read from the frame store one byte a clock (rd_off .. rd_end; byte rs_byte
// at body offset rs_k, registered once more after the block RAM's read). LOAD is read twice (the first pass checks every gate record, the
// second writes them: a rejected LOAD changes nothing); RUN starts the gate engine and waits
// for it. A reply is a type, a body length and a body head (`hreg`, byte i in bits 8i +: 8;
// a RUN's records follow from the result memory), handed to the reply streamer when it is
// free (tx_start). CONFIG and RESET hold the framer until their reply starts, so a RUN behind
// them is stored with the new input size; with RESULT_BUFS = 1 the next command waits until
// the reply has gone into the encoder.
// Ports are declared in the body, where their widths can use the included sizes.
module lgn_cmd #(
`include "generated/lgn_engine_params.vh"
) (clk, rst, fr_pending, fr_seq, fr_type, fr_len, fr_head, fr_code, fr_detail, fr_base,
   fr_release, fs_raddr, fs_ren, fs_rword, cfg_valid, cfg_nbytes, cfg_classes, cfg_gs,
   cfg_width_f, cfg_base_f, cls_init_c_f, cls_init_r_f, cls_step_c, cls_step_r,
   gw_en, gw_slot, gw_addr, gw_data, e_start, e_mode, e_last, e_count, e_fsbase,
   e_busy, e_flush, e_cycles, e_ro, tx_start, tx_busy, rp_seq, rp_type, rp_len, rp_hlen, hreg, h_idle);
`include "generated/lgn_protocol.vh"
`include "lgn_core_sizes.vh"
    input  wire            clk, rst;
    // the framer's pending frame (lgn_framer)
    input  wire            fr_pending;
    input  wire [7:0]      fr_seq, fr_type;
    input  wire [15:0]     fr_len;
    input  wire [8*LGN_RUN_FIXED_BYTES-1:0] fr_head;
    input  wire [7:0]      fr_code;
    input  wire [15:0]     fr_detail;
    input  wire [FSW-1:0]  fr_base;
    output wire            fr_release;
    // frame-store reads (lgn_core gives the port to the gate engine while it is busy)
    output wire [FSW-1:0]  fs_raddr;
    output wire            fs_ren;
    input  wire [8*L-1:0]  fs_rword;
    // the configuration (lgn_config)
    output wire            cfg_valid;
    output wire [15:0]     cfg_nbytes, cfg_classes, cfg_gs;
    output wire [16*MAX_LAYERS-1:0]      cfg_width_f;
    output wire [(GAW+1)*MAX_LAYERS-1:0] cfg_base_f;
    output wire [G*(CW+1)-1:0]           cls_init_c_f;
    output wire [G*16-1:0]               cls_init_r_f;
    output wire [CW:0]     cls_step_c;
    output wire [15:0]     cls_step_r;
    // gate writes and the engine (lgn_gate_engine)
    output reg             gw_en;
    output reg  [GG-1:0]   gw_slot;
    output reg  [GAW-1:0]  gw_addr;
    output reg  [GB-1:0]   gw_data;                // {op, b, a}
    output reg             e_start;                // a pulse
    output reg             e_mode;                 // 1: raw layer bits
    output reg  [15:0]     e_last, e_count;        // last layer evaluated, samples
    output wire [FSW-1:0]  e_fsbase;               // first word of the RUN's frame buffer
    input  wire            e_busy;
    input  wire            e_flush;                // RUN results still being written
    input  wire [31:0]     e_cycles;
    input  wire [15:0]     e_ro;                   // result bytes written
    // the reply (lgn_reply)
    output wire            tx_start;
    input  wire            tx_busy;
    output reg  [7:0]      rp_seq, rp_type, rp_hlen;   // rp_hlen: body bytes from hreg
    output reg  [15:0]     rp_len;
    output reg  [8*HB-1:0] hreg;
    output wire            h_idle;

    wire [31:0] cfg_tag;
    wire [15:0] cfg_inputs, cfg_layers;
    // Counters (STATUS)
    reg [31:0] n_ok, n_crc, n_cobs, n_other, n_runs, n_samples, n_busy, n_idle;

    localparam [3:0] H_IDLE = 4'd0, H_CONFIG = 4'd1, H_LOAD_HDR = 4'd2, H_LOAD_GO = 4'd3,
                     H_LOAD_CHK = 4'd4, H_LOAD_WR = 4'd5, H_RUN = 4'd6, H_REPLY = 4'd7,
                     H_DISPATCH = 4'd8, H_ERROR = 4'd9, H_RUN_CHK = 4'd10;
    reg [3:0]  h_state;
    reg [7:0]  h_type;
    reg [15:0] h_len;
    reg [8*LGN_RUN_FIXED_BYTES-1:0] h_head;
    reg        h_hold;                    // the framer waits until this command's reply
    reg [7:0]  h_ecode;
    reg [15:0] h_edet;
    reg [FSW-1:0] h_base;                 // first word of the frame's buffer
    // byte stream out of the frame store
    reg [16:0] rd_off, rd_end, rq_k, rs_k;    // rq: the byte being read, rs: read
    reg        rq_v, rs_v;
    reg [LG-1:0] rq_lane;
    reg [7:0]  rs_byte;
    assign fs_raddr = h_base + FSW'(rd_off >> LG);
    assign fs_ren = rd_off < rd_end;
    assign e_fsbase = h_base;
    // parse scratch
    localparam integer RFW = $clog2(LGN_GATE_RECORD_BYTES);
    reg [8*LGN_LOAD_FIXED_BYTES-1:0] ld_fix;      // the LOAD body's fixed part
    reg [8*LGN_GATE_OFF_OP-1:0] ld_rec;           // the gate record's bytes before op
    wire [15:0] ld_layer = ld_fix[8*LGN_LOAD_OFF_LAYER +: 16];
    wire [15:0] ld_first = ld_fix[8*LGN_LOAD_OFF_FIRST +: 16];
    wire [15:0] ld_count = ld_fix[8*LGN_LOAD_OFF_COUNT +: 16];
    wire [15:0] ld_a = ld_rec[8*LGN_GATE_OFF_A +: 16];
    wire [15:0] ld_b = ld_rec[8*LGN_GATE_OFF_B +: 16];
    reg [15:0] ld_prevw, ld_gi;           // ld_gi: index of the gate in its layer
    reg [RFW-1:0] ld_f;                   // byte of the gate record
    reg        ld_bad;
    reg [15:0] ld_bad_at;

    // one result bank: the next command waits until the reply has gone into the encoder
    wire h_take = h_state == H_IDLE && fr_pending && (RESULT_BUFS > 1 || !tx_busy);
    assign tx_start = h_state == H_REPLY && !tx_busy;   // the reply streamer takes this reply
    assign h_idle = h_state == H_IDLE;
    wire [31:0] tag_out = cfg_valid ? cfg_tag : 32'd0;   // unconfigured boards report tag 0
    wire h_keep = FRAME_BUFS == 1 || (fr_code == 8'd0 &&
                  (fr_type == LGN_CMD_CONFIG || fr_type == LGN_CMD_RESET));
    assign fr_release = (h_take && !h_keep) || (tx_start && h_hold);

    // reply body heads, fields at their generated offsets
    function automatic [8*HB-1:0] info_head(input [31:0] tag);
        info_head = {(8*HB){1'b0}};
        info_head[8*LGN_INFO_OFF_PROTOCOL_VERSION +: 8] = LGN_PROTOCOL_VERSION;
        info_head[8*LGN_INFO_OFF_MAX_INPUTS +: 16] = 16'(MAX_INPUTS);
        info_head[8*LGN_INFO_OFF_MAX_WIDTH +: 16] = 16'(MAX_WIDTH);
        info_head[8*LGN_INFO_OFF_MAX_LAYERS +: 16] = 16'(MAX_LAYERS);
        info_head[8*LGN_INFO_OFF_MAX_CLASSES +: 16] = 16'(MAX_CLASSES);
        info_head[8*LGN_INFO_OFF_GATES_PER_CYCLE +: 16] = 16'(G);
        info_head[8*LGN_INFO_OFF_LANES +: 16] = 16'(L);
        info_head[8*LGN_INFO_OFF_MAX_BODY +: 16] = 16'(MAX_BODY);
        info_head[8*LGN_INFO_OFF_MAX_GATES +: 32] = 32'(MAX_GATES);
        info_head[8*LGN_INFO_OFF_CLOCK_HZ +: 32] = 32'(CLOCK_HZ);
        info_head[8*LGN_INFO_OFF_CONFIG_TAG +: 32] = tag;
    endfunction
    function automatic [8*HB-1:0] status_head(input [31:0] tag);
        status_head = {(8*HB){1'b0}};
        status_head[8*LGN_STATUS_OFF_TAG +: 32] = tag;
        status_head[8*LGN_STATUS_OFF_FRAMES_OK +: 32] = n_ok;
        status_head[8*LGN_STATUS_OFF_CRC_ERRORS +: 32] = n_crc;
        status_head[8*LGN_STATUS_OFF_COBS_ERRORS +: 32] = n_cobs;
        status_head[8*LGN_STATUS_OFF_OTHER_ERRORS +: 32] = n_other;
        status_head[8*LGN_STATUS_OFF_RUNS +: 32] = n_runs;
        status_head[8*LGN_STATUS_OFF_SAMPLES +: 32] = n_samples;
        status_head[8*LGN_STATUS_OFF_BUSY_CYCLES +: 32] = n_busy;
        status_head[8*LGN_STATUS_OFF_IDLE_CYCLES +: 32] = n_idle;
    endfunction
    function automatic [8*HB-1:0] error_head(input [7:0] code, input [7:0] ftype, input [15:0] detail);
        error_head = {(8*HB){1'b0}};
        error_head[8*LGN_ERROR_OFF_CODE +: 8] = code;
        error_head[8*LGN_ERROR_OFF_OFFENDING_TYPE +: 8] = ftype;
        error_head[8*LGN_ERROR_OFF_DETAIL +: 16] = detail;
    endfunction
    function automatic [8*HB-1:0] run_head(input [31:0] tag, input [31:0] cycles);
        run_head = {(8*HB){1'b0}};
        run_head[8*LGN_RUN_REPLY_OFF_TAG +: 32] = tag;
        run_head[8*LGN_RUN_REPLY_OFF_CYCLES +: 32] = cycles;
    endfunction

`define LGN_ERR(code, det) begin h_ecode <= code; h_edet <= det; h_state <= H_ERROR; end
// What a RESET command restores besides the configuration (lgn_config): the counters.
`define LGN_POWER_UP_STATE begin n_ok <= 32'd0; n_crc <= 32'd0; n_cobs <= 32'd0; \
    n_other <= 32'd0; n_runs <= 32'd0; n_samples <= 32'd0; n_busy <= 32'd0; n_idle <= 32'd0; end
`define LGN_REPLY(blen, hlen) begin rp_type <= h_type | LGN_REPLY_FLAG; rp_len <= blen; rp_hlen <= hlen; h_state <= H_REPLY; end
`define LGN_STREAM(from, upto) begin rd_off <= from; rd_end <= upto; rq_v <= 1'b0; rs_v <= 1'b0; end
    wire stream_done = rd_off >= rd_end && !rq_v && !rs_v;

    // the configuration: CONFIG's checks and what the gate engine derives from it
    wire        c_done, c_err;
    wire [7:0]  c_code;
    wire [15:0] c_detail;
    lgn_config #(
`include "generated/lgn_engine_pass.vh"
    ) u_config (
        .clk(clk), .rst(rst), .clear(h_state == H_DISPATCH && h_type == LGN_CMD_RESET && h_len == 16'd0),
        .cmd(h_state == H_DISPATCH && h_type == LGN_CMD_CONFIG), .h_len(h_len), .rs_v(rs_v),
        .rs_k(rs_k), .rs_byte(rs_byte), .stream_done(stream_done), .c_done(c_done), .c_err(c_err),
        .c_code(c_code), .c_detail(c_detail), .cfg_valid(cfg_valid), .cfg_tag(cfg_tag),
        .cfg_inputs(cfg_inputs), .cfg_layers(cfg_layers), .cfg_classes(cfg_classes),
        .cfg_nbytes(cfg_nbytes), .cfg_gs(cfg_gs), .cfg_width_f(cfg_width_f), .cfg_base_f(cfg_base_f),
        .cls_init_c_f(cls_init_c_f), .cls_init_r_f(cls_init_r_f), .cls_step_c(cls_step_c),
        .cls_step_r(cls_step_r));

    wire [7:0]  run_mode  = h_head[8*LGN_RUN_OFF_MODE +: 8];
    wire [15:0] run_layer = h_head[8*LGN_RUN_OFF_LAYER +: 16];
    wire [15:0] run_count = h_head[8*LGN_RUN_OFF_COUNT +: 16];
    wire        run_scores = run_mode == LGN_RUN_MODE_SCORES;
    wire        run_bits = run_mode == LGN_RUN_MODE_LAYER_BITS;
    // A RUN's request and reply sizes, registered over two clocks (multiplies, off the
    // dispatch's critical path): H_RUN_CHK waits for them.
    wire [15:0] run_lastw = cfg_width_f[16*run_layer[KW-1:0] +: 16];
    reg  [31:0] run_rec, run_in_bytes, run_out_bytes;
    reg  [1:0]  h_wait;
    always @(posedge clk) begin
        run_rec <= run_scores ? 32'(cfg_classes) * 32'(LGN_SCORE_BYTES) + 32'(LGN_PRED_BYTES)
                              : (32'(run_lastw) + 7) >> 3;
        run_in_bytes <= 32'(run_count) * 32'(cfg_nbytes);
        run_out_bytes <= 32'(run_count) * run_rec + 32'(LGN_RUN_REPLY_FIXED_BYTES);
    end
    // a LOAD's length and range, registered (ld_fix is complete a clock before H_LOAD_GO)
    reg ld_len_ok, ld_range_ok;
    always @(posedge clk) begin
        ld_len_ok <= 32'(h_len) == 32'(LGN_LOAD_FIXED_BYTES) + 32'(ld_count) * 32'(LGN_GATE_RECORD_BYTES);
        ld_range_ok <= 32'(ld_first) + 32'(ld_count) <= 32'(cfg_width_f[16*ld_layer[KW-1:0] +: 16]);
    end
    // a gate record's fields (op, its last byte, is checked and written when it arrives)
    wire [15:0] rec_at = 16'(rs_k) - LGN_GATE_OFF_OP;      // body offset of the record

    always @(posedge clk) begin
        e_start <= 1'b0;
        gw_en <= 1'b0;
        if (rst) begin
            h_state <= H_IDLE;
            h_hold <= 1'b0;
            h_base <= {FSW{1'b0}};
            `LGN_POWER_UP_STATE
            {rq_v, rs_v} <= 2'b00;
            rd_off <= 17'd0;
            rd_end <= 17'd0;
        end else begin
            if (e_busy) n_busy <= n_busy + 32'd1;
            else n_idle <= n_idle + 32'd1;
            // the frame-store byte stream: one byte per clock while rd_off < rd_end
            if (rd_off < rd_end) begin
                rd_off <= rd_off + 17'd1;
                rq_k <= rd_off;
                rq_lane <= rd_off[LG-1:0];
                rq_v <= 1'b1;
            end else rq_v <= 1'b0;
            {rs_v, rs_k, rs_byte} <= {rq_v, rq_k, fs_rword[8*rq_lane +: 8]};

            case (h_state)
                H_IDLE: if (h_take) begin
                    rp_seq <= fr_seq;
                    h_type <= fr_type;
                    h_len <= fr_len;
                    h_head <= fr_head;
                    h_hold <= h_keep;
                    h_base <= fr_base;
                    if (fr_code != 8'd0) `LGN_ERR(fr_code, fr_detail)
                    else begin
                        n_ok <= n_ok + 32'd1;
                        h_state <= H_DISPATCH;
                    end
                end
                H_ERROR: begin
                    hreg <= error_head(h_ecode, h_type, h_edet);
                    rp_type <= LGN_TYPE_ERROR;
                    rp_len <= LGN_ERROR_BODY_BYTES;
                    rp_hlen <= 8'(LGN_ERROR_BODY_BYTES);
                    h_state <= H_REPLY;
                    if (h_ecode == LGN_ERR_BAD_CRC) n_crc <= n_crc + 32'd1;
                    else if (h_ecode == LGN_ERR_BAD_COBS || h_ecode == LGN_ERR_FRAME_TOO_LONG)
                        n_cobs <= n_cobs + 32'd1;
                    else n_other <= n_other + 32'd1;
                end
                H_DISPATCH: begin
                    case (h_type)
                        LGN_CMD_INFO: begin
                            hreg <= info_head(tag_out);
                            if (h_len != 16'd0) `LGN_ERR(LGN_ERR_BAD_LENGTH, h_len)
                            else `LGN_REPLY(LGN_INFO_BODY_BYTES, 8'(LGN_INFO_BODY_BYTES))
                        end
                        LGN_CMD_STATUS: begin
                            hreg <= status_head(tag_out);
                            if (h_len != 16'd0) `LGN_ERR(LGN_ERR_BAD_LENGTH, h_len)
                            else `LGN_REPLY(LGN_STATUS_BODY_BYTES, 8'(LGN_STATUS_BODY_BYTES))
                        end
                        LGN_CMD_RESET: begin
                            if (h_len != 16'd0) `LGN_ERR(LGN_ERR_BAD_LENGTH, h_len)
                            else begin
                                `LGN_POWER_UP_STATE
                                `LGN_REPLY(16'd0, 8'd0)
                            end
                        end
                        LGN_CMD_CONFIG:
                            if (c_err) `LGN_ERR(c_code, c_detail)
                            else begin
                                `LGN_STREAM(17'd0, 17'(h_len))
                                h_state <= H_CONFIG;
                            end
                        LGN_CMD_LOAD: begin
                            if (!cfg_valid) `LGN_ERR(LGN_ERR_NOT_CONFIGURED, 16'd0)
                            else if (h_len < LGN_LOAD_FIXED_BYTES) `LGN_ERR(LGN_ERR_BAD_LENGTH, h_len)
                            else begin
                                `LGN_STREAM(17'd0, 17'(LGN_LOAD_FIXED_BYTES))
                                h_state <= H_LOAD_HDR;
                            end
                        end
                        LGN_CMD_RUN: begin
                            if (!cfg_valid) `LGN_ERR(LGN_ERR_NOT_CONFIGURED, 16'd0)
                            else if (h_len < LGN_RUN_FIXED_BYTES) `LGN_ERR(LGN_ERR_BAD_LENGTH, h_len)
                            else if (!run_scores && !run_bits) `LGN_ERR(LGN_ERR_BAD_ARG, LGN_RUN_OFF_MODE)
                            else if (run_bits && run_layer >= cfg_layers) `LGN_ERR(LGN_ERR_BAD_ARG, LGN_RUN_OFF_LAYER)
                            else begin
                                h_wait <= 2'd1;
                                h_state <= H_RUN_CHK;
                            end
                        end
                        default: `LGN_ERR(LGN_ERR_UNKNOWN_CMD, 16'd0)
                    endcase
                end
                H_RUN_CHK:
                    if (h_wait != 2'd0) h_wait <= h_wait - 2'd1;
                    else if (32'(h_len) != 32'(LGN_RUN_FIXED_BYTES) + run_in_bytes) `LGN_ERR(LGN_ERR_BAD_LENGTH, h_len)
                    else if (run_out_bytes > 32'(MAX_BODY)) `LGN_ERR(LGN_ERR_OVER_CAPACITY, 16'(MAX_BODY))
                    else begin
                        e_mode <= run_bits;
                        e_last <= run_scores ? cfg_layers - 16'd1 : run_layer;
                        e_count <= run_count;
                        e_start <= 1'b1;
                        n_runs <= n_runs + 32'd1;
                        n_samples <= n_samples + 32'(run_count);
                        h_state <= H_RUN;
                    end
                H_CONFIG:
                    if (c_err) `LGN_ERR(c_code, c_detail)
                    else if (c_done) `LGN_REPLY(16'd0, 8'd0)
                H_LOAD_HDR:   // the stream is the fixed part: rs_k < LGN_LOAD_FIXED_BYTES
                    if (rs_v) ld_fix[8*rs_k +: 8] <= rs_byte;
                    else if (stream_done) h_state <= H_LOAD_GO;
                H_LOAD_GO: begin
                    ld_prevw <= (ld_layer == 16'd0) ? cfg_inputs : cfg_width_f[16*KW'(ld_layer - 16'd1) +: 16];
                    ld_f <= {RFW{1'b0}};
                    ld_gi <= ld_first;
                    ld_bad <= 1'b0;
                    if (!ld_len_ok) `LGN_ERR(LGN_ERR_BAD_LENGTH, h_len)
                    else if (ld_layer >= cfg_layers) `LGN_ERR(LGN_ERR_BAD_ARG, LGN_LOAD_OFF_LAYER)
                    else if (!ld_range_ok) `LGN_ERR(LGN_ERR_BAD_ARG, LGN_LOAD_OFF_FIRST)
                    else begin
                        `LGN_STREAM(17'(LGN_LOAD_FIXED_BYTES), 17'(h_len))
                        h_state <= H_LOAD_CHK;
                    end
                end
                H_LOAD_CHK, H_LOAD_WR: begin
                    if (rs_v) begin
                        ld_f <= (ld_f == RFW'(LGN_GATE_OFF_OP)) ? {RFW{1'b0}} : ld_f + 1'b1;
                        if (ld_f != RFW'(LGN_GATE_OFF_OP)) ld_rec[8*ld_f +: 8] <= rs_byte;
                        else begin   // op, the record's last byte
                            ld_gi <= ld_gi + 16'd1;
                            if (h_state == H_LOAD_CHK) begin
                                // detail: body offset of the first bad field; an op is a
                                // 4-bit truth table
                                if (!ld_bad && (ld_a >= ld_prevw || ld_b >= ld_prevw || rs_byte[7:4] != 4'd0)) begin
                                    ld_bad <= 1'b1;
                                    ld_bad_at <= rec_at + ((ld_a >= ld_prevw) ? LGN_GATE_OFF_A :
                                                       (ld_b >= ld_prevw) ? LGN_GATE_OFF_B : LGN_GATE_OFF_OP);
                                end
                            end else begin
                                gw_en <= 1'b1;
                                gw_slot <= GG'(32'(ld_gi) & (G - 1));
                                gw_addr <= GAW'(cfg_base_f[(GAW+1)*ld_layer[KW-1:0] +: GAW+1]) + GAW'(ld_gi >> LOG_G);
                                gw_data <= {rs_byte[3:0], ld_b[AW-1:0], ld_a[AW-1:0]};
                            end
                        end
                    end else if (stream_done) begin
                        if (h_state == H_LOAD_CHK) begin
                            if (ld_bad) `LGN_ERR(LGN_ERR_BAD_ARG, ld_bad_at)
                            else begin
                                ld_f <= {RFW{1'b0}};
                                ld_gi <= ld_first;
                                `LGN_STREAM(17'(LGN_LOAD_FIXED_BYTES), 17'(h_len))
                                h_state <= H_LOAD_WR;
                            end
                        end else `LGN_REPLY(16'd0, 8'd0)
                    end
                end
                H_RUN: if (!e_start && !e_busy && !e_flush) begin
                    hreg <= run_head(tag_out, e_cycles);
                    `LGN_REPLY(e_ro + LGN_RUN_REPLY_FIXED_BYTES, 8'(LGN_RUN_REPLY_FIXED_BYTES))
                end
                H_REPLY: if (!tx_busy) h_state <= H_IDLE;
                default: h_state <= H_IDLE;
            endcase
        end
    end
`undef LGN_ERR
`undef LGN_POWER_UP_STATE
`undef LGN_REPLY
`undef LGN_STREAM
endmodule
