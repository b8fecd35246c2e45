// SPDX-License-Identifier: MIT
// lgn_config: the network configuration a CONFIG sets (docs/protocol.md), part of the command
// handler (lgn_cmd): reads the CONFIG body from the handler's frame-store byte stream, checks
// it field by field, and derives what the gate engine needs: each layer's first gate-memory
// word (the sum of ceil(w/G) over the layers before it), the group size (last width /
// classes, by repeated subtraction) and the class trackers' start values (class and offset
// in its group of gates 0..G-1, and of gate G: the step per cycle).
//
// `cmd` starts it (the handler dispatches a CONFIG: the board is unconfigured from then on
// unless it succeeds); it answers in the clock of its last check with c_done, or c_err and
// the error's code and detail. `clear` (RESET) restores the power-up configuration.
// Ports are declared in the body, where their widths can use the included sizes.
module lgn_config #(
`include "generated/lgn_engine_params.vh"
) (clk, rst, clear, cmd, h_len, rs_v, rs_k, rs_byte, stream_done, c_done, c_err, c_code,
   c_detail, cfg_valid, cfg_tag, cfg_inputs, cfg_layers, cfg_classes, cfg_nbytes, cfg_gs,
   cfg_width_f, cfg_base_f, cls_init_c_f, cls_init_r_f, cls_step_c, cls_step_r);
`include "generated/lgn_protocol.vh"
`include "lgn_core_sizes.vh"
    input  wire            clk, rst;
    input  wire            clear;                  // RESET: the power-up configuration
    input  wire            cmd;                    // a CONFIG is dispatched
    input  wire [15:0]     h_len;                  // its body length
    input  wire            rs_v;                   // body byte rs_byte at offset rs_k
    input  wire [16:0]     rs_k;
    input  wire [7:0]      rs_byte;
    input  wire            stream_done;            // the body has been read
    output reg             c_done;                 // this clock: configured
    output reg             c_err;                  // this clock: rejected, with the error
    output reg  [7:0]      c_code;
    output reg  [15:0]     c_detail;
    output reg             cfg_valid;
    output wire [31:0]     cfg_tag;
    output wire [15:0]     cfg_inputs, cfg_layers, cfg_classes;
    output reg  [15:0]     cfg_nbytes;             // ceil(inputs/8)
    output reg  [15:0]     cfg_gs;                 // group size = last width / classes
    // packed arrays, entry k at k*width: layer widths, their first gate words, and the
    // class and group offset of gate q < G
    // (packed: the parts read them where they need them, without copies)
    output reg  [16*MAX_LAYERS-1:0]      cfg_width_f;
    output reg  [(GAW+1)*MAX_LAYERS-1:0] cfg_base_f;
    output reg  [G*(CW+1)-1:0]           cls_init_c_f;
    output reg  [G*16-1:0]               cls_init_r_f;
    output reg  [CW:0]     cls_step_c;             // the same for gate G (the per-cycle step)
    output reg  [15:0]     cls_step_r;

    reg  [8*LGN_CONFIG_FIXED_BYTES-1:0] cfg_fix;   // the body's fixed part
    assign cfg_inputs  = cfg_fix[8*LGN_CONFIG_OFF_INPUTS +: 16];
    assign cfg_layers  = cfg_fix[8*LGN_CONFIG_OFF_LAYERS +: 16];
    assign cfg_classes = cfg_fix[8*LGN_CONFIG_OFF_CLASSES +: 16];
    assign cfg_tag     = cfg_fix[8*LGN_CONFIG_OFF_TAG +: 32];

    localparam [2:0] C_IDLE = 3'd0, C_RD = 3'd1, C_CHK = 3'd2, C_BASE = 3'd3, C_DIV = 3'd4,
                     C_CLS = 3'd5;
    reg  [2:0]  c_state;
    reg  [15:0] cf_k;
    reg  [31:0] cf_acc;
    reg  [15:0] cf_rem, cf_q;
    localparam [15:0] GATES_DETAIL = (MAX_GATES > 65535) ? 16'hFFFF : 16'(MAX_GATES);
    wire [KW-1:0] last_k = cfg_layers[KW-1:0] - 1'b1;
    wire [15:0] lastw = cfg_width_f[16*last_k +: 16];
    wire [15:0] w_k = cfg_width_f[16*cf_k[KW-1:0] +: 16];
    wire [16:0] w_off = rs_k - 17'(LGN_CONFIG_FIXED_BYTES);   // body offset among the widths

    // The checks, in the documented order: each state's error, or done.
`define LGN_ERR(code, det) begin c_err = 1'b1; c_code = code; c_detail = det; end
    always @* begin
        c_done = 1'b0;
        c_err = 1'b0;
        c_code = 8'd0;
        c_detail = 16'd0;
        case (c_state)
            C_IDLE: if (cmd && h_len < LGN_CONFIG_FIXED_BYTES) `LGN_ERR(LGN_ERR_BAD_LENGTH, h_len)
            C_CHK:
                if (cfg_layers == 16'd0) `LGN_ERR(LGN_ERR_BAD_ARG, LGN_CONFIG_OFF_LAYERS)
                else if (cfg_layers > 16'(MAX_LAYERS)) `LGN_ERR(LGN_ERR_OVER_CAPACITY, 16'(MAX_LAYERS))
                else if (32'(h_len) != 32'(LGN_CONFIG_FIXED_BYTES) + 32'(LGN_CONFIG_WIDTH_BYTES) * 32'(cfg_layers))
                    `LGN_ERR(LGN_ERR_BAD_LENGTH, h_len)
                else if (cfg_inputs == 16'd0) `LGN_ERR(LGN_ERR_BAD_ARG, LGN_CONFIG_OFF_INPUTS)
                else if (cfg_inputs > 16'(MAX_INPUTS)) `LGN_ERR(LGN_ERR_OVER_CAPACITY, 16'(MAX_INPUTS))
                else if (cfg_classes == 16'd0) `LGN_ERR(LGN_ERR_BAD_ARG, LGN_CONFIG_OFF_CLASSES)
                else if (cfg_classes > 16'(MAX_CLASSES)) `LGN_ERR(LGN_ERR_OVER_CAPACITY, 16'(MAX_CLASSES))
                else if (cfg_tag == 32'd0) `LGN_ERR(LGN_ERR_BAD_ARG, LGN_CONFIG_OFF_TAG)   // tag 0 means "reset"
            C_BASE:
                if (cf_k == cfg_layers) begin
                    if (cf_acc * G > 32'(MAX_GATES)) `LGN_ERR(LGN_ERR_OVER_CAPACITY, GATES_DETAIL)
                end else if (w_k == 16'd0)
                    `LGN_ERR(LGN_ERR_BAD_ARG, LGN_CONFIG_FIXED_BYTES + LGN_CONFIG_WIDTH_BYTES * cf_k)
                else if (w_k > 16'(MAX_WIDTH)) `LGN_ERR(LGN_ERR_OVER_CAPACITY, 16'(MAX_WIDTH))
            C_DIV:   // uneven groups: the last layer's width is wrong
                if (cf_rem < cfg_classes && cf_rem != 16'd0)
                    `LGN_ERR(LGN_ERR_BAD_ARG, LGN_CONFIG_FIXED_BYTES + LGN_CONFIG_WIDTH_BYTES * (cfg_layers - 16'd1))
            C_CLS: c_done = cf_k == 16'(G);
            default: ;
        endcase
    end
`undef LGN_ERR

    always @(posedge clk) begin
        if (rst || clear) begin
            c_state <= C_IDLE;
            cfg_valid <= 1'b0;
            cfg_fix <= {(8*LGN_CONFIG_FIXED_BYTES){1'b0}};
            cfg_nbytes <= 16'd0;
        end else case (c_state)
            C_IDLE: if (cmd) begin
                cfg_valid <= 1'b0;     // a rejected CONFIG leaves the board unconfigured
                cfg_fix[8*LGN_CONFIG_OFF_TAG +: 32] <= 32'd0;
                cfg_width_f <= {(16*MAX_LAYERS){1'b0}};
                if (!c_err) c_state <= C_RD;
            end
            C_RD:
                if (rs_v) begin
                    if (rs_k < 17'(LGN_CONFIG_FIXED_BYTES)) cfg_fix[8*rs_k +: 8] <= rs_byte;
                    else if (w_off < 17'(LGN_CONFIG_WIDTH_BYTES * MAX_LAYERS))   // one u16 per layer
                        cfg_width_f[16 * KW'(w_off / 17'(LGN_CONFIG_WIDTH_BYTES))
                                    + 8 * (w_off % 17'(LGN_CONFIG_WIDTH_BYTES)) +: 8] <= rs_byte;
                end else if (stream_done) c_state <= C_CHK;
            C_CHK: begin
                cf_k <= 16'd0;
                cf_acc <= 32'd0;
                cfg_nbytes <= (cfg_inputs + 16'd7) >> 3;
                c_state <= c_err ? C_IDLE : C_BASE;
            end
            C_BASE:
                if (c_err) c_state <= C_IDLE;
                else if (cf_k == cfg_layers) begin
                    cf_rem <= lastw;
                    cf_q <= 16'd0;
                    c_state <= C_DIV;
                end else begin
                    for (int k = 0; k < MAX_LAYERS; k++)   // (static indices: no multiplier)
                        if (cf_k[KW-1:0] == KW'(k)) cfg_base_f[(GAW+1)*k +: GAW+1] <= (GAW+1)'(cf_acc);
                    cf_acc <= cf_acc + ((32'(w_k) + 32'(G - 1)) >> LOG_G);
                    cf_k <= cf_k + 16'd1;
                end
            C_DIV:   // at most MAX_WIDTH clocks
                if (c_err) c_state <= C_IDLE;
                else if (cf_rem >= cfg_classes) begin
                    cf_rem <= cf_rem - cfg_classes;
                    cf_q <= cf_q + 16'd1;
                end else begin
                    cfg_gs <= cf_q;
                    cf_k <= 16'd0;
                    cf_q <= 16'd0;     // class of gate cf_k
                    cf_rem <= 16'd0;   // its offset in the group
                    c_state <= C_CLS;
                end
            C_CLS:
                if (c_done) begin
                    cls_step_c <= (CW+1)'(cf_q);
                    cls_step_r <= cf_rem;
                    cfg_valid <= 1'b1;
                    c_state <= C_IDLE;
                end else begin
                    for (int q = 0; q < G; q++)
                        if (cf_k[GG-1:0] == GG'(q)) cls_init_c_f[(CW+1)*q +: CW+1] <= (CW+1)'(cf_q);
                    cls_init_r_f[16*cf_k[GG-1:0] +: 16] <= cf_rem;
                    cf_k <= cf_k + 16'd1;
                    if (cf_rem + 16'd1 == cfg_gs) begin
                        cf_rem <= 16'd0;
                        cf_q <= cf_q + 16'd1;
                    end else cf_rem <= cf_rem + 16'd1;
                end
            default: c_state <= C_IDLE;
        endcase
    end
endmodule
