// SPDX-License-Identifier: MIT
// lgn_score_record: a scores run's result records, one sample a clock, pipelined so that no
// clock holds more than half the argmax. In: a sample's class scores (MAX_CLASSES x 16 bits,
// 0 for classes past cfg_classes) and where its record goes. Out, two clocks later: a write
// of the record (classes x u16 score, little-endian, then the u8 index of the first highest
// score: ties go to the lowest class) into the result memory. The argmax is a tree of
// compare-and-pick stages (the left candidate wins ties, so the lowest class does), half of its
// levels in each of the two clocks. `busy` while a record is in flight.
module lgn_score_record #(
`include "generated/lgn_engine_params.vh"
) (clk, rst, in_v, in_wa, in_sc, cfg_classes, rm_we, rm_wa, rm_wd, rm_wn, busy);
`include "generated/lgn_protocol.vh"
`include "lgn_core_sizes.vh"
    localparam integer NC = 1 << CW;                 // classes padded to a power of 2
    localparam integer LV = CW, LV1 = (CW + 1) / 2;  // tree levels, and those in the first clock
    input  wire            clk;
    input  wire            rst;
    input  wire            in_v;
    input  wire [RA-1:0]   in_wa;
    input  wire [16*MAX_CLASSES-1:0] in_sc;
    input  wire [15:0]     cfg_classes;
    output reg             rm_we;
    output reg  [RA-1:0]   rm_wa;
    output reg  [8*RECW-1:0] rm_wd;
    output reg  [7:0]      rm_wn;
    output wire            busy;

    // compare and pick, level by level, in place: candidate i of a level is the better of
    // 2i and 2i+1 of the one before (i < 2i, so nothing is read after it is overwritten)
    reg [15:0] t_sc [0:NC-1], u_sc [0:NC-1];
    reg [CW-1:0] t_ix [0:NC-1], u_ix [0:NC-1];
    reg [15:0] s2_sc [0:NC-1];
    reg [CW-1:0] s2_ix [0:NC-1];
    reg [16*MAX_CLASSES-1:0] s2_all;
    reg [RA-1:0] s2_wa;
    reg s2_v;
    always @* begin
        for (int c = 0; c < NC; c++) begin
            t_sc[c] = (c < MAX_CLASSES) ? in_sc[16*c +: 16] : 16'd0;
            t_ix[c] = CW'(c);
        end
        for (int l = 0; l < LV1; l++)
            for (int i = 0; i < (NC >> (l + 1)); i++) begin
                t_ix[i] = (t_sc[2*i+1] > t_sc[2*i]) ? t_ix[2*i+1] : t_ix[2*i];
                t_sc[i] = (t_sc[2*i+1] > t_sc[2*i]) ? t_sc[2*i+1] : t_sc[2*i];
            end
        for (int c = 0; c < NC; c++) begin
            u_sc[c] = s2_sc[c];
            u_ix[c] = s2_ix[c];
        end
        for (int l = LV1; l < LV; l++)
            for (int i = 0; i < (NC >> (l + 1)); i++) begin
                u_ix[i] = (u_sc[2*i+1] > u_sc[2*i]) ? u_ix[2*i+1] : u_ix[2*i];
                u_sc[i] = (u_sc[2*i+1] > u_sc[2*i]) ? u_sc[2*i+1] : u_sc[2*i];
            end
    end
    always @(posedge clk) begin
        s2_v <= in_v && !rst;
        rm_we <= s2_v && !rst;
        if (in_v) begin
            for (int c = 0; c < NC; c++) begin
                s2_sc[c] <= t_sc[c];
                s2_ix[c] <= t_ix[c];
            end
            s2_all <= in_sc;
            s2_wa <= in_wa;
        end
        if (s2_v) begin
            rm_wa <= s2_wa;
            rm_wn <= 8'(LGN_SCORE_BYTES * cfg_classes + LGN_PRED_BYTES);
            for (int b = 0; b < RECW; b++)        // the prediction's byte, at 2 x classes
                rm_wd[8*b +: 8] <= (32'(b) == 32'(LGN_SCORE_BYTES) * 32'(cfg_classes)) ? 8'(u_ix[0])
                                   : (b < 2 * MAX_CLASSES) ? s2_all[8*b +: 8] : 8'd0;
        end
    end
    assign busy = s2_v || rm_we;
endmodule
