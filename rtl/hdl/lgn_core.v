// SPDX-License-Identifier: MIT
// lgn_core: the runtime-programmable logic-gate-network engine behind the link protocol
// (docs/protocol.md; constants from the generated lgn_protocol.vh).
//
// Byte stream in, byte stream out (valid/ready), so the same core sits behind a UART, an
// AXI stream or the virtual board's harness. Inside:
//
//   COBS decoder -> framer (CRC, length, header capture, body into the frame store)
//   -> command handler (INFO, RESET, CONFIG, LOAD, RUN, STATUS, error replies)
//   -> engine (bit-sliced evaluation of the loaded netlist)
//   -> reply streamer (header, body, CRC) -> COBS encoder.
//
// Frame store: FRAME_BUFS buffers (2: the next frame is received while the handler and
// engine work on the previous one and its reply goes out; CONFIG and RESET hold the framer
// until they are done, so a RUN behind them is stored with the new input size) of FS_DEPTH
// words of LANES bytes. A body byte at offset o is stored at word
// o/LANES, byte lane o%LANES, except the samples of a RUN frame: byte j of sample s goes to
// byte lane s%LANES of word (s/LANES)*sample_bytes + j. So the LANES samples a chunk of the
// engine evaluates together arrive already side by side and one word read per input byte
// transposes them into LANES-bit activation words (the bit-sliced form). The framer fills
// the store while a frame arrives; the handler uses it only after the CRC has passed.
//
// Engine: two activation buffers of ADEPTH words x LANES bits (ping-pong: layer k reads
// buffer (k+1)%2 and writes buffer k%2; the inputs are transposed into buffer 1). Gate
// configs live in GATES_PER_CYCLE memories (slot = gate index % G), so a layer of width w
// takes ceil(w/G) cycles through a 3-stage pipeline (gate read, operand read, evaluate and
// write) plus 3 cycles to drain. Layer k's gates start at word base[k] = sum of ceil(w/G) over
// the layers before it. In the last layer of a scores run, each gate output word is added
// into its class's bit-sliced counter (SB planes of LANES bits; a ripple of XOR/AND). Per
// chunk of up to LANES samples, cycles = (ceil(inputs/8) + 1) + sum_k (ceil(w_k/G) + 3)
// + emit + 1, where emit = samples (scores: a sample's record per clock) or samples*ceil(w/8) (raw
// layer bits, a byte per clock).
// The RUN reply's `cycles` is that total for the whole batch, counted here (count 0: 1).
//
// IN_BYTES_PER_CLK = N (virtual board only) lets the decoder and framer take N bytes a
// clock, and OUT_BYTES_PER_CLK = M lets the reply streamer and the COBS encoder send M bytes
// a clock; the boards use 1 and 1. Sizing for an FPGA (a later issue): the defaults are tuned for
// the simulator (16 gates/cycle needs 32 operand reads a clock); a UART board stays
// link-bound with GATES_PER_CYCLE = 1, which maps the activation buffers onto dual-port BRAM.
module lgn_core #(
    parameter integer LANES           = 64,      // samples evaluated together (power of 2)
    parameter integer GATES_PER_CYCLE = 16,      // power of 2
    parameter integer MAX_INPUTS      = 4096,
    parameter integer MAX_WIDTH       = 8192,
    parameter integer MAX_LAYERS      = 8,
    parameter integer MAX_GATES       = 49152,   // multiple of GATES_PER_CYCLE
    parameter integer MAX_CLASSES     = 16,
    parameter integer MAX_BODY        = 32768,   // largest body accepted (and sent), < 65536
    parameter integer FRAME_BUFS      = 2,       // 2: the next frame arrives while one runs
    parameter integer RESULT_BUFS     = 1,       // 2: the next RUN starts while a reply goes out
    parameter integer IN_BYTES_PER_CLK = 1,      // >1: the virtual board feeds N bytes a clock
    parameter integer OUT_BYTES_PER_CLK = 1,     // >1: the virtual board takes M bytes a clock
    parameter integer CLOCK_HZ        = 50_000_000
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
    // Fault injection (virtual board only; tie to 0 on hardware). A gate slot whose
    // stuck_en bit is set outputs stuck_val; flip_mask is XORed into each evaluated word.
    input  wire                       fault_we,
    input  wire [31:0]                fault_gate,   // global gate slot: word*G + slot
    input  wire [1:0]                 fault_stuck,  // {enable, value}
    input  wire [GATES_PER_CYCLE*LANES-1:0] flip_mask
);
`include "generated/lgn_protocol.vh"
`include "lgn_crc16.vh"

    // Sizes ---------------------------------------------------------------------------------
    localparam integer L        = LANES;
    localparam integer G        = GATES_PER_CYCLE;
    localparam integer LG       = (L > 1) ? $clog2(L) : 1;
    localparam integer GG       = (G > 1) ? $clog2(G) : 1;
    localparam integer IN_BYTES = (MAX_INPUTS + 7) / 8;
    localparam integer FS_DEPTH = MAX_BODY / L + IN_BYTES + 1;
    localparam integer FS_WORDS = FS_DEPTH * FRAME_BUFS;
    localparam integer FSW      = $clog2(FS_WORDS);
    localparam integer ADEPTH   = (IN_BYTES * 8 > MAX_WIDTH) ? IN_BYTES * 8 : MAX_WIDTH;
    localparam integer AW       = $clog2(ADEPTH);
    localparam integer GWORDS   = MAX_GATES / G;
    localparam integer GAW      = (GWORDS > 1) ? $clog2(GWORDS) : 1;
    localparam integer GB       = 2 * AW + 4;                 // a, b, op
    localparam integer SB       = $clog2(MAX_WIDTH + 1);      // score bits
    localparam integer CW       = (MAX_CLASSES > 1) ? $clog2(MAX_CLASSES) : 1;
    localparam integer KW       = (MAX_LAYERS > 1) ? $clog2(MAX_LAYERS) : 1;
    localparam integer MAX_PAYLOAD = MAX_BODY + 6;
    localparam [15:0] GATES_DETAIL = (MAX_GATES > 65535) ? 16'hFFFF : 16'(MAX_GATES);

    // Configuration (written by CONFIG) -----------------------------------------------------
    reg         cfg_valid;
    reg  [31:0] cfg_tag;
    reg  [15:0] cfg_inputs, cfg_layers, cfg_classes;
    reg  [15:0] cfg_nbytes;                // ceil(inputs/8)
    reg  [15:0] cfg_width [0:MAX_LAYERS-1];
    reg  [GAW:0] cfg_base [0:MAX_LAYERS-1];
    reg  [15:0] cfg_gs;                    // group size = last width / classes
    reg  [CW:0] cls_init_c [0:G-1];        // class and offset of gate j in its group, j < G
    reg  [15:0] cls_init_r [0:G-1];
    reg  [CW:0] cls_step_c;
    reg  [15:0] cls_step_r;    // the same for gate G (the per-cycle step)

    // Counters (STATUS) ----------------------------------------------------------------------
    reg [31:0] n_ok, n_crc, n_cobs, n_other, n_runs, n_samples, n_busy, n_idle;

    // COBS decoder and framer ---------------------------------------------------------------
    localparam integer W = IN_BYTES_PER_CLK;
    wire [8*W-1:0] d_data;
    wire [W-1:0]   d_valid, d_end, d_err;
    reg            fr_pending;             // a complete frame waits for the handler
    wire [8*W-1:0] in_bytes;
    wire [W-1:0]   in_valids;
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

    reg [17:0] fr_pos;
    reg [7:0]  fr_seq, fr_type, fr_b1, fr_b2;
    reg [15:0] fr_len, fr_crc;
    reg        fr_long;
    reg [7:0]  fr_h [0:4];                 // first body bytes (RUN: mode, layer, count)
    reg        fr_runmap;
    reg [15:0] fr_j;
    reg [LG-1:0] fr_lane;
    reg [FSW-1:0] fr_cbase;
    reg [7:0]  fr_code;                    // 0 = good frame, else the error to reply
    reg [15:0] fr_detail;
    reg        fr_bank, fr_pbank;          // buffer being filled / holding the pending frame

    // frame store (FRAME_BUFS buffers of FS_DEPTH words)
    reg [8*L-1:0] fstore [0:FS_WORDS-1];
    reg [8*L-1:0] fs_rword;
    wire [FSW-1:0] fs_raddr;
    wire           fs_ren;
    always @(posedge clk) if (fs_ren) fs_rword <= fstore[fs_raddr];

    // The framer handles the W decoded slots of a clock in order, on local copies of its
    // state (blocking), and stores the result; with W = 1 this is plain per-byte logic.
    wire        fr_release;                // the handler is done with the frame
    reg [17:0]  fx_pos, fx_off;
    reg [7:0]   fx_seq, fx_type, fx_b1, fx_b2, fx_code, fx_byte;
    reg [15:0]  fx_len, fx_crc, fx_detail, fx_j;
    reg         fx_long, fx_runmap, fx_pend, fx_bank, fx_pbank, fx_sample;
    reg [7:0]   fx_h [0:4];
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
            fx_detail = fr_detail; fx_bank = fr_bank; fx_pbank = fr_pbank;
            for (int i = 0; i < 5; i++) fx_h[i] = fr_h[i];
            fx_pend = 1'b0;
            for (int k = 0; k < W; k++) begin
                if (d_valid[k] && d_end[k]) begin
                    fx_pend = 1'b1;
                    fx_pbank = fx_bank;
                    if (FRAME_BUFS > 1) fx_bank = !fx_bank;
                    fx_detail = 16'd0;
                    if (fx_pos < 18'd2) fx_type = 8'd0;
                    if (fx_pos < 18'd1) fx_seq = 8'd0;
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
                    end else if (18'(fx_len) != fx_pos - 18'd6) begin
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
                        if (fx_pos >= 18'd4) begin
                            fx_off = fx_pos - 18'd4;
                            fx_sample = fx_runmap && fx_off >= 18'd5;
                            if (fx_sample)
                                fstore[(fx_bank ? FSW'(FS_DEPTH) : {FSW{1'b0}}) + fx_cbase + fx_j[FSW-1:0]]
                                      [8*fx_lane +: 8] <= fx_byte;
                            else
                                fstore[(fx_bank ? FSW'(FS_DEPTH) : {FSW{1'b0}}) + FSW'(fx_off >> LG)]
                                      [8*fx_off[LG-1:0] +: 8] <= fx_byte;
                            if (fx_sample) begin
                                if (fx_j == cfg_nbytes - 16'd1) begin
                                    fx_j = 16'd0;
                                    fx_lane = fx_lane + 1'b1;
                                    if (fx_lane == {LG{1'b0}}) fx_cbase = fx_cbase + cfg_nbytes[FSW-1:0];
                                end else fx_j = fx_j + 16'd1;
                            end
                        end
                        if (fx_pos >= 18'd2) fx_crc = lgn_crc16_byte(fx_crc, fx_b2);
                        fx_b2 = fx_b1;
                        fx_b1 = fx_byte;
                        case (fx_pos)
                            18'd0: fx_seq = fx_byte;
                            18'd1: begin
                                fx_type = fx_byte;
                                fx_runmap = fx_byte == LGN_CMD_RUN && cfg_valid;
                            end
                            18'd2: fx_len[7:0] = fx_byte;
                            18'd3: fx_len[15:8] = fx_byte;
                            18'd4: fx_h[0] = fx_byte;
                            18'd5: fx_h[1] = fx_byte;
                            18'd6: fx_h[2] = fx_byte;
                            18'd7: fx_h[3] = fx_byte;
                            18'd8: fx_h[4] = fx_byte;
                            default: ;
                        endcase
                        fx_pos = fx_pos + 18'd1;
                    end
                end
            end
            fr_pos <= fx_pos; fr_seq <= fx_seq; fr_type <= fx_type; fr_b1 <= fx_b1; fr_b2 <= fx_b2;
            fr_len <= fx_len; fr_crc <= fx_crc; fr_long <= fx_long; fr_runmap <= fx_runmap;
            fr_j <= fx_j; fr_lane <= fx_lane; fr_cbase <= fx_cbase; fr_code <= fx_code;
            fr_detail <= fx_detail; fr_bank <= fx_bank; fr_pbank <= fx_pbank;
            for (int i = 0; i < 5; i++) fr_h[i] <= fx_h[i];
            fr_pending <= fx_pend;
        end else if (fr_release) fr_pending <= 1'b0;
    end
    /* verilator lint_on BLKSEQ */

    // Gate memories: slot q holds the gates whose index in their layer is q mod G ----------
    reg           gw_en;
    reg [GG-1:0]  gw_slot;
    reg [GAW-1:0] gw_addr;
    reg [GB-1:0]  gw_data;
    reg [GB-1:0]  gmem [0:G-1][0:GWORDS-1];
    reg [GB-1:0]  g_rd [0:G-1];

    // Stuck-at faults (virtual board): one {enable, value} pair per gate slot.
    reg [1:0] stuck [0:MAX_GATES-1];
    reg       any_stuck;
    integer fi;
    initial for (fi = 0; fi < MAX_GATES; fi = fi + 1) stuck[fi] = 2'b00;
    always @(posedge clk) begin
        if (rst) any_stuck <= 1'b0;
        else if (fault_we && fault_gate < 32'(MAX_GATES)) begin
            stuck[fault_gate[$clog2(MAX_GATES)-1:0]] <= fault_stuck;
            if (fault_stuck[1]) any_stuck <= 1'b1;
        end
    end
    wire any_flip = |flip_mask;

    // Engine ------------------------------------------------------------------------------
    localparam [2:0] E_IDLE = 3'd0, E_TRANS = 3'd1, E_LAYER = 3'd2, E_DRAIN = 3'd3,
                     E_EMIT = 3'd4, E_NEXT = 3'd5;
    reg  [2:0]  e_state;
    reg         e_start;                  // pulse from the handler
    reg         e_mode;
    reg  [15:0] e_last;                   // last layer evaluated
    reg  [15:0] e_count, e_done, e_lanes;
    reg  [FSW-1:0] e_cbase;               // first word of this chunk in the frame store
    reg  [15:0] e_j;
    reg  [15:0] e_k;
    reg  [15:0] e_word, e_nw, e_width;
    reg  [GAW:0] e_gbase;
    reg  [1:0]  e_drain;
    reg  [31:0] e_cycles;
    reg  [16:0] e_ro;                     // result bytes written
    reg         t_v;
    reg  [15:0] t_j;
    wire        e_busy = e_state != E_IDLE;

    // pipeline
    reg               s1_v, s2_v;
    reg  [15:0]       s1_word, s2_word;
    reg               s1_par, s2_par;     // destination buffer
    reg               s1_sc, s2_sc;       // accumulate scores
    reg  [G*(CW+1)-1:0] cls_c;            // slot q: bits q*(CW+1) +: CW+1 (packed: cheap to
    reg  [G*16-1:0]   cls_r;              // update all at once in simulation)
    reg  [CW:0]       s1_cls [0:G-1];
    reg  [CW:0]       s2_cls [0:G-1];
    reg  [L-1:0]      s2_a [0:G-1];
    reg  [L-1:0]      s2_b [0:G-1];
    reg  [3:0]        s2_op [0:G-1];
    reg  [1:0]        s2_st [0:G-1];
    reg  [L-1:0]      act0 [0:ADEPTH-1];
    reg  [L-1:0]      act1 [0:ADEPTH-1];
    reg  [L-1:0]      planes [0:MAX_CLASSES*SB-1];

    wire [GAW-1:0] g_raddr = e_gbase[GAW-1:0] + e_word[GAW-1:0];
    wire e_issue = e_state == E_LAYER;
    wire e_par = e_k[0];                  // layer k writes buffer k%2
    wire e_sc = !e_mode && e_k == e_last;
    wire e_layer_done = e_word == e_nw - 16'd1;

    // Gate evaluation: op bits are the truth table f(0,0), f(0,1), f(1,0), f(1,1) (bit3..bit0).
    function automatic [L-1:0] gate_eval(input [3:0] op, input [L-1:0] a, input [L-1:0] b);
        gate_eval = ({L{op[3]}} & ~a & ~b) | ({L{op[2]}} & ~a & b)
                  | ({L{op[1]}} & a & ~b) | ({L{op[0]}} & a & b);
    endfunction

    // Stages 0 and 1: gate configs, then operands. Registers load only when their stage is
    // active, which keeps an idle engine cheap in simulation as well as in power.
    always @(posedge clk) begin
        if (gw_en) gmem[gw_slot][gw_addr] <= gw_data;
        if (e_issue)
            for (int q = 0; q < G; q++) g_rd[q] <= gmem[q][g_raddr];
        s1_v <= e_issue;
        if (e_issue) begin
            s1_word <= e_word;
            s1_par <= e_par;
            s1_sc <= e_sc;
            if (e_sc) for (int q = 0; q < G; q++) s1_cls[q] <= cls_c[q*(CW+1) +: CW+1];
        end
        s2_v <= s1_v;
        if (s1_v) begin
            s2_word <= s1_word;
            s2_par <= s1_par;
            s2_sc <= s1_sc;
            for (int q = 0; q < G; q++) begin
                s2_cls[q] <= s1_cls[q];
                s2_op[q] <= g_rd[q][2*AW +: 4];
                s2_a[q] <= s1_par ? act0[g_rd[q][AW-1:0]] : act1[g_rd[q][AW-1:0]];
                s2_b[q] <= s1_par ? act0[g_rd[q][2*AW-1:AW]] : act1[g_rd[q][2*AW-1:AW]];
                s2_st[q] <= any_stuck ? stuck[32'({s1_word, GG'(0)}) + 32'(q) + 32'({e_gbase, GG'(0)})]
                                      : 2'b00;
            end
        end
    end

    // Stage 2: evaluate, write the destination buffer, add last-layer outputs into the
    // class counters; and the transposition of a chunk's input bytes into buffer 1.
    // The G slots of a cycle may hit the same class, so their additions are applied one
    // after the other with blocking assignments (planes is written only in this block).
    reg [L-1:0] w, carry, tmp, tw;
    /* verilator lint_off BLKSEQ */
    always @(posedge clk) begin
        if (s2_v)
            for (int q = 0; q < G; q++)
                if ((32'({s2_word, GG'(0)}) + 32'(q)) < 32'(e_width)) begin
                    w = gate_eval(s2_op[q], s2_a[q], s2_b[q]);
                    if (any_flip) w = w ^ flip_mask[q*L +: L];
                    if (s2_st[q][1]) w = {L{s2_st[q][0]}};
                    if (s2_par) act1[AW'({s2_word, GG'(0)} + q)] <= w;
                    else        act0[AW'({s2_word, GG'(0)} + q)] <= w;
                    if (s2_sc) begin
                        carry = w;
                        for (int p = 0; p < SB; p++) begin
                            tmp = planes[32'(s2_cls[q]) * SB + p];
                            planes[32'(s2_cls[q]) * SB + p] = tmp ^ carry;
                            carry = tmp & carry;
                        end
                    end
                end
        if (t_v)
            for (int q = 0; q < 8; q++) begin
                for (int p = 0; p < L; p++) tw[p] = fs_rword[8 * p + q];
                act1[AW'({t_j, 3'd0} + q)] <= tw;      // input 8*t_j+q of all lanes
            end
        if ((e_state == E_DRAIN && e_drain == 2'd0 && !e_mode && e_k + 16'd1 == e_last)
                || (e_state == E_TRANS && e_j == 16'd0 && e_last == 16'd0 && !e_mode))
            for (int q = 0; q < MAX_CLASSES * SB; q++) planes[q] = {L{1'b0}};
    end
    /* verilator lint_on BLKSEQ */

    // Result memory: the RUN reply body after its 8-byte head.
    // A scores run writes one sample's whole record (classes x u16, then the prediction)
    // per clock; a raw-bits run one byte per clock.
    localparam integer RECW = 2 * MAX_CLASSES + 1;
    // RESULT_BUFS = 2: two banks; the engine writes bank rm_sel while the reply streamer
    // sends the other one (rm_sel flips when a reply starts).
    localparam integer RAW = $clog2(RESULT_BUFS * MAX_BODY);
    reg  [7:0]  rmem [0:RESULT_BUFS*MAX_BODY-1];
    reg         rm_sel;
    wire [RAW-1:0] rm_wbase = (RESULT_BUFS > 1 && rm_sel) ? RAW'(MAX_BODY) : {RAW{1'b0}};
    reg         rm_we;
    reg  [8*RECW-1:0] rm_wd;
    reg  [7:0]  rm_wn;
    reg  [$clog2(MAX_BODY)-1:0] rm_wa;
    always @(posedge clk)
        if (rm_we)
            for (int k = 0; k < RECW; k++)
                if (8'(k) < rm_wn) rmem[rm_wbase + RAW'(rm_wa + $clog2(MAX_BODY)'(k))] <= rm_wd[8*k +: 8];

    // emission state
    reg  [15:0] em_s, em_j, em_nb;
    reg  [8*RECW-1:0] em_rec;
    reg  [15:0] em_best;
    reg  [7:0]  em_bestc;
    reg  [15:0] em_sc;
    reg  [7:0]  em_by;
    wire [15:0] remaining = e_count - e_done - e_lanes;   // after the current chunk
    wire [15:0] next_lanes = (remaining > 16'(L)) ? 16'(L) : remaining;
    reg  [FSW-1:0] h_base;                // first word of the handler's frame buffer

    /* verilator lint_off BLKSEQ */
    always @(posedge clk) begin
        rm_we <= 1'b0;
        t_v <= 1'b0;
        if (rst) begin
            e_state <= E_IDLE;
        end else begin
            case (e_state)
                E_IDLE: if (e_start) begin
                    e_cycles <= 32'd0;
                    e_done <= 16'd0;
                    e_cbase <= h_base;
                    e_ro <= 17'd0;
                    e_lanes <= (e_count > 16'(L)) ? 16'(L) : e_count;
                    e_j <= 16'd0;
                    e_state <= (e_count == 16'd0) ? E_NEXT : E_TRANS;
                end
                E_TRANS: begin
                    if (e_j == cfg_nbytes) begin
                        e_k <= 16'd0;
                        e_word <= 16'd0;
                        e_width <= cfg_width[0];
                        e_nw <= (cfg_width[0] + 16'(G - 1)) >> GG;
                        e_gbase <= cfg_base[0];
                        e_state <= E_LAYER;
                    end else begin
                        t_v <= 1'b1;
                        t_j <= e_j;
                        e_j <= e_j + 16'd1;
                    end
                end
                E_LAYER: begin
                    e_word <= e_word + 16'd1;
                    if (e_layer_done) begin
                        e_state <= E_DRAIN;
                        e_drain <= 2'd0;
                    end
                end
                E_DRAIN: begin
                    e_drain <= e_drain + 2'd1;
                    if (e_drain == 2'd2) begin
                        if (e_k == e_last) begin
                            e_state <= E_EMIT;
                            em_s <= 16'd0;
                            em_j <= 16'd0;
                            em_nb <= (e_width + 16'd7) >> 3;
                        end else begin
                            e_k <= e_k + 16'd1;
                            e_word <= 16'd0;
                            e_width <= cfg_width[e_k[KW-1:0] + 1'b1];
                            e_nw <= (cfg_width[e_k[KW-1:0] + 1'b1] + 16'(G - 1)) >> GG;
                            e_gbase <= cfg_base[e_k[KW-1:0] + 1'b1];
                            e_state <= E_LAYER;
                        end
                    end
                end
                E_EMIT: begin
                    rm_we <= 1'b1;
                    rm_wa <= e_ro[$clog2(MAX_BODY)-1:0];
                    if (e_mode) begin
                        // byte em_j of sample em_s: bit i = lane em_s of output 8*em_j + i
                        for (int p = 0; p < 8; p++)
                            em_by[p] = e_par ? act1[AW'({em_j, 3'd0} + p)][em_s[LG-1:0]]
                                             : act0[AW'({em_j, 3'd0} + p)][em_s[LG-1:0]];
                        rm_wd <= {{(8*RECW-8){1'b0}}, em_by};
                        rm_wn <= 8'd1;
                        e_ro <= e_ro + 17'd1;
                        if (em_j == em_nb - 16'd1) begin
                            em_j <= 16'd0;
                            em_s <= em_s + 16'd1;
                            if (em_s == e_lanes - 16'd1) e_state <= E_NEXT;
                        end else em_j <= em_j + 16'd1;
                    end else begin
                        // sample em_s: every class score from its bit planes, the first
                        // highest score wins (ties: lowest class)
                        em_rec = {(8*RECW){1'b0}};
                        em_best = 16'd0;
                        em_bestc = 8'd0;
                        for (int c = 0; c < MAX_CLASSES; c++)
                            if (16'(c) < cfg_classes) begin
                                em_sc = 16'd0;
                                for (int p = 0; p < SB; p++)
                                    em_sc[p] = planes[c * SB + p][em_s[LG-1:0]];
                                em_rec[16*c +: 16] = em_sc;
                                if (c == 0 || em_sc > em_best) begin
                                    em_best = em_sc;
                                    em_bestc = 8'(c);
                                end
                            end
                        em_rec[16*cfg_classes +: 8] = em_bestc;
                        rm_wd <= em_rec;
                        rm_wn <= 8'(2 * cfg_classes + 1);
                        e_ro <= e_ro + 17'(2 * cfg_classes + 1);
                        em_s <= em_s + 16'd1;
                        if (em_s == e_lanes - 16'd1) e_state <= E_NEXT;
                    end
                end
                E_NEXT: begin
                    if (e_done + e_lanes >= e_count) e_state <= E_IDLE;
                    else begin
                        e_done <= e_done + e_lanes;
                        e_lanes <= next_lanes;
                        e_cbase <= e_cbase + cfg_nbytes[FSW-1:0];
                        e_j <= 16'd0;
                        e_state <= E_TRANS;
                    end
                end
                default: e_state <= E_IDLE;
            endcase
            if (e_busy) e_cycles <= e_cycles + 32'd1;
        end
    end
    /* verilator lint_on BLKSEQ */

    // Class trackers of the G slots (last layer of a scores run): gate e_word*G+q is in
    // class cls_c[q] at offset cls_r[q]; reset at each layer start, stepped by G gates.
    wire cls_load = (e_state == E_TRANS && e_j == cfg_nbytes)
                 || (e_state == E_DRAIN && e_drain == 2'd2 && e_k != e_last);
    wire cls_step = e_state == E_LAYER && e_sc;
    always @(posedge clk)
        if (cls_load || cls_step)
            for (int q = 0; q < G; q++) begin
                if (cls_load) begin
                    cls_c[q*(CW+1) +: CW+1] <= cls_init_c[q];
                    cls_r[q*16 +: 16] <= cls_init_r[q];
                end else begin
                    cls_r[q*16 +: 16] <= (cls_r[q*16 +: 16] + cls_step_r >= cfg_gs)
                                         ? cls_r[q*16 +: 16] + cls_step_r - cfg_gs
                                         : cls_r[q*16 +: 16] + cls_step_r;
                    cls_c[q*(CW+1) +: CW+1] <= cls_c[q*(CW+1) +: CW+1] + cls_step_c
                                               + {{CW{1'b0}}, cls_r[q*16 +: 16] + cls_step_r >= cfg_gs};
                end
            end

    // Command handler ---------------------------------------------------------------------
    localparam [3:0] H_IDLE = 4'd0, H_CFG_RD = 4'd1, H_CFG_CHK = 4'd2, H_CFG_BASE = 4'd3,
                     H_CFG_DIV = 4'd4, H_CFG_CLS = 4'd5, H_LOAD_HDR = 4'd6, H_LOAD_CHK = 4'd7,
                     H_LOAD_WR = 4'd8, H_RUN = 4'd9, H_REPLY = 4'd10, H_LOAD_GO = 4'd11,
                     H_DISPATCH = 4'd12, H_ERROR = 4'd13;
    reg [3:0]  h_state;
    reg [7:0]  h_seq, h_type;
    reg [15:0] h_len;
    reg [7:0]  h_h [0:4];
    reg        h_hold;                    // the framer waits until this command's reply
    reg [7:0]  h_ecode;
    reg [15:0] h_edet;
    // byte stream out of the frame store
    reg [16:0] rd_off, rd_end, rs_k;
    reg        rs_v;
    reg [LG-1:0] rs_lane;
    wire [7:0] rs_byte = fs_rword[8*rs_lane +: 8];
    assign fs_raddr = e_busy ? e_cbase + e_j[FSW-1:0] : h_base + FSW'(rd_off >> LG);
    assign fs_ren = (e_state == E_TRANS) || (rd_off < rd_end);
    // reply
    reg [7:0]  rp_type;
    reg [15:0] rp_len;
    reg [7:0]  rp_hlen;
    reg [8*36-1:0] hreg;                  // reply body head, byte 0 in bits 7:0
    // parse scratch
    reg [15:0] ld_layer, ld_first, ld_count, ld_prevw, ld_gi, ld_a, ld_b;   // ld_gi: gate index
    reg [2:0]  ld_f;
    reg        ld_bad;
    reg [15:0] ld_bad_at;
    reg [15:0] cf_k;
    reg [31:0] cf_acc;
    reg [15:0] cf_rem, cf_q;

    // one result bank: the next command waits until the reply has gone into the encoder
    wire h_take = h_state == H_IDLE && fr_pending && (RESULT_BUFS > 1 || !tx_busy);
    wire tx_start = h_state == H_REPLY && !tx_busy;   // the reply streamer takes this reply
    wire [31:0] tag_out = cfg_valid ? cfg_tag : 32'd0;   // unconfigured boards report tag 0
    wire h_keep = FRAME_BUFS == 1 || (fr_code == 8'd0 &&
                  (fr_type == LGN_CMD_CONFIG || fr_type == LGN_CMD_RESET));
    assign fr_release = (h_take && !h_keep) || (tx_start && h_hold);

`define LGN_ERR(code, det) begin h_ecode <= code; h_edet <= det; h_state <= H_ERROR; end
// What a RESET command restores: the power-up configuration and counters (one list for both).
`define LGN_POWER_UP_STATE begin cfg_valid <= 1'b0; cfg_tag <= 32'd0; cfg_inputs <= 16'd0; \
    cfg_layers <= 16'd0; cfg_classes <= 16'd0; cfg_nbytes <= 16'd0; \
    n_ok <= 32'd0; n_crc <= 32'd0; n_cobs <= 32'd0; n_other <= 32'd0; \
    n_runs <= 32'd0; n_samples <= 32'd0; n_busy <= 32'd0; n_idle <= 32'd0; end
`define LGN_REPLY(blen, hlen) begin rp_type <= h_type | LGN_REPLY_FLAG; rp_len <= blen; rp_hlen <= hlen; h_state <= H_REPLY; end
`define LGN_STREAM(from, upto) begin rd_off <= from; rd_end <= upto; rs_v <= 1'b0; end
    wire stream_done = rd_off >= rd_end && !rs_v;

    wire [7:0]  run_mode  = h_h[0];
    wire [15:0] run_layer = {h_h[2], h_h[1]};
    wire [15:0] run_count = {h_h[4], h_h[3]};
    wire [31:0] run_in_bytes = 32'(run_count) * 32'(cfg_nbytes);
    wire [15:0] run_lastw = cfg_width[run_layer[KW-1:0]];
    wire [31:0] run_rec = (run_mode == 8'd0) ? 32'(cfg_classes) * 2 + 1 : (32'(run_lastw) + 7) >> 3;
    wire [31:0] run_out_bytes = 32'(run_count) * run_rec + 32'(LGN_RUN_REPLY_FIXED_BYTES);
    wire [15:0] lastw = cfg_width[cfg_layers[KW-1:0] - 1'b1];

    always @(posedge clk) begin
        e_start <= 1'b0;
        gw_en <= 1'b0;
        if (rst) begin
            h_state <= H_IDLE;
            h_hold <= 1'b0;
            h_base <= {FSW{1'b0}};
            `LGN_POWER_UP_STATE
            rs_v <= 1'b0;
            rd_off <= 17'd0;
            rd_end <= 17'd0;
        end else begin
            if (e_busy) n_busy <= n_busy + 32'd1;
            else n_idle <= n_idle + 32'd1;
            // the frame-store byte stream: one byte per clock while rd_off < rd_end
            if (rd_off < rd_end) begin
                rd_off <= rd_off + 17'd1;
                rs_k <= rd_off;
                rs_lane <= rd_off[LG-1:0];
                rs_v <= 1'b1;
            end else rs_v <= 1'b0;

            case (h_state)
                H_IDLE: if (h_take) begin
                    h_seq <= fr_seq;
                    h_type <= fr_type;
                    h_len <= fr_len;
                    for (int i = 0; i < 5; i++) h_h[i] <= fr_h[i];
                    h_hold <= h_keep;
                    h_base <= fr_pbank ? FSW'(FS_DEPTH) : {FSW{1'b0}};
                    if (fr_code != 8'd0) `LGN_ERR(fr_code, fr_detail)
                    else begin
                        n_ok <= n_ok + 32'd1;
                        h_state <= H_DISPATCH;
                    end
                end
                H_ERROR: begin
                    hreg <= {256'd0, h_edet, h_type, h_ecode};
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
                            hreg <= {72'd0, tag_out, 32'(CLOCK_HZ), 32'(MAX_GATES), 16'(MAX_BODY),
                                     16'(L), 16'(G), 16'(MAX_CLASSES), 16'(MAX_LAYERS),
                                     16'(MAX_WIDTH), 16'(MAX_INPUTS), LGN_PROTOCOL_VERSION};
                            if (h_len != 16'd0) `LGN_ERR(LGN_ERR_BAD_LENGTH, h_len)
                            else `LGN_REPLY(LGN_INFO_BODY_BYTES, 8'(LGN_INFO_BODY_BYTES))
                        end
                        LGN_CMD_STATUS: begin
                            hreg <= {n_idle, n_busy, n_samples, n_runs, n_other, n_cobs, n_crc,
                                     n_ok, tag_out};
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
                        LGN_CMD_CONFIG: begin
                            cfg_valid <= 1'b0;     // a rejected CONFIG leaves the board unconfigured
                            cfg_tag <= 32'd0;
                            for (int k = 0; k < MAX_LAYERS; k++) cfg_width[k] <= 16'd0;
                            if (h_len < LGN_CONFIG_FIXED_BYTES) `LGN_ERR(LGN_ERR_BAD_LENGTH, h_len)
                            else begin
                                `LGN_STREAM(17'd0, 17'(h_len))
                                h_state <= H_CFG_RD;
                            end
                        end
                        LGN_CMD_LOAD: begin
                            if (!cfg_valid) `LGN_ERR(LGN_ERR_NOT_CONFIGURED, 16'd0)
                            else if (h_len < LGN_LOAD_FIXED_BYTES) `LGN_ERR(LGN_ERR_BAD_LENGTH, h_len)
                            else begin
                                `LGN_STREAM(17'd0, 17'd6)
                                h_state <= H_LOAD_HDR;
                            end
                        end
                        LGN_CMD_RUN: begin
                            if (!cfg_valid) `LGN_ERR(LGN_ERR_NOT_CONFIGURED, 16'd0)
                            else if (h_len < LGN_RUN_FIXED_BYTES) `LGN_ERR(LGN_ERR_BAD_LENGTH, h_len)
                            else if (run_mode > 8'd1) `LGN_ERR(LGN_ERR_BAD_ARG, 16'd0)
                            else if (run_mode == 8'd1 && run_layer >= cfg_layers) `LGN_ERR(LGN_ERR_BAD_ARG, 16'd1)
                            else if (32'(h_len) != 32'(LGN_RUN_FIXED_BYTES) + run_in_bytes) `LGN_ERR(LGN_ERR_BAD_LENGTH, h_len)
                            else if (run_out_bytes > 32'(MAX_BODY)) `LGN_ERR(LGN_ERR_OVER_CAPACITY, 16'(MAX_BODY))
                            else begin
                                e_mode <= run_mode[0];
                                e_last <= (run_mode == 8'd0) ? cfg_layers - 16'd1 : run_layer;
                                e_count <= run_count;
                                e_start <= 1'b1;
                                n_runs <= n_runs + 32'd1;
                                n_samples <= n_samples + 32'(run_count);
                                h_state <= H_RUN;
                            end
                        end
                        default: `LGN_ERR(LGN_ERR_UNKNOWN_CMD, 16'd0)
                    endcase
                end
                H_CFG_RD: begin
                    if (rs_v) begin
                        case (rs_k)
                            17'd0: cfg_inputs[7:0] <= rs_byte;
                            17'd1: cfg_inputs[15:8] <= rs_byte;
                            17'd2: cfg_layers[7:0] <= rs_byte;
                            17'd3: cfg_layers[15:8] <= rs_byte;
                            17'd4: cfg_classes[7:0] <= rs_byte;
                            17'd5: cfg_classes[15:8] <= rs_byte;
                            17'd6: cfg_tag[7:0] <= rs_byte;
                            17'd7: cfg_tag[15:8] <= rs_byte;
                            17'd8: cfg_tag[23:16] <= rs_byte;
                            17'd9: cfg_tag[31:24] <= rs_byte;
                            default:
                                if (rs_k - 17'd10 < 17'(2 * MAX_LAYERS)) begin
                                    if (rs_k[0]) cfg_width[KW'((rs_k - 17'd10) >> 1)][15:8] <= rs_byte;
                                    else cfg_width[KW'((rs_k - 17'd10) >> 1)][7:0] <= rs_byte;
                                end
                        endcase
                    end else if (stream_done) h_state <= H_CFG_CHK;
                end
                H_CFG_CHK: begin
                    cf_k <= 16'd0;
                    cf_acc <= 32'd0;
                    cfg_nbytes <= (cfg_inputs + 16'd7) >> 3;
                    if (cfg_layers == 16'd0) `LGN_ERR(LGN_ERR_BAD_ARG, 16'd2)
                    else if (cfg_layers > 16'(MAX_LAYERS)) `LGN_ERR(LGN_ERR_OVER_CAPACITY, 16'(MAX_LAYERS))
                    else if (32'(h_len) != 32'(LGN_CONFIG_FIXED_BYTES) + 2 * 32'(cfg_layers)) `LGN_ERR(LGN_ERR_BAD_LENGTH, h_len)
                    else if (cfg_inputs == 16'd0) `LGN_ERR(LGN_ERR_BAD_ARG, 16'd0)
                    else if (cfg_inputs > 16'(MAX_INPUTS)) `LGN_ERR(LGN_ERR_OVER_CAPACITY, 16'(MAX_INPUTS))
                    else if (cfg_classes == 16'd0) `LGN_ERR(LGN_ERR_BAD_ARG, 16'd4)
                    else if (cfg_classes > 16'(MAX_CLASSES)) `LGN_ERR(LGN_ERR_OVER_CAPACITY, 16'(MAX_CLASSES))
                    else if (cfg_tag == 32'd0) `LGN_ERR(LGN_ERR_BAD_ARG, 16'd6)   // tag 0 means "reset"
                    else h_state <= H_CFG_BASE;
                end
                H_CFG_BASE: begin
                    if (cf_k == cfg_layers) begin
                        if (cf_acc * G > 32'(MAX_GATES)) `LGN_ERR(LGN_ERR_OVER_CAPACITY, GATES_DETAIL)
                        else begin
                            cf_rem <= lastw;
                            cf_q <= 16'd0;
                            h_state <= H_CFG_DIV;
                        end
                    end else if (cfg_width[cf_k[KW-1:0]] == 16'd0) `LGN_ERR(LGN_ERR_BAD_ARG, 16'd10 + 2 * cf_k)
                    else if (cfg_width[cf_k[KW-1:0]] > 16'(MAX_WIDTH)) `LGN_ERR(LGN_ERR_OVER_CAPACITY, 16'(MAX_WIDTH))
                    else begin
                        cfg_base[cf_k[KW-1:0]] <= (GAW+1)'(cf_acc);
                        cf_acc <= cf_acc + ((32'(cfg_width[cf_k[KW-1:0]]) + 32'(G - 1)) >> GG);
                        cf_k <= cf_k + 16'd1;
                    end
                end
                H_CFG_DIV: begin   // group size by repeated subtraction (at most MAX_WIDTH clocks)
                    if (cf_rem >= cfg_classes) begin
                        cf_rem <= cf_rem - cfg_classes;
                        cf_q <= cf_q + 16'd1;
                    end else if (cf_rem != 16'd0) `LGN_ERR(LGN_ERR_BAD_ARG, 16'd8 + 2 * cfg_layers)
                    else begin
                        cfg_gs <= cf_q;
                        cf_k <= 16'd0;
                        cf_q <= 16'd0;     // class of gate cf_k
                        cf_rem <= 16'd0;   // its offset in the group
                        h_state <= H_CFG_CLS;
                    end
                end
                H_CFG_CLS: begin
                    if (cf_k == 16'(G)) begin
                        cls_step_c <= (CW+1)'(cf_q);
                        cls_step_r <= cf_rem;
                        cfg_valid <= 1'b1;
                        `LGN_REPLY(16'd0, 8'd0)
                    end else begin
                        cls_init_c[cf_k[GG-1:0]] <= (CW+1)'(cf_q);
                        cls_init_r[cf_k[GG-1:0]] <= cf_rem;
                        cf_k <= cf_k + 16'd1;
                        if (cf_rem + 16'd1 == cfg_gs) begin
                            cf_rem <= 16'd0;
                            cf_q <= cf_q + 16'd1;
                        end else cf_rem <= cf_rem + 16'd1;
                    end
                end
                H_LOAD_HDR: begin
                    if (rs_v) begin
                        case (rs_k[2:0])
                            3'd0: ld_layer[7:0] <= rs_byte;
                            3'd1: ld_layer[15:8] <= rs_byte;
                            3'd2: ld_first[7:0] <= rs_byte;
                            3'd3: ld_first[15:8] <= rs_byte;
                            3'd4: ld_count[7:0] <= rs_byte;
                            default: ld_count[15:8] <= rs_byte;
                        endcase
                    end else if (stream_done) h_state <= H_LOAD_GO;
                end
                H_LOAD_GO: begin
                    ld_prevw <= (ld_layer == 16'd0) ? cfg_inputs : cfg_width[KW'(ld_layer - 16'd1)];
                    ld_f <= 3'd0;
                    ld_gi <= ld_first;
                    ld_bad <= 1'b0;
                    if (32'(h_len) != 32'(LGN_LOAD_FIXED_BYTES) + 32'(ld_count) * 5) `LGN_ERR(LGN_ERR_BAD_LENGTH, h_len)
                    else if (ld_layer >= cfg_layers) `LGN_ERR(LGN_ERR_BAD_ARG, 16'd0)
                    else if (32'(ld_first) + 32'(ld_count) > 32'(cfg_width[ld_layer[KW-1:0]]))
                        `LGN_ERR(LGN_ERR_BAD_ARG, 16'd2)
                    else begin
                        `LGN_STREAM(17'd6, 17'(h_len))
                        h_state <= H_LOAD_CHK;
                    end
                end
                H_LOAD_CHK, H_LOAD_WR: begin
                    if (rs_v) begin
                        ld_f <= (ld_f == 3'd4) ? 3'd0 : ld_f + 3'd1;
                        case (ld_f)
                            3'd0: ld_a[7:0] <= rs_byte;
                            3'd1: ld_a[15:8] <= rs_byte;
                            3'd2: ld_b[7:0] <= rs_byte;
                            3'd3: ld_b[15:8] <= rs_byte;
                            default: begin
                                ld_gi <= ld_gi + 16'd1;
                                if (h_state == H_LOAD_CHK) begin
                                    // detail: body offset of the first bad field
                                    if (!ld_bad && (ld_a >= ld_prevw || ld_b >= ld_prevw || rs_byte > 8'd15)) begin
                                        ld_bad <= 1'b1;
                                        ld_bad_at <= 16'(rs_k) - ((ld_a >= ld_prevw) ? 16'd4 : (ld_b >= ld_prevw) ? 16'd2 : 16'd0);
                                    end
                                end else begin
                                    gw_en <= 1'b1;
                                    gw_slot <= ld_gi[GG-1:0];
                                    gw_addr <= GAW'(cfg_base[ld_layer[KW-1:0]]) + GAW'(ld_gi >> GG);
                                    gw_data <= {rs_byte[3:0], ld_b[AW-1:0], ld_a[AW-1:0]};
                                end
                            end
                        endcase
                    end else if (stream_done) begin
                        if (h_state == H_LOAD_CHK) begin
                            if (ld_bad) `LGN_ERR(LGN_ERR_BAD_ARG, ld_bad_at)
                            else begin
                                ld_f <= 3'd0;
                                ld_gi <= ld_first;
                                `LGN_STREAM(17'd6, 17'(h_len))
                                h_state <= H_LOAD_WR;
                            end
                        end else `LGN_REPLY(16'd0, 8'd0)
                    end
                end
                H_RUN: if (!e_start && !e_busy) begin
                    hreg <= {224'd0, e_cycles, tag_out};
                    `LGN_REPLY(16'(e_ro) + 16'd8, 8'd8)
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

    // Reply streamer: OUT_BYTES_PER_CLK = WO reply bytes a clock into the COBS encoder
    // (header, body head from hreg, body from rmem, CRC; the slots of a clock in order).
    localparam integer WO = OUT_BYTES_PER_CLK;
    localparam integer WB = (WO > 1) ? $clog2(WO) : 1;
    localparam integer RA = $clog2(MAX_BODY);
    reg         tx_busy;
    reg  [16:0] tx_i, tx_n;
    reg  [15:0] tx_crc;
    reg  [7:0]  tx_seq, tx_type, tx_hlen;  // this reply's header, taken at tx_start
    reg  [15:0] tx_len;
    reg  [8*36-1:0] tx_hreg;
    reg         tx_rbank;                 // result bank it reads
    wire [16:0] tx_body_start = 17'd4 + 17'(tx_hlen);
    wire [16:0] tx_body_end = 17'd4 + 17'(tx_len);
    wire        tx_take;
    reg  [16:0] rm_ptr;                   // body bytes taken from rmem so far
    reg  [8*WO-1:0] rm_win;               // rmem[rm_ptr +: WO], registered
    reg  [8*WO-1:0] tx_bytes;
    reg  [WO-1:0]   tx_valid;
    reg  [15:0] tx_c;
    reg  [16:0] tx_ix, tx_nb, tx_cnt;
    reg  [WB-1:0] tx_w;                   // window slot of a body byte
    reg  [7:0]  tx_b;
    always @* begin
        tx_c = tx_crc;
        tx_nb = 17'd0;
        tx_cnt = 17'd0;
        tx_bytes = {(8*WO){1'b0}};
        tx_valid = {WO{1'b0}};
        tx_ix = tx_i;
        tx_w = {WB{1'b0}};
        tx_b = 8'd0;
        if (tx_busy) for (int k = 0; k < WO; k++) begin
            tx_ix = tx_i + 17'(k);
            tx_w = WB'(tx_ix - tx_body_start - rm_ptr);
            if (tx_ix == 17'd0) tx_b = tx_seq;
            else if (tx_ix == 17'd1) tx_b = tx_type;
            else if (tx_ix == 17'd2) tx_b = tx_len[7:0];
            else if (tx_ix == 17'd3) tx_b = tx_len[15:8];
            else if (tx_ix < tx_body_start) tx_b = tx_hreg[8 * 6'(tx_ix - 17'd4) +: 8];
            else if (tx_ix < tx_body_end) tx_b = rm_win[8 * tx_w +: 8];
            else if (tx_ix == tx_body_end) tx_b = tx_c[7:0];
            else tx_b = tx_c[15:8];
            if (tx_ix < tx_n) begin
                tx_valid[k] = 1'b1;
                tx_bytes[8*k +: 8] = tx_b;
                tx_cnt = tx_cnt + 17'd1;
                if (tx_ix < tx_body_end) tx_c = lgn_crc16_byte(tx_c, tx_b);
                if (tx_ix >= tx_body_start && tx_ix < tx_body_end) tx_nb = tx_nb + 17'd1;
            end
        end
    end
    wire [16:0] rm_ptr_nx = tx_start ? 17'd0 : rm_ptr + (tx_take ? tx_nb : 17'd0);
    wire        rm_rbank = tx_start ? rm_sel : tx_rbank;
    wire [RAW-1:0] rm_rbase = (RESULT_BUFS > 1 && rm_rbank) ? RAW'(MAX_BODY) : {RAW{1'b0}};
    always @(posedge clk) begin
        rm_ptr <= rm_ptr_nx;
        for (int k = 0; k < WO; k++) rm_win[8*k +: 8] <= rmem[rm_rbase + RAW'(RA'(rm_ptr_nx + 17'(k)))];
    end
    wire enc_ready, enc_idle;
    assign tx_take = tx_busy && enc_ready;
    always @(posedge clk) begin
        if (rst) begin
            tx_busy <= 1'b0;
            tx_i <= 17'd0;
            tx_n <= 17'd0;
            tx_crc <= LGN_CRC_INIT;
            tx_rbank <= 1'b0;
            rm_sel <= 1'b0;
        end else if (tx_start) begin
            tx_busy <= 1'b1;
            tx_seq <= h_seq;
            tx_type <= rp_type;
            tx_len <= rp_len;
            tx_hlen <= rp_hlen;
            tx_hreg <= hreg;
            tx_rbank <= rm_sel;
            if (RESULT_BUFS > 1) rm_sel <= !rm_sel;
            tx_i <= 17'd0;
            tx_n <= 17'd6 + 17'(rp_len);
            tx_crc <= LGN_CRC_INIT;
        end else if (tx_take) begin
            tx_crc <= tx_c;
            tx_i <= tx_i + tx_cnt;
            if (tx_i + tx_cnt == tx_n) tx_busy <= 1'b0;
        end
    end

    lgn_cobs_enc #(.W(WO)) u_enc (
        .clk(clk), .rst(rst), .in_data(tx_bytes), .in_last(tx_i + tx_cnt == tx_n),
        .in_valid(tx_busy ? tx_valid : {WO{1'b0}}), .in_ready(enc_ready), .out_data(out_data),
        .out_valid(out_valid), .out_ready(out_ready), .idle(enc_idle));

    assign idle = !fr_pending && h_state == H_IDLE && !tx_busy && enc_idle && !e_busy;
endmodule
