// SPDX-License-Identifier: MIT
// The engine core behind an AXI4-Lite slave (the PYNQ-Z2 build: the Zynq's M_AXI_GP0 writes
// request bytes and reads reply bytes). The register map is rtl/axi_regs.py's (the generated
// lgn_axi_regs.vh), in short:
//
//   0x0000 ID (RO)  0x0004 CTRL (WO, bit 0 reset pulse)  0x0008 STATUS (RO: bit 0 the core
//                  idle for 8 clocks with no byte taken, 1 IN FIFO empty, 2 OUT FIFO empty)
//   0x000C IN_FREE (RO)  0x0010 OUT_COUNT (RO)
//   0x1000..0x1FFF IN window (WO): a write pushes {wstrb, wdata} into the IN FIFO; the
//                  unpacker sends its bytes to the core low lane first, skipping lanes whose
//                  strobe is 0. A write while the IN FIFO is full is dropped (answered OKAY):
//                  the host reads IN_FREE before writing that many words.
//   0x2000..0x2FFF OUT window (RO): a read pops one word of the OUT FIFO (reply bytes low
//                  lane first); an empty FIFO reads 0 and pops nothing.
//
// Reply bytes are packed low lane first; a word is pushed when it has 4 bytes or when the
// byte just packed is 0x00 (a frame's end), padded with 0x00, so a whole reply reaches the
// FIFO at once. The padding and an empty FIFO's 0 are 0x00 bytes: empty frames, which the
// host's COBS decoder (rtl.protocol.FrameDecoder) ignores, as the engine's (lgn_cobs_dec) does.
// When the OUT FIFO is full the packer stalls the core; no byte is dropped.
//
// The slave handles one write and one read at a time: AW and W may come in either order or
// together; a write completes the clock both have arrived, its B response follows. A read's
// data (and an OUT-window pop, exactly one per transaction) is taken the clock AR arrives;
// R holds it until RREADY. Everything else in the window reads 0 and ignores writes (OKAY).
// CTRL bit 0 (with WSTRB bit 0) resets the core, both FIFOs and the packer the next clock,
// for one clock; the AXI slave itself only resets with aresetn.
//
// The engine parameters are lgn_core's (same names); the byte stream is one byte a clock and
// there is no fault injection (FAULTS = 0).
module lgn_axi_top #(
    parameter integer IN_WORDS  = 1024,   // IN FIFO depth (words)
    parameter integer OUT_WORDS = 1024,   // OUT FIFO depth (words)
