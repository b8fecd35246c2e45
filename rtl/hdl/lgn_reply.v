// SPDX-License-Identifier: MIT
// lgn_reply: the reply streamer of lgn_core. Takes a reply from the command handler
// (tx_start: seq, type, body length, and the body head `hreg` of rp_hlen bytes) and sends its
// payload into the COBS encoder: header, body head, the rest of the body from the result
// memory, CRC over header and body. W = OUT_BYTES_PER_CLK bytes a clock (the slots of a
// clock in order; the boards use 1).
//
// The result memory (written by the gate engine: up to RECW bytes a clock at rm_wa) holds a
// RUN reply's records. Its read address is a register, two clocks behind the bytes taken
// (no path from the encoder's ready to the memory): each read gives NB >= 3 W bytes from
// there on, enough for the window two clocks later. A RUN reply's header and fixed head
// (12 bytes) go out before its first record, so W <= 12. RESULT_BUFS = 2 gives it two banks: the engine writes bank rm_sel
// while the streamer sends the other one (rm_sel flips when a reply starts), so the next
// RUN can start while a reply goes out.
// Ports are declared in the body, where their widths can use the included sizes.
module lgn_reply #(
`include "generated/lgn_engine_params.vh"
) (clk, rst, tx_start, rp_seq, rp_type, rp_len, rp_hlen, hreg, tx_busy, rm_we, rm_wa, rm_wd,
   rm_wn, enc_data, enc_valid, enc_last, enc_ready);
`include "generated/lgn_protocol.vh"
`include "lgn_core_sizes.vh"
`include "lgn_crc16.vh"
    localparam integer WO = OUT_BYTES_PER_CLK;
    localparam integer RAW = $clog2(RESULT_BUFS * MAX_BODY);
    generate
        // (an instance of a module that does not exist stops Verilator, Icarus and yosys alike)
        if (WO > 32'(LGN_HEADER_BYTES) + 32'(LGN_RUN_REPLY_FIXED_BYTES)) begin : bad_params
            ERROR_lgn_reply_needs_OUT_BYTES_PER_CLK_at_most_12 check();
        end
    endgenerate
    input  wire            clk;
    input  wire            rst;
    input  wire            tx_start;               // take this reply (when !tx_busy)
    input  wire [7:0]      rp_seq, rp_type;
    input  wire [15:0]     rp_len;                 // body bytes
    input  wire [7:0]      rp_hlen;                // of which the first come from hreg
    input  wire [8*HB-1:0] hreg;                   // byte i in bits 8i +: 8
    output reg             tx_busy;
    // result memory write port (lgn_gate_engine)
    input  wire            rm_we;
    input  wire [RA-1:0]   rm_wa;
    input  wire [8*RECW-1:0] rm_wd;                // byte k in bits 8k +: 8
    input  wire [7:0]      rm_wn;                  // bytes to write
    // into the COBS encoder
    output wire [8*WO-1:0] enc_data;
    output wire [WO-1:0]   enc_valid;
    output wire            enc_last;
    input  wire            enc_ready;

    reg         rm_sel;                   // the bank the engine writes
    wire [RAW-1:0] rm_wbase = (RESULT_BUFS > 1 && rm_sel) ? RAW'(MAX_BODY) : {RAW{1'b0}};

    reg  [16:0] tx_i, tx_n;
    reg  [15:0] tx_crc;
    reg  [7:0]  tx_seq, tx_type;           // this reply's header, taken at tx_start
    reg  [15:0] tx_len;
    reg  [8*HB-1:0] tx_hreg;
    reg         tx_rbank;                 // result bank it reads
    reg  [16:0] tx_body_start, tx_body_end;   // payload offsets, taken at tx_start (no adder
                                              // on the path to the result memory's address)
    wire        tx_take;
    reg  [8*LGN_HEADER_BYTES-1:0] tx_head;
    always @* begin
        tx_head = {(8*LGN_HEADER_BYTES){1'b0}};
        tx_head[8*LGN_HEADER_OFF_SEQ +: 8] = tx_seq;
        tx_head[8*LGN_HEADER_OFF_TYPE +: 8] = tx_type;
        tx_head[8*LGN_HEADER_OFF_LEN +: 16] = tx_len;
    end
    localparam integer HDW = $clog2(LGN_HEADER_BYTES);
    reg  [16:0] rm_ptr;                   // body bytes taken from the result memory so far
    reg  [8*WO-1:0] tx_bytes;
    reg  [WO-1:0]   tx_valid;
    reg  [15:0] tx_c;
    reg  [16:0] tx_ix, tx_nb, tx_cnt;
    reg  [7:0]  tx_b;
    always @* begin
        tx_c = tx_crc;
        tx_nb = 17'd0;
        tx_cnt = 17'd0;
        tx_bytes = {(8*WO){1'b0}};
        tx_valid = {WO{1'b0}};
        tx_ix = tx_i;
        tx_b = 8'd0;
        // (the condition inside the loop: a loop that may not run would make yosys infer a
        // latch for its variable)
        for (int k = 0; k < WO; k++) if (tx_busy) begin
            tx_ix = tx_i + 17'(k);
            if (tx_ix < 17'(LGN_HEADER_BYTES)) tx_b = tx_head[8 * HDW'(tx_ix) +: 8];
            else if (tx_ix < tx_body_start) tx_b = tx_hreg[8 * HBW'(tx_ix - 17'(LGN_HEADER_BYTES)) +: 8];
            else if (tx_ix < tx_body_end) tx_b = rm_q[8 * LNB'(tx_ix - tx_body_start) +: 8];
            else if (tx_ix == tx_body_end) tx_b = tx_c[7:0];      // the CRC, u16 LE
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
    always @(posedge clk) rm_ptr <= tx_start ? 17'd0 : rm_ptr + (tx_take ? tx_nb : 17'd0);

    // The result memory, RESULT_BUFS x MAX_BODY bytes, kept in NB byte-wide memories: byte
    // address x lives in memory x % NB at row x / NB. A clock's record (up to RECW bytes at any
    // offset) and the streamer's window (WO bytes) touch each memory at most once, so each
    // has one write and one registered read port (block RAM or LUT RAM on the boards).
    localparam integer NB = 1 << $clog2((RECW > 3 * WO) ? RECW : 3 * WO);
    localparam integer LNB = $clog2(NB);
    localparam integer ROWS = (RESULT_BUFS * MAX_BODY + NB - 1) / NB;
    localparam integer RW = (ROWS > 1) ? $clog2(ROWS) : 1;
    wire [RAW-1:0] wa0 = rm_wbase + RAW'(rm_wa);
    // the read span's start: this reply's first byte at its start, else rm_ptr a clock late
    wire           rbank = tx_start ? rm_sel : tx_rbank;
    wire [RAW-1:0] ra_nx = ((RESULT_BUFS > 1 && rbank) ? RAW'(MAX_BODY) : {RAW{1'b0}})
                           + (tx_start ? {RAW{1'b0}} : RAW'(RA'(rm_ptr)));
    reg  [LNB-1:0] ra0;
    reg  [RW-1:0]  rrow, rrow1;
    always @(posedge clk) begin
        ra0 <= ra_nx[LNB-1:0];
        rrow <= RW'(ra_nx >> LNB);
        rrow1 <= RW'(ra_nx >> LNB) + 1'b1;
    end
    // memory m holds byte x = row*NB + m: for a span starting at a0, the memories below a0's
    // own (m < a0 % NB) take the next row; the record's bytes arrive rotated to their memory
    wire [RW-1:0] wrow = RW'(wa0 >> LNB);
    wire [RW-1:0] wrow1 = wrow + 1'b1;
    /* verilator lint_off UNUSEDSIGNAL */  // (the rotation is its upper half)
    wire [16*NB-1:0] wd2 = {2{{(8*(NB-RECW)){1'b0}}, rm_wd}} << (8 * wa0[LNB-1:0]);
    reg  [NB-1:0]   wn_mask;              // the record bytes written: k < rm_wn
    always @* for (int k = 0; k < NB; k++) wn_mask[k] = k < RECW && 8'(k) < rm_wn;
    wire [2*NB-1:0] we2 = {2{wn_mask}} << wa0[LNB-1:0];    // rotated as the bytes are
    /* verilator lint_on UNUSEDSIGNAL */
    wire [8*NB-1:0] rm_q;                 // each memory's registered read: byte x at x % NB
    genvar m;
    generate
        for (m = 0; m < NB; m = m + 1) begin : bank
            reg  [7:0] mem [0:ROWS-1];
            reg  [7:0] q;
            /* verilator lint_off CMPCONST */   // (memory 0 never takes the next row)
            always @(posedge clk) begin
                if (rm_we && we2[NB + m])
                    mem[(LNB'(m) < wa0[LNB-1:0]) ? wrow1 : wrow] <= wd2[8*NB + 8*m +: 8];
                q <= mem[(LNB'(m) < ra0) ? rrow1 : rrow];
            end
            /* verilator lint_on CMPCONST */
            assign rm_q[8*m +: 8] = q;
        end
    endgenerate
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
            tx_seq <= rp_seq;
            tx_type <= rp_type;
            tx_len <= rp_len;
            tx_body_start <= 17'(LGN_HEADER_BYTES) + 17'(rp_hlen);
            tx_body_end <= 17'(LGN_HEADER_BYTES) + 17'(rp_len);
            tx_hreg <= hreg;
            tx_rbank <= rm_sel;
            if (RESULT_BUFS > 1) rm_sel <= !rm_sel;
            tx_i <= 17'd0;
            tx_n <= 17'(LGN_MIN_PAYLOAD) + 17'(rp_len);
            tx_crc <= LGN_CRC_INIT;
        end else if (tx_take) begin
            tx_crc <= tx_c;
            tx_i <= tx_i + tx_cnt;
            if (tx_i + tx_cnt == tx_n) tx_busy <= 1'b0;
        end
    end
    assign enc_data = tx_bytes;
    assign enc_valid = tx_busy ? tx_valid : {WO{1'b0}};
    assign enc_last = tx_i + tx_cnt == tx_n;
endmodule
