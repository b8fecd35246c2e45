// SPDX-License-Identifier: MIT
// lgn_core: the runtime-programmable logic-gate-network engine behind the link protocol
// (docs/protocol.md; constants from the generated lgn_protocol.vh).
//
// Byte stream in, byte stream out (valid/ready), so the same core sits behind a UART, an
// AXI stream or the virtual board's harness. This module wires its parts:
//
//   lgn_cobs_dec -> lgn_framer (CRC, length, header capture, body into the frame store)
//   -> lgn_cmd (command handler: INFO, RESET, CONFIG, LOAD, RUN, STATUS, error replies,
//      counters; its part lgn_config checks a CONFIG and derives the engine's configuration)
//   -> lgn_gate_engine (bit-sliced evaluation of the loaded netlist: gate memories,
//      activation buffers, class counters; its header gives the RUN cycle count)
//   -> lgn_reply (reply streamer: header, body, CRC; the result memory) -> lgn_cobs_enc.
//
// The frame store (in the framer) has one read port, used by the command handler to read a
// body and by the gate engine, while it is busy, to read a RUN's samples. Sizes derived from
// the parameters are in lgn_core_sizes.vh, which every part includes.
//
// IN_BYTES_PER_CLK = N (virtual board only) lets the decoder and framer take N bytes a
// clock, and OUT_BYTES_PER_CLK = M lets the reply streamer and the COBS encoder send M bytes
// a clock; the boards use 1 and 1. FAULTS = 1 (virtual board only) builds the fault
// injection into the gate engine; board builds leave it 0 and the fault ports unused.
// Sizing for an FPGA (a later issue): the defaults are tuned for the simulator (16
// gates/cycle needs 32 operand reads a clock); a UART board stays link-bound with
// GATES_PER_CYCLE = 1, which maps the activation buffers onto dual-port BRAM.
module lgn_core #(
`include "generated/lgn_engine_params.vh"
) (
    input  wire       clk,
    input  wire       rst,
    input  wire [7:0] in_data,
    input  wire       in_valid,
    // More bytes in the same clock (IN_BYTES_PER_CLK = N > 1 only): byte k+1 of a clock is
    // in_data2[8k +: 8], valid when in_valid and in_valid2[k]; the valid bytes are the low
    // ones, and only the last valid byte of a clock may be the 0x00 delimiter. Unused when 1.
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [8*((IN_BYTES_PER_CLK > 1) ? IN_BYTES_PER_CLK - 1 : 1)-1:0] in_data2,
    input  wire [((IN_BYTES_PER_CLK > 1) ? IN_BYTES_PER_CLK - 1 : 1)-1:0]   in_valid2,
    /* verilator lint_on UNUSEDSIGNAL */
    output wire       in_ready,
    // Reply bytes: OUT_BYTES_PER_CLK = M a clock, byte k in out_data[8k +: 8] when
    // out_valid[k] (the valid bytes are the low ones); out_ready takes them all.
    output wire [8*OUT_BYTES_PER_CLK-1:0] out_data,
    output wire [OUT_BYTES_PER_CLK-1:0]   out_valid,
    input  wire       out_ready,
    output wire       idle,          // no frame in progress inside the core, nothing to send
    // Fault injection (FAULTS = 1, virtual board only; unused otherwise: tie to 0). A gate
    // slot whose stuck_en bit is set outputs stuck_val; flip_mask is XORed into each
    // evaluated word.
    input  wire                       fault_we,
    input  wire [31:0]                fault_gate,   // global gate slot: word*G + slot
    input  wire [1:0]                 fault_stuck,  // {enable, value}
    input  wire [GATES_PER_CYCLE*LANES-1:0] flip_mask
);
`include "generated/lgn_protocol.vh"
`include "lgn_core_sizes.vh"

    // COBS decoder ----------------------------------------------------------------------------
    localparam integer W = IN_BYTES_PER_CLK;
    wire [8*W-1:0] d_data;
    wire [W-1:0]   d_valid, d_end, d_err;
    wire [8*W-1:0] in_bytes;
    wire [W-1:0]   in_valids;
    wire           fr_pending;
    generate
        if (W == 1) begin : in1
            assign in_bytes = in_data;
            assign in_valids = in_valid;
        end else begin : in2
            assign in_bytes = {in_data2[8*(W-1)-1:0], in_data};
            assign in_valids = {in_valid2[W-2:0] & {(W-1){in_valid}}, in_valid};
        end
    endgenerate
    lgn_cobs_dec #(.W(W)) u_dec (
        .clk(clk), .rst(rst), .in_data(in_bytes), .in_valid(in_valids), .in_ready(in_ready),
        .out_data(d_data), .out_valid(d_valid), .out_end(d_end), .out_err(d_err),
        .out_ready(!fr_pending));

    // Framer and frame store -------------------------------------------------------------------
    wire [7:0]     fr_seq, fr_type, fr_code;
    wire [15:0]    fr_len, fr_detail;
    wire [8*LGN_RUN_FIXED_BYTES-1:0] fr_head;
    wire [FSW-1:0] fr_base;
    wire           fr_release;
    wire [FSW-1:0] fs_raddr, h_fs_raddr, e_fs_raddr;
    wire           h_fs_ren, e_fs_ren;
    wire [8*L-1:0] fs_rword;
    wire           cfg_valid;
    wire [15:0]    cfg_nbytes;
    lgn_framer #(
`include "generated/lgn_engine_pass.vh"
    ) u_framer (
        .clk(clk), .rst(rst), .d_data(d_data), .d_valid(d_valid), .d_end(d_end), .d_err(d_err),
        .cfg_valid(cfg_valid), .cfg_nbytes(cfg_nbytes), .fr_pending(fr_pending),
        .fr_release(fr_release), .fr_seq(fr_seq), .fr_type(fr_type), .fr_len(fr_len),
        .fr_head(fr_head), .fr_code(fr_code), .fr_detail(fr_detail), .fr_base(fr_base),
        .fs_raddr(fs_raddr), .fs_ren(h_fs_ren || e_fs_ren), .fs_rword(fs_rword));

    // Command handler --------------------------------------------------------------------------
    wire [15:0]    cfg_classes, cfg_gs;
    wire [16*MAX_LAYERS-1:0]      cfg_width_f;
    wire [(GAW+1)*MAX_LAYERS-1:0] cfg_base_f;
    wire [G*(CW+1)-1:0] cls_init_c_f;
    wire [G*16-1:0]     cls_init_r_f;
    wire [CW:0]    cls_step_c;
    wire [15:0]    cls_step_r;
    wire           gw_en;
    wire [GG-1:0]  gw_slot;
    wire [GAW-1:0] gw_addr;
    wire [GB-1:0]  gw_data;
    wire           e_start, e_mode, e_busy, e_flush;
    wire [15:0]    e_last, e_count;
    wire [FSW-1:0] e_fsbase;
    wire [31:0]    e_cycles;
    wire [15:0]    e_ro;
    wire           tx_start, tx_busy, h_idle;
    wire [7:0]     rp_seq, rp_type, rp_hlen;
    wire [15:0]    rp_len;
    wire [8*HB-1:0] hreg;
    lgn_cmd #(
