// SPDX-License-Identifier: MIT
// The ULX3S top level: the engine behind the FT231X USB UART (lgn_uart_top), clocked by the
// ECP5 PLL from the 25 MHz oscillator. Pin names are the board's official ones
// (ulx3s_v20.lpf; boards/ulx3s/ulx3s.lpf): the FPGA receives on ftdi_txd and sends on ftdi_rxd.
//   btn[1] (F1)   resets the engine (as does the PLL losing lock; btn[0], PWR, is not used)
//   led[0]        a byte arrives        led[1]  a byte goes out
//   led[2]        a framing error (stop bit 0: baud mismatch or line break), held ~0.3 s
//   led[3]        the engine is busy    led[7]  the PLL is locked
// The engine parameters are lgn_core's; boards/registry.py names each board's build.
module lgn_ulx3s_top #(
    parameter integer BAUD       = 3_000_000,
    parameter integer FIFO_DEPTH = 4096,
    parameter integer CLKI_DIV   = 5,
    parameter integer CLKFB_DIV  = 12,
    parameter integer CLKOP_DIV  = 10,
`include "generated/lgn_engine_params.vh"
) (
    input  wire       clk_25mhz,
    input  wire       ftdi_txd,
    output wire       ftdi_rxd,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [6:0] btn,
    /* verilator lint_on UNUSEDSIGNAL */
    output wire [7:0] led,
    output wire       wifi_gpio0      // high: keeps the ESP32 from resetting the board
);
    wire clk, locked;
    lgn_ecp5_pll #(.CLKI_DIV(CLKI_DIV), .CLKFB_DIV(CLKFB_DIV), .CLKOP_DIV(CLKOP_DIV)) u_pll (
        .clk_in(clk_25mhz), .clk_out(clk), .locked(locked));

    // Reset: held for 16 clocks after lock and while btn[1] is pressed (synchronised).
    reg [2:0] btn_s = 3'b000;
    reg [4:0] por = 5'd0;
    always @(posedge clk) begin
        btn_s <= {btn_s[1:0], btn[1]};
        if (!locked || btn_s[2]) por <= 5'd0;
        else if (!por[4]) por <= por + 5'd1;
    end
    wire rst = !por[4];

    wire frame_err, idle;
    lgn_uart_top #(
        .BAUD(BAUD), .FIFO_DEPTH(FIFO_DEPTH),
`include "generated/lgn_engine_pass.vh"
    ) u_uart (
        .clk(clk), .rst(rst), .rxd(ftdi_txd), .txd(ftdi_rxd), .frame_err(frame_err), .idle(idle),
        .fault_we(1'b0), .fault_gate(32'd0), .fault_stuck(2'b00),
        .flip_mask({(GATES_PER_CYCLE*LANES){1'b0}}));

    // LEDs: activity stretched to ~20 ms (errors ~0.3 s) so a person can see it.
    localparam integer HOLD = CLOCK_HZ / 50;
    function automatic [31:0] stretch(input [31:0] t, input hit, input [31:0] len);
        stretch = hit ? len : (t != 32'd0 ? t - 32'd1 : 32'd0);
    endfunction
    reg [31:0] t_rx = 32'd0, t_tx = 32'd0, t_err = 32'd0;
    always @(posedge clk) begin
        t_rx <= stretch(t_rx, !ftdi_txd, 32'(HOLD));
        t_tx <= stretch(t_tx, !ftdi_rxd, 32'(HOLD));
        t_err <= stretch(t_err, frame_err, 32'(16 * HOLD));
    end
    assign led = {locked, 3'b000, !idle, t_err != 32'd0, t_tx != 32'd0, t_rx != 32'd0};
    assign wifi_gpio0 = 1'b1;
endmodule
