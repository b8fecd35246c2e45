// SPDX-License-Identifier: MIT
// lgn_gate_engine: the bit-sliced evaluation of the loaded netlist, with its gate memories,
// activation buffers and class counters (lgn_core runs it for RUN).
//
// Two activation buffers (ping-pong: layer k reads buffer (k+1)%2 and writes buffer k%2; a
// chunk's inputs are transposed into buffer 1 from the frame store, 8 inputs a clock) in one
// memory of rows of 8 words of L bits: word x of buffer p is lane x%8 of row {p, x/8}, so a
// clock writes one row (G <= 8) with lane enables and operands are registered row reads: one
// write and 2G read ports, block RAM on a board. Gate configs live in G = GATES_PER_CYCLE
// memories (slot = gate index % G), so a layer of width w takes ceil(w/G) cycles through a
// 4-stage pipeline (gate read, its register, operand read, evaluate and write) plus 3 to
// drain (4 after the last layer: the class counters take a clock more). Layer k's
// gates start at word base[k] = sum of ceil(w/G) over the layers before (lgn_config). In
// a scores run's last layer each output word is added into its class's bit-sliced counter
// (SB planes of L bits; a ripple of XOR/AND). Per chunk of up to L samples,
//   cycles = (ceil(inputs/8) + 1) + sum_k (ceil(w_k/G) + 3) + emit + 2,
// where emit = samples (scores: a sample's record per clock) or samples*ceil(w/8) (raw layer
// bits, a byte per clock; bits past the layer's width are 0). `e_cycles` is that total for
// the whole batch (count 0: 1). Results go out through the result memory's write port.
//
// FAULTS = 1 (the virtual board) adds fault injection: a gate slot whose stuck bit is set
// (fault_we, fault_gate, fault_stuck = {enable, value}) outputs a constant, and flip_mask is
// XORed into each evaluated word; with FAULTS = 0 (board builds) the fault ports are unused.
// Ports are declared in the body, where their widths can use the included sizes.
module lgn_gate_engine #(
`include "generated/lgn_engine_params.vh"
) (clk, rst, e_start, e_mode, e_last, e_count, e_fsbase, cfg_nbytes, cfg_classes, cfg_gs,
   cfg_width_f, cfg_base_f, cls_init_c_f, cls_init_r_f, cls_step_c, cls_step_r,
   gw_en, gw_slot, gw_addr, gw_data, fault_we, fault_gate, fault_stuck, flip_mask,
   fs_raddr, fs_ren, fs_rword, e_busy, e_flush, e_cycles, e_ro, rm_we, rm_wa, rm_wd, rm_wn);
`include "generated/lgn_protocol.vh"
`include "lgn_core_sizes.vh"
    input  wire            clk;
    input  wire            rst;
    input  wire            e_start;                // a pulse: run this batch
    input  wire            e_mode;                 // 1: raw bits of layer e_last
    input  wire [15:0]     e_last, e_count;
    input  wire [FSW-1:0]  e_fsbase;               // first word of the samples in the store
    // the configuration (lgn_config; packed arrays: entry k at k*width)
    input  wire [15:0]     cfg_nbytes, cfg_classes, cfg_gs;
    input  wire [16*MAX_LAYERS-1:0]      cfg_width_f;
    input  wire [(GAW+1)*MAX_LAYERS-1:0] cfg_base_f;
    input  wire [G*(CW+1)-1:0]           cls_init_c_f;
    input  wire [G*16-1:0]               cls_init_r_f;
    input  wire [CW:0]     cls_step_c;
    input  wire [15:0]     cls_step_r;
    // gate writes: slot q holds the gates whose index in their layer is q mod G
    input  wire            gw_en;
    input  wire [GG-1:0]   gw_slot;
    input  wire [GAW-1:0]  gw_addr;
    input  wire [GB-1:0]   gw_data;                // {op, b, a}
    /* verilator lint_off UNUSEDSIGNAL */          // (unused when FAULTS = 0)
    input  wire            fault_we;
    input  wire [31:0]     fault_gate;             // global gate slot: word*G + slot
    input  wire [1:0]      fault_stuck;            // {enable, value}
    input  wire [G*L-1:0]  flip_mask;
    /* verilator lint_on UNUSEDSIGNAL */
    output wire [FSW-1:0]  fs_raddr;
    output wire            fs_ren;
    input  wire [8*L-1:0]  fs_rword;
    output wire            e_busy;
    output wire            e_flush;                // the last records still on their way
    output reg  [31:0]     e_cycles;
    output reg  [15:0]     e_ro;                   // result bytes written
    output wire            rm_we;                  // result memory: rm_wn bytes at rm_wa
    output wire [RA-1:0]   rm_wa;
    output wire [8*RECW-1:0] rm_wd;
    output wire [7:0]      rm_wn;

    reg [GB-1:0]  gmem [0:G-1][0:GWORDS-1];
    reg [GB-1:0]  g_rd [0:G-1], g_q [0:G-1];   // the memories' read port, and its register

    localparam [2:0] E_IDLE = 3'd0, E_TRANS = 3'd1, E_LAYER = 3'd2, E_DRAIN = 3'd3,
                     E_EMIT = 3'd4, E_NEXT = 3'd5;
    reg  [2:0]  e_state;
    reg  [15:0] e_done, e_lanes;
    reg  [FSW-1:0] e_cbase;               // first word of this chunk in the frame store
    reg  [15:0] e_j, e_k, e_word, e_nw, e_width;
    /* verilator lint_off UNUSEDSIGNAL */   // (e_gbase's top bit: only the stuck-at address uses
    reg  [GAW:0] e_gbase;                   // it; t_j, a row address: its low ARB bits)
    reg  [15:0] t_j;
    /* verilator lint_on UNUSEDSIGNAL */
    reg  [1:0]  e_drain;
    reg         t_v;
    wire sr_busy; reg sr_v;               // score records still in lgn_score_record
    assign e_busy = e_state != E_IDLE, e_flush = sr_v || sr_busy;
    assign fs_raddr = e_cbase + e_j[FSW-1:0];
    assign fs_ren = e_state == E_TRANS;

    // pipeline
    reg               s0_v, s1_v, s2_v, s0_par, s1_par, s2_par, s0_sc, s1_sc, s2_sc;
    reg  [15:0]       s0_word, s1_word, s2_word;   // par: destination buffer, sc: add scores
    reg  [G*(CW+1)-1:0] cls_c;            // slot q: bits q*(CW+1) +: CW+1 (packed: cheap to
    reg  [G*16-1:0]   cls_r;              // update all at once in simulation)
    reg  [CW:0]       s0_cls [0:G-1], s1_cls [0:G-1];
    reg  [CW:0]       s2_cls [0:G-1];
    reg  [3:0]        s2_op [0:G-1];
    wire [2*G-1:0]    s2_st;              // slot q: {stuck, value} at bits 2q +: 2
    // the activation memory (rows of 8 words, see the top)
    localparam integer ARB = $clog2((ADEPTH + 7) / 8) > 0 ? $clog2((ADEPTH + 7) / 8) : 1;
    localparam integer WROWS = (G + 7) / 8;    // rows a layer clock writes
    reg  [8*L-1:0]    act [0:2*(1 << ARB)-1];
    reg  [8*L-1:0]    ra [0:G-1];       // operand rows (ra[0] also fetches raw-bits rows)
    reg  [8*L-1:0]    rb [0:G-1];
    reg  [2:0]        la [0:G-1], lb [0:G-1];   // the operands' lanes in them
    reg  [L-1:0]      planes [0:MAX_CLASSES-1][0:SB-1];   // class c's score bit p

    wire [GAW-1:0] g_raddr = e_gbase[GAW-1:0] + e_word[GAW-1:0];
    wire e_issue = e_state == E_LAYER, e_layer_done = e_word == e_nw - 16'd1;
    wire e_par = e_k[0], e_sc = !e_mode && e_k == e_last;   // layer k writes buffer k%2

    // Fault injection (FAULTS = 1): one {enable, value} pair per gate slot, read in stage 1.
    wire any_flip;
    generate
        if (FAULTS != 0) begin : faults
            reg [1:0] stuck [0:MAX_GATES-1];
            reg       any_stuck;
            reg [2*G-1:0] st;
            integer fi;
            initial for (fi = 0; fi < MAX_GATES; fi = fi + 1) stuck[fi] = 2'b00;
            always @(posedge clk) begin
                if (rst) any_stuck <= 1'b0;
                else if (fault_we && fault_gate < 32'(MAX_GATES)) begin
                    stuck[fault_gate[$clog2(MAX_GATES)-1:0]] <= fault_stuck;
                    if (fault_stuck[1]) any_stuck <= 1'b1;
                end
            end
            always @(posedge clk)
                if (s1_v)
                    for (int q = 0; q < G; q++)
                        st[2*q +: 2] <= any_stuck ? stuck[(32'(s1_word) << LOG_G) + 32'(q) + (32'(e_gbase) << LOG_G)]
                                                  : 2'b00;
            assign s2_st = st;
            assign any_flip = |flip_mask;
        end else begin : no_faults
            assign s2_st = {(2*G){1'b0}};
            assign any_flip = 1'b0;
        end
    endgenerate

    // Gate evaluation: op bits are the truth table f(0,0), f(0,1), f(1,0), f(1,1) (bit3..bit0).
    function automatic [L-1:0] gate_eval(input [3:0] op, input [L-1:0] a, input [L-1:0] b);
        gate_eval = ({L{op[3]}} & ~a & ~b) | ({L{op[2]}} & ~a & b)
                  | ({L{op[1]}} & a & ~b) | ({L{op[0]}} & a & b);
    endfunction

    // Stages 0 and 1: gate configs, registered (the gate memories' block RAMs spread over the
    // die: their read is a clock of its own), then operands. Registers load only when their
    // stage is active, which keeps an idle engine cheap in simulation as well as in power.
    always @(posedge clk) begin
        if (gw_en) gmem[gw_slot][gw_addr] <= gw_data;
        if (e_issue)
            for (int q = 0; q < G; q++) g_rd[q] <= gmem[q][g_raddr];
        {s2_v, s1_v, s0_v} <= {s1_v, s0_v, e_issue};    // a gate word in stage 0, 1, 2
        if (e_issue) begin
            {s0_word, s0_par, s0_sc} <= {e_word, e_par, e_sc};
            if (e_sc) for (int q = 0; q < G; q++) s0_cls[q] <= cls_c[q*(CW+1) +: CW+1];
        end
        if (s0_v) begin
            {s1_word, s1_par, s1_sc} <= {s0_word, s0_par, s0_sc};
            for (int q = 0; q < G; q++) {s1_cls[q], g_q[q]} <= {s0_cls[q], g_rd[q]};
        end
        if (s1_v) begin
            {s2_word, s2_par, s2_sc} <= {s1_word, s1_par, s1_sc};
            for (int q = 0; q < G; q++) begin
                s2_cls[q] <= s1_cls[q];
                s2_op[q] <= g_q[q][2*AW +: 4];
                la[q] <= g_q[q][2:0];
                lb[q] <= g_q[q][AW +: 3];
            end
        end
    end
    // Operand reads from the buffer the layer does not write (layer k reads (k+1)%2); the
    // raw-bits emission borrows slot 0's port to fetch the row of its next byte.
    wire em_fetch; wire [ARB:0] em_row;
    always @(posedge clk)
        for (int q = 0; q < G; q++) begin
            if (q == 0 ? (s1_v || em_fetch) : s1_v)
                ra[q] <= act[(q == 0 && !s1_v) ? em_row : {!s1_par, ARB'(g_q[q][AW-1:3])}];
            if (s1_v) rb[q] <= act[{!s1_par, ARB'(g_q[q][2*AW-1:AW+3])}];
        end

    // Stage 2: evaluate, write the destination buffer (or a chunk's inputs into buffer 1), add
    // last-layer outputs into the class counters: the G slots of a clock may hit one class,
    // so their additions go one after the other (blocking; only this block writes planes).
    reg [L-1:0] wq [0:G-1];            // slot q's outputs; its operands are lanes of rows
    always @*
        for (int q = 0; q < G; q++) begin
            wq[q] = gate_eval(s2_op[q], ra[q][L * la[q] +: L], rb[q][L * lb[q] +: L]);
            if (any_flip) wq[q] = wq[q] ^ flip_mask[q*L +: L];
            if (s2_st[2*q+1]) wq[q] = {L{s2_st[2*q]}};
        end
    // The activation writes of a clock: WROWS rows with lane enables, row 0 shared with the
    // transposition (the two never meet: a chunk's inputs go in before its first layer).
    wire [31:0] s2_base = 32'(s2_word) << LOG_G;
    wire [8*L-1:0] t_row;                 // inputs 8*t_j .. 8*t_j+7 of all lanes
    for (genvar q = 0; q < 8; q++) begin : tr_q
        for (genvar p = 0; p < L; p++) begin : tr_p assign t_row[L*q + p] = fs_rword[8*p + q]; end
    end
    reg  [8*L-1:0] wr_data [0:WROWS-1];
    reg  [7:0]     wr_en [0:WROWS-1];
    reg  [ARB:0]   wr_row [0:WROWS-1];
    always @* begin
        for (int r = 0; r < WROWS; r++) begin
            wr_en[r] = 8'd0;
            wr_data[r] = {(8*L){1'b0}};
            wr_row[r] = {s2_par, ARB'((s2_base >> 3) + 32'(r))};
            for (int m = 0; m < 8; m++)
                if (s2_v && 8 * r + m >= 32'(s2_base[2:0]) && 8 * r + m < 32'(s2_base[2:0]) + G
                        && (s2_base & ~32'd7) + 32'(8 * r + m) < 32'(e_width)) begin
                    wr_en[r][m] = 1'b1;
                    wr_data[r][L*m +: L] = wq[8 * r + m - 32'(s2_base[2:0])];
                end
        end
        if (t_v) begin
            wr_en[0] = 8'hFF;
            wr_row[0] = {1'b1, ARB'(t_j)};
            wr_data[0] = t_row;
        end
    end
    always @(posedge clk)
        for (int r = 0; r < WROWS; r++)
            for (int m = 0; m < 8; m++)
                if (wr_en[r][m]) act[wr_row[r]][L*m +: L] <= wr_data[r][L*m +: L];

    // The class counters take stage 2's outputs a clock later (stage 3: off the path from
    // the activation memory; the drain leaves room, they are final when the emission starts).
    reg [L-1:0] carry, tmp, s3_w [0:G-1];
    reg [CW:0]  s3_cls [0:G-1]; reg [G-1:0] s3_add;
    always @(posedge clk)
        for (int q = 0; q < G; q++) begin
            s3_w[q] <= wq[q];
            s3_cls[q] <= s2_cls[q];
            s3_add[q] <= s2_v && s2_sc && s2_base + 32'(q) < 32'(e_width);
        end
    /* verilator lint_off BLKSEQ */
    always @(posedge clk) begin
        if (|s3_add)              // (static indices: one counter per class, no index muxes)
            for (int c = 0; c < MAX_CLASSES; c++)
                for (int q = 0; q < G; q++)
                    if (32'(s3_cls[q]) == 32'(c) && s3_add[q]) begin
                        carry = s3_w[q];
                        for (int p = 0; p < SB; p++) begin
                            tmp = planes[c][p];
                            planes[c][p] = tmp ^ carry;
                            carry = tmp & carry;
                        end
                    end
        if ((e_state == E_DRAIN && e_drain == 2'd0 && !e_mode && e_k + 16'd1 == e_last)
                || (e_state == E_TRANS && e_j == 16'd0 && e_last == 16'd0 && !e_mode))
            for (int c = 0; c < MAX_CLASSES; c++) for (int p = 0; p < SB; p++) planes[c][p] = {L{1'b0}};
    end
    /* verilator lint_on BLKSEQ */

    // Emission into the result memory (the RUN reply body after its head): a scores run hands
    // a sample's scores a clock to lgn_score_record (its record is written two clocks later,
    // before the engine reports idle), a raw-bits run writes a byte a clock.
    reg  [15:0] em_s, em_j, em_nb;
    reg  [7:0]  em_by, raw_wd;
    reg         raw_we;
    reg  [RA-1:0] raw_wa, sr_wa;
    reg  [16*MAX_CLASSES-1:0] sr_sc;
    wire        sr_we;
    wire [RA-1:0] sr_wa_o; wire [8*RECW-1:0] sr_wd; wire [7:0] sr_wn;
    lgn_score_record #(
`include "generated/lgn_engine_pass.vh"
    ) u_rec (.clk(clk), .rst(rst), .in_v(sr_v), .in_wa(sr_wa), .in_sc(sr_sc), .cfg_classes(cfg_classes),
             .rm_we(sr_we), .rm_wa(sr_wa_o), .rm_wd(sr_wd), .rm_wn(sr_wn), .busy(sr_busy));
    assign rm_we = raw_we || sr_we;
    assign rm_wa = raw_we ? raw_wa : sr_wa_o;
    assign rm_wd = raw_we ? {{(8*RECW-8){1'b0}}, raw_wd} : sr_wd;
    assign rm_wn = raw_we ? 8'd1 : sr_wn;
    wire [15:0] remaining = e_count - e_done - e_lanes;   // after the current chunk
    wire [15:0] next_lanes = (remaining > 16'(L)) ? 16'(L) : remaining;
    wire [7:0]  rec_bytes = 8'(LGN_SCORE_BYTES * cfg_classes + LGN_PRED_BYTES);  // a scores record
    // raw bits: ra[0] holds row em_j of the last layer's buffer; fetch the next byte's row
    assign em_fetch = e_mode && ((e_state == E_DRAIN && e_drain == 2'd3 && e_k == e_last)
                                 || e_state == E_EMIT);
    assign em_row = {e_par, ARB'((e_state == E_EMIT && em_j != em_nb - 16'd1) ? em_j + 16'd1 : 16'd0)};

    /* verilator lint_off BLKSEQ */
    always @(posedge clk) begin
        raw_we <= 1'b0;
        sr_v <= 1'b0;
        t_v <= 1'b0;
        if (rst) begin
            e_state <= E_IDLE;
        end else begin
            case (e_state)
                E_IDLE: if (e_start) begin
                    e_cycles <= 32'd0;
                    e_done <= 16'd0;
                    e_cbase <= e_fsbase;
                    e_ro <= 16'd0;
                    e_lanes <= (e_count > 16'(L)) ? 16'(L) : e_count;
                    e_j <= 16'd0;
                    e_state <= (e_count == 16'd0) ? E_NEXT : E_TRANS;
                end
                E_TRANS: begin
                    if (e_j == cfg_nbytes) begin
                        e_k <= 16'd0;
                        e_word <= 16'd0;
                        e_width <= cfg_width_f[15:0];
                        e_nw <= (cfg_width_f[15:0] + 16'(G - 1)) >> LOG_G;
                        e_gbase <= cfg_base_f[GAW:0];
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
                    if (e_drain == ((e_k == e_last) ? 2'd3 : 2'd2)) begin
                        if (e_k == e_last) begin
                            e_state <= E_EMIT;
                            em_s <= 16'd0;
                            em_j <= 16'd0;
                            em_nb <= (e_width + 16'd7) >> 3;
                        end else begin
                            e_k <= e_k + 16'd1;
                            e_word <= 16'd0;
                            e_width <= cfg_width_f[16*KW'(e_k[KW-1:0] + 1'b1) +: 16];
                            e_nw <= (cfg_width_f[16*KW'(e_k[KW-1:0] + 1'b1) +: 16] + 16'(G - 1)) >> LOG_G;
                            e_gbase <= cfg_base_f[(GAW+1)*KW'(e_k[KW-1:0] + 1'b1) +: GAW+1];
                            e_state <= E_LAYER;
                        end
                    end
                end
                E_EMIT: begin
                    if (e_mode) begin
                        // byte em_j of sample em_s: bit i = lane em_s of output 8*em_j + i,
                        // 0 past the layer's width (the buffers hold older outputs there)
                        for (int p = 0; p < 8; p++)
                            em_by[p] = (32'({em_j, 3'd0}) + 32'(p) < 32'(e_width))
                                       && ra[0][L * p + 32'(em_s[LG-1:0])];
                        raw_we <= 1'b1;
                        raw_wa <= e_ro[RA-1:0];
                        raw_wd <= em_by;
                        e_ro <= e_ro + 16'd1;
                        if (em_j == em_nb - 16'd1) begin
                            em_j <= 16'd0;
                            em_s <= em_s + 16'd1;
                            if (em_s == e_lanes - 16'd1) e_state <= E_NEXT;
                        end else em_j <= em_j + 16'd1;
                    end else begin
                        // sample em_s: every class score from its bit planes
                        sr_v <= 1'b1;
                        sr_wa <= e_ro[RA-1:0];
                        sr_sc <= {(16*MAX_CLASSES){1'b0}};
                        for (int c = 0; c < MAX_CLASSES; c++) for (int p = 0; p < SB; p++)
                            sr_sc[16*c + p] <= 16'(c) < cfg_classes && planes[c][p][em_s[LG-1:0]];
                        e_ro <= e_ro + 16'(rec_bytes);
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
        if (cls_load) begin
            cls_c <= cls_init_c_f;
            cls_r <= cls_init_r_f;
        end else if (cls_step)
            for (int q = 0; q < G; q++) begin
                cls_r[q*16 +: 16] <= (cls_r[q*16 +: 16] + cls_step_r >= cfg_gs)
                                     ? cls_r[q*16 +: 16] + cls_step_r - cfg_gs
                                     : cls_r[q*16 +: 16] + cls_step_r;
                cls_c[q*(CW+1) +: CW+1] <= cls_c[q*(CW+1) +: CW+1] + cls_step_c
                                           + {{CW{1'b0}}, cls_r[q*16 +: 16] + cls_step_r >= cfg_gs};
            end
endmodule