`include "generated/lgn_engine_pass.vh"
    ) u_cmd (
        .clk(clk), .rst(rst), .fr_pending(fr_pending), .fr_seq(fr_seq), .fr_type(fr_type),
        .fr_len(fr_len), .fr_head(fr_head), .fr_code(fr_code), .fr_detail(fr_detail),
        .fr_base(fr_base), .fr_release(fr_release), .fs_raddr(h_fs_raddr), .fs_ren(h_fs_ren),
        .fs_rword(fs_rword), .cfg_valid(cfg_valid), .cfg_nbytes(cfg_nbytes),
        .cfg_classes(cfg_classes), .cfg_gs(cfg_gs), .cfg_width_f(cfg_width_f),
        .cfg_base_f(cfg_base_f), .cls_init_c_f(cls_init_c_f), .cls_init_r_f(cls_init_r_f),
        .cls_step_c(cls_step_c), .cls_step_r(cls_step_r), .gw_en(gw_en), .gw_slot(gw_slot),
        .gw_addr(gw_addr), .gw_data(gw_data), .e_start(e_start), .e_mode(e_mode),
        .e_last(e_last), .e_count(e_count), .e_fsbase(e_fsbase), .e_busy(e_busy), .e_flush(e_flush),
        .e_cycles(e_cycles), .e_ro(e_ro), .tx_start(tx_start), .tx_busy(tx_busy),
        .rp_seq(rp_seq), .rp_type(rp_type), .rp_len(rp_len), .rp_hlen(rp_hlen), .hreg(hreg),
        .h_idle(h_idle));

    // Gate engine ------------------------------------------------------------------------------
    wire           rm_we;
    wire [RA-1:0]  rm_wa;
    wire [8*RECW-1:0] rm_wd;
    wire [7:0]     rm_wn;
    lgn_gate_engine #(
`include "generated/lgn_engine_pass.vh"
    ) u_engine (
        .clk(clk), .rst(rst), .e_start(e_start), .e_mode(e_mode), .e_last(e_last),
        .e_count(e_count), .e_fsbase(e_fsbase), .cfg_nbytes(cfg_nbytes), .cfg_classes(cfg_classes),
        .cfg_gs(cfg_gs), .cfg_width_f(cfg_width_f), .cfg_base_f(cfg_base_f),
        .cls_init_c_f(cls_init_c_f), .cls_init_r_f(cls_init_r_f), .cls_step_c(cls_step_c),
        .cls_step_r(cls_step_r), .gw_en(gw_en), .gw_slot(gw_slot), .gw_addr(gw_addr),
        .gw_data(gw_data), .fault_we(fault_we), .fault_gate(fault_gate),
        .fault_stuck(fault_stuck), .flip_mask(flip_mask), .fs_raddr(e_fs_raddr),
        .fs_ren(e_fs_ren), .fs_rword(fs_rword), .e_busy(e_busy), .e_flush(e_flush), .e_cycles(e_cycles),
        .e_ro(e_ro), .rm_we(rm_we), .rm_wa(rm_wa), .rm_wd(rm_wd), .rm_wn(rm_wn));
    assign fs_raddr = e_busy ? e_fs_raddr : h_fs_raddr;

    // Reply streamer and COBS encoder ------------------------------------------------------------
    localparam integer WO = OUT_BYTES_PER_CLK;
    wire [8*WO-1:0] enc_data;
    wire [WO-1:0]   enc_valid;
    wire            enc_last, enc_ready, enc_idle;
    lgn_reply #(
`include "generated/lgn_engine_pass.vh"
    ) u_reply (
        .clk(clk), .rst(rst), .tx_start(tx_start), .rp_seq(rp_seq), .rp_type(rp_type),
        .rp_len(rp_len), .rp_hlen(rp_hlen), .hreg(hreg), .tx_busy(tx_busy), .rm_we(rm_we),
        .rm_wa(rm_wa), .rm_wd(rm_wd), .rm_wn(rm_wn), .enc_data(enc_data),
        .enc_valid(enc_valid), .enc_last(enc_last), .enc_ready(enc_ready));
    lgn_cobs_enc #(.W(WO)) u_enc (
        .clk(clk), .rst(rst), .in_data(enc_data), .in_last(enc_last), .in_valid(enc_valid),
        .in_ready(enc_ready), .out_data(out_data), .out_valid(out_valid), .out_ready(out_ready),
        .idle(enc_idle));

    assign idle = !fr_pending && h_idle && !tx_busy && enc_idle && !e_busy && !e_flush;
endmodule