`include "generated/lgn_engine_params.vh"
) (
    input  wire        aclk,
    input  wire        aresetn,
    input  wire [15:0] s_axi_awaddr, input wire [2:0] s_axi_awprot, input wire s_axi_awvalid, output wire s_axi_awready,
    input  wire [31:0] s_axi_wdata, input wire [3:0] s_axi_wstrb, input wire s_axi_wvalid, output wire s_axi_wready,
    output wire [1:0]  s_axi_bresp, output wire s_axi_bvalid, input wire s_axi_bready,
    input  wire [15:0] s_axi_araddr, input wire [2:0] s_axi_arprot, input wire s_axi_arvalid, output wire s_axi_arready,
    output wire [31:0] s_axi_rdata, output wire [1:0] s_axi_rresp, output wire s_axi_rvalid, input wire s_axi_rready
);
`include "generated/lgn_axi_regs.vh"
    generate
        // The AXI side moves one byte a clock into and out of the core, and there are no
        // fault-injection registers. (An instance of a module that does not exist: Verilator's
        // elaboration-time $fatal is only a warning under -Wno-fatal, and Icarus 11 has none.)
        if (IN_BYTES_PER_CLK != 1 || OUT_BYTES_PER_CLK != 1) begin : bad_params
            ERROR_lgn_axi_top_needs_IN_and_OUT_BYTES_PER_CLK_1 check();
        end
        if (FAULTS != 0) begin : bad_faults
            ERROR_lgn_axi_top_needs_FAULTS_0 check();
        end
        if (LGN_AXI_ADDRESS_BITS != 16) begin : bad_map
            ERROR_lgn_axi_top_ports_need_LGN_AXI_ADDRESS_BITS_16 check();
        end
    endgenerate

    localparam [3:0] PAGE_REGS = 4'(LGN_AXI_ID >> 12);
    localparam [3:0] PAGE_IN   = 4'(LGN_AXI_IN_WINDOW >> 12);
    localparam [3:0] PAGE_OUT  = 4'(LGN_AXI_OUT_WINDOW >> 12);

    // Core reset: aresetn, or a CTRL write (one clock, the clock after the write) ------------
    reg  rst;
    wire soft_reset;
    always @(posedge aclk) rst <= !aresetn || soft_reset;

    // Write channel --------------------------------------------------------------------------
    reg [15:0] aw_addr;
    reg        aw_have;
    reg [31:0] w_data;
    reg [3:0]  w_strb;
    reg        w_have;
    reg        bvalid;
    assign s_axi_awready = aresetn && !aw_have && !bvalid;
    assign s_axi_wready  = aresetn && !w_have && !bvalid;
    wire        aw_take  = s_axi_awvalid && s_axi_awready;
    wire        w_take   = s_axi_wvalid && s_axi_wready;
    wire [15:0] wr_addr  = aw_have ? aw_addr : s_axi_awaddr;
    wire [31:0] wr_data  = w_have ? w_data : s_axi_wdata;
    wire [3:0]  wr_strb  = w_have ? w_strb : s_axi_wstrb;
    wire        wr_do    = (aw_have || aw_take) && (w_have || w_take);
    wire        wr_regs  = wr_do && wr_addr[15:12] == PAGE_REGS;
    wire        in_push  = wr_do && wr_addr[15:12] == PAGE_IN;
    assign soft_reset = wr_regs && wr_addr[11:2] == 10'(LGN_AXI_CTRL >> 2)
                        && wr_strb[0] && (wr_data & LGN_AXI_CTRL_RESET) != 32'd0;
    assign s_axi_bresp  = 2'b00;        // OKAY, always
    assign s_axi_bvalid = bvalid;
    always @(posedge aclk) begin
        if (!aresetn) begin
            aw_have <= 1'b0;
            w_have <= 1'b0;
            bvalid <= 1'b0;
        end else begin
            if (wr_do) begin
                aw_have <= 1'b0;
                w_have <= 1'b0;
            end else begin
                if (aw_take) aw_have <= 1'b1;
                if (w_take) w_have <= 1'b1;
            end
            if (wr_do) bvalid <= 1'b1;
            else if (s_axi_bready) bvalid <= 1'b0;
        end
        if (aw_take) aw_addr <= s_axi_awaddr;
        if (w_take) begin
            w_data <= s_axi_wdata;
            w_strb <= s_axi_wstrb;
        end
    end

    // IN FIFO and unpacker: {strobes, bytes} words -> one byte a clock into the core --------
    wire [35:0] inq_data;
    wire        inq_valid, inq_ready;
    wire [31:0] in_free, in_count;
    /* verilator lint_off UNUSEDSIGNAL */
    wire        in_accepts;             // = in_free != 0; a write while low is dropped
    /* verilator lint_on UNUSEDSIGNAL */
    lgn_word_fifo #(.WIDTH(36), .DEPTH(IN_WORDS)) u_in_fifo (
        .clk(aclk), .rst(rst), .in_data({wr_strb, wr_data}), .in_valid(in_push),
        .in_ready(in_accepts), .out_data(inq_data), .out_valid(inq_valid),
        .out_ready(inq_ready), .in_free(in_free), .count(in_count));
    reg  [3:0] sent;                    // lanes of the head word already sent
    wire [3:0] pend = inq_data[35:32] & ~sent & {4{inq_valid}};
    wire [3:0] lane = pend & (~pend + 4'd1);        // lowest pending lane, one-hot
    wire [3:0] rest = pend & ~lane;
    wire [7:0] c_in_data = ({8{lane[0]}} & inq_data[7:0])   | ({8{lane[1]}} & inq_data[15:8])
                         | ({8{lane[2]}} & inq_data[23:16]) | ({8{lane[3]}} & inq_data[31:24]);
    wire       c_in_valid = pend != 4'd0;
    wire       c_in_ready;
    wire       byte_taken = c_in_valid && c_in_ready;
    // the head word goes when its last pending byte is taken, or at once if it has none
    assign inq_ready = inq_valid && (!c_in_valid || (c_in_ready && rest == 4'd0));
    always @(posedge aclk) begin
        if (rst || inq_ready) sent <= 4'd0;
        else if (byte_taken) sent <= sent | lane;
    end

    // Core -------------------------------------------------------------------------------------
    wire [7:0] c_out_data;
    wire       c_out_valid, c_out_ready, c_idle;
    lgn_core #(
`include "generated/lgn_engine_pass.vh"
    ) u_core (
        .clk(aclk), .rst(rst), .in_data(c_in_data), .in_valid(c_in_valid), .in_ready(c_in_ready),
        .in_data2(8'h00), .in_valid2(1'b0),
        .out_data(c_out_data), .out_valid(c_out_valid), .out_ready(c_out_ready), .idle(c_idle),
        .fault_we(1'b0), .fault_gate(32'd0), .fault_stuck(2'b00),
        .flip_mask({(GATES_PER_CYCLE*LANES){1'b0}}));

    // Packer and OUT FIFO: reply bytes -> words (pushed at 4 bytes or after a 0x00) ----------
    reg  [31:0] pk_word;                // bytes packed so far (lanes above pk_n are 0)
    reg  [1:0]  pk_n;                   // how many
    wire        outq_ready;
    wire        pk_take = c_out_valid && c_out_ready;
    wire [31:0] pk_next = pk_word | ({24'd0, c_out_data} << {pk_n, 3'b000});
    wire        pk_push = pk_take && (pk_n == 2'd3 || c_out_data == 8'h00);
    assign c_out_ready = outq_ready;    // stall while the OUT FIFO is full, never drop
    always @(posedge aclk) begin
        if (rst || pk_push) begin
            pk_word <= 32'd0;
            pk_n <= 2'd0;
        end else if (pk_take) begin
            pk_word <= pk_next;
            pk_n <= pk_n + 2'd1;
        end
    end
    wire [31:0] outq_data, out_free, out_count;
    wire        outq_valid, outq_pop;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] unused_out_free = out_free;
    /* verilator lint_on UNUSEDSIGNAL */
    lgn_word_fifo #(.WIDTH(32), .DEPTH(OUT_WORDS)) u_out_fifo (
        .clk(aclk), .rst(rst), .in_data(pk_next), .in_valid(pk_push), .in_ready(outq_ready),
        .out_data(outq_data), .out_valid(outq_valid), .out_ready(outq_pop),
        .in_free(out_free), .count(out_count));

    // Read channel -----------------------------------------------------------------------------
    reg        rvalid;
    reg [31:0] rdata;
    assign s_axi_arready = aresetn && !rvalid;
    assign s_axi_rvalid  = rvalid;
    assign s_axi_rdata   = rdata;
    assign s_axi_rresp   = 2'b00;       // OKAY, always
    wire ar_take = s_axi_arvalid && s_axi_arready;
    wire [3:0] ar_page = s_axi_araddr[15:12];
    assign outq_pop = ar_take && ar_page == PAGE_OUT && outq_valid;    // once per transaction
    // STATUS idle: the core idle for 8 clocks in a row with no byte taken, so the clocks
    // between a frame's last byte going in and the core starting on it never read as idle
    reg [3:0] idle_run;
    always @(posedge aclk) begin
        if (rst || !c_idle || byte_taken) idle_run <= 4'd0;
        else if (!idle_run[3]) idle_run <= idle_run + 4'd1;
    end
    wire [31:0] status = (idle_run[3] ? LGN_AXI_STATUS_IDLE : 32'd0)
                       | (in_count == 32'd0 ? LGN_AXI_STATUS_IN_EMPTY : 32'd0)
                       | (out_count == 32'd0 ? LGN_AXI_STATUS_OUT_EMPTY : 32'd0);
    reg [31:0] reg_value;
    always @(*) begin
        reg_value = 32'd0;
        if (ar_page == PAGE_OUT) reg_value = outq_valid ? outq_data : 32'd0;
        else if (ar_page == PAGE_REGS)
            case (s_axi_araddr[11:2])
                10'(LGN_AXI_ID >> 2):        reg_value = LGN_AXI_ID_VALUE;
                10'(LGN_AXI_STATUS >> 2):    reg_value = status;
                10'(LGN_AXI_IN_FREE >> 2):   reg_value = in_free;
                10'(LGN_AXI_OUT_COUNT >> 2): reg_value = out_count;
                default:                     reg_value = 32'd0;
            endcase
    end
    always @(posedge aclk) begin
        if (!aresetn) rvalid <= 1'b0;
        else if (ar_take) rvalid <= 1'b1;
        else if (s_axi_rready) rvalid <= 1'b0;
        if (ar_take) rdata <= reg_value;
    end

    // no protection checks; registers are word-aligned (address bits 1:0 are ignored)
    /* verilator lint_off UNUSEDSIGNAL */
    wire [4:0] unused_bits = {s_axi_awprot ^ s_axi_arprot, s_axi_araddr[1:0] ^ wr_addr[1:0]};
    /* verilator lint_on UNUSEDSIGNAL */
endmodule
